/*
 * core/store_merge.c — merging one results database into another
 * (memvirt merge), see rec_merge() in store.h.
 *
 * The input is read through its own read-only connection, inside one read
 * transaction (a snapshot, even while shards still write to it), and the
 * output is written inside one write transaction: a merge that fails or
 * is killed half-way leaves the output as it was.
 *
 * What a run is across databases is its uid (schema version 4): a run
 * already in the output is not copied again, which makes merging
 * idempotent.  The one exception is a run the output holds unfinished
 * (incomplete, e.g. copied while its writer had not ended) and the input
 * holds finished: the finished copy replaces it.
 *
 * Every table with a run_id column is copied with the run, column by
 * column as both databases name them (the schema versions are equal, so
 * the columns are), with run_id renumbered; event types are matched by
 * name.  So a table that a later schema version adds travels without
 * code here knowing it.
 *
 * Sweeps: a sweep of the whole grid is copied as it is (same uid), and
 * refreshed from the input when merged again.  The shards of one sweep
 * file (memvirt sweep --shard I/N, each a sweep of its own in its own
 * database) join one sweep of the output: the one an earlier merge made
 * from shards of the same file and the same N, else a new one.  Which
 * input sweeps a merged sweep holds is kept in sweep_sources, and its
 * status and counts are worked out from the runs it holds.
 */
#include "core/store.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/store_internal.h"
#include "memvirt-config.h"

/* Sweeps of the input, as mapped onto the output. */
struct merge_sweep {
	int64_t src_id, out_id;
	bool merged;            /* a sweep made of shards: its counts are worked out here */
};

struct merge {
	struct rec_db *out;
	sqlite3 *src;
	const char *src_path;
	struct rec_merge_totals *t;
	char *err;
	size_t err_len;
	/* Event type ids: src id → out id (-1: no such type in out). */
	int64_t *event_type;
	size_t event_types;
	/* Some type of the input has no match here: each run's events are
	 * checked for it before they are copied (else the join drops none). */
	bool unmapped_types;
	/* Some type has another id here: events are copied through the map
	 * (else, as both memvirts numbered them alike, as they are). */
	bool types_renumbered;
	struct merge_sweep *sweeps;
	size_t sweep_count;
	/* Tables with a run_id column, other than runs. */
	char **run_tables;
	size_t run_table_count;
};

static void merge_err(struct merge *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void merge_err(struct merge *m, const char *fmt, ...)
{
	va_list ap;

	if (!m->err || !m->err_len || m->err[0])
		return;
	va_start(ap, fmt);
	vsnprintf(m->err, m->err_len, fmt, ap);
	va_end(ap);
}

/* A failed statement on either side: say which database and why. */
static int sql_fail(struct merge *m, sqlite3 *db, const char *what)
{
	merge_err(m, "%s: cannot merge %s (%s: %s)", m->out->path, m->src_path, what, sqlite3_errmsg(db));
	return -EIO;
}

static int prep(struct merge *m, sqlite3 *db, sqlite3_stmt **st, const char *sql)
{
	if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK)
		return sql_fail(m, db, "preparing a statement");
	return 0;
}

/* The comma-separated column names of a table, in order ("" if none). */
static int table_columns(sqlite3 *db, const char *table, char *buf, size_t len)
{
	sqlite3_stmt *st;
	size_t off = 0;

	buf[0] = '\0';
	if (sqlite3_prepare_v2(db, "SELECT name FROM pragma_table_info(?) ORDER BY cid", -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, table, -1, SQLITE_TRANSIENT);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int n = snprintf(buf + off, len - off, "%s%s", off ? "," : "", (const char *)sqlite3_column_text(st, 0));

		if (n < 0 || (size_t)n >= len - off) {
			sqlite3_finalize(st);
			return -E2BIG;
		}
		off += (size_t)n;
	}
	sqlite3_finalize(st);
	return 0;
}

/* The tables both sides must agree on, column for column: a database
 * of the same schema version that was altered by hand is refused rather
 * than half copied. */
static int check_tables(struct merge *m)
{
	sqlite3_stmt *st;
	int rc;

	rc = prep(m, m->src,
		  &st,
		  "SELECT m.name FROM sqlite_schema m WHERE m.type = 'table' AND m.name != 'runs'"
		  " AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) p WHERE p.name = 'run_id') ORDER BY m.name");
	if (rc)
		return rc;
	while (sqlite3_step(st) == SQLITE_ROW) {
		char **grown = realloc(m->run_tables, (m->run_table_count + 1) * sizeof(*grown));

		if (!grown || !(grown[m->run_table_count] = strdup((const char *)sqlite3_column_text(st, 0)))) {
			if (grown)
				m->run_tables = grown;
			sqlite3_finalize(st);
			merge_err(m, "out of memory");
			return -ENOMEM;
		}
		m->run_tables = grown;
		m->run_table_count++;
	}
	sqlite3_finalize(st);
	for (size_t i = 0; i < m->run_table_count + 3; i++) {
		const char *name = i < m->run_table_count ? m->run_tables[i]
				   : i == m->run_table_count   ? "runs"
				   : i == m->run_table_count + 1 ? "sweeps"
								 : "sweep_sources";
		char a[2048], b[2048];

		if (table_columns(m->src, name, a, sizeof(a)) || table_columns(m->out->sql, name, b, sizeof(b)) ||
		    strcmp(a, b)) {
			merge_err(m,
				  "%s: its table '%s' is not the one this memvirt writes (columns '%s', expected '%s'); merge reads only unaltered memvirt databases",
				  m->src_path, name, a, b);
			return -EPROTO;
		}
	}
	return 0;
}

static int map_event_types(struct merge *m)
{
	sqlite3_stmt *src, *out;
	int rc;

	rc = prep(m, m->src, &src, "SELECT id, name FROM event_types");
	if (rc)
		return rc;
	rc = prep(m, m->out->sql, &out, "SELECT id FROM event_types WHERE name = ?");
	if (rc) {
		sqlite3_finalize(src);
		return rc;
	}
	while (sqlite3_step(src) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(src, 0);

		if (id < 0 || id > 65535) {
			m->unmapped_types = true; /* not one memvirt wrote: its events cannot be placed */
			continue;
		}
		if ((size_t)id >= m->event_types) {
			int64_t *grown = realloc(m->event_type, ((size_t)id + 1) * sizeof(*grown));

			if (!grown) {
				rc = -ENOMEM;
				merge_err(m, "out of memory");
				break;
			}
			for (size_t k = m->event_types; k <= (size_t)id; k++)
				grown[k] = -1;
			m->event_type = grown;
			m->event_types = (size_t)id + 1;
		}
		sqlite3_bind_text(out, 1, (const char *)sqlite3_column_text(src, 1), -1, SQLITE_TRANSIENT);
		if (sqlite3_step(out) == SQLITE_ROW)
			m->event_type[id] = sqlite3_column_int64(out, 0);
		else
			m->unmapped_types = true;
		m->types_renumbered |= m->event_type[id] != id;
		sqlite3_reset(out);
	}
	sqlite3_finalize(src);
	sqlite3_finalize(out);
	if (rc)
		return rc;
	/* The same map where SQL can use it (copy_run_rows). */
	if (sqlite3_exec(m->out->sql,
			 "CREATE TEMP TABLE IF NOT EXISTS merge_event_types (src INTEGER PRIMARY KEY, dst INTEGER NOT NULL);"
			 "DELETE FROM temp.merge_event_types;",
			 NULL, NULL, NULL) != SQLITE_OK)
		return sql_fail(m, m->out->sql, "mapping event types");
	rc = prep(m, m->out->sql, &out, "INSERT INTO temp.merge_event_types VALUES (?, ?)");
	if (rc)
		return rc;
	for (size_t id = 0; id < m->event_types && !rc; id++) {
		if (m->event_type[id] < 0)
			continue;
		sqlite3_bind_int64(out, 1, (int64_t)id);
		sqlite3_bind_int64(out, 2, m->event_type[id]);
		if (sqlite3_step(out) != SQLITE_DONE)
			rc = sql_fail(m, m->out->sql, "mapping event types");
		sqlite3_reset(out);
	}
	sqlite3_finalize(out);
	return rc;
}

/* ---- sweeps ---- */

static int query_id(struct merge *m, const char *sql, const char *text, int64_t num, int64_t *id)
{
	sqlite3_stmt *st;
	int rc = prep(m, m->out->sql, &st, sql);

	if (rc)
		return rc;
	if (text)
		sqlite3_bind_text(st, 1, text, -1, SQLITE_TRANSIENT);
	if (num >= 0)
		sqlite3_bind_int64(st, text ? 2 : 1, num);
	rc = -ENOENT;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*id = sqlite3_column_int64(st, 0);
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

/* Copy a whole-grid sweep row as it is, or bring its copy up to date
 * (status and counts move on when the input's sweep was resumed). */
static int copy_whole_sweep(struct merge *m, int64_t src_id, bool exists, int64_t *out_id)
{
	static const char *const insert_sql =
		"INSERT INTO sweeps (status, name, file, file_text, command, jobs, points, runs_ok, runs_failed,"
		" runs_skipped, host, memvirt_version, started_at, ended_at, pid, pid_start, boot_id, uid, shard_index,"
		" shard_count, grid_points) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
	static const char *const update_sql =
		"UPDATE sweeps SET status = ?, runs_ok = ?, runs_failed = ?, runs_skipped = ?, ended_at = ?,"
		" command = ?, jobs = ?, host = ?, pid = ?, pid_start = ?, boot_id = ? WHERE uid = ?";
	sqlite3_stmt *src, *out;
	int rc;

	rc = prep(m, m->src, &src,
		  "SELECT status, name, file, file_text, command, jobs, points, runs_ok, runs_failed, runs_skipped,"
		  " host, memvirt_version, started_at, ended_at, pid, pid_start, boot_id, uid, shard_index,"
		  " shard_count, grid_points FROM sweeps WHERE id = ?");
	if (rc)
		return rc;
	rc = prep(m, m->out->sql, &out, exists ? update_sql : insert_sql);
	if (rc) {
		sqlite3_finalize(src);
		return rc;
	}
	sqlite3_bind_int64(src, 1, src_id);
	if (sqlite3_step(src) != SQLITE_ROW) {
		rc = sql_fail(m, m->src, "reading a sweep");
		goto out;
	}
	if (exists) {
		static const int cols[] = {0, 7, 8, 9, 13, 4, 5, 10, 14, 15, 16, 17};

		for (int i = 0; i < (int)(sizeof(cols) / sizeof(cols[0])); i++)
			sqlite3_bind_value(out, i + 1, sqlite3_column_value(src, cols[i]));
	} else {
		for (int i = 0; i < 21; i++)
			sqlite3_bind_value(out, i + 1, sqlite3_column_value(src, i));
	}
	if (sqlite3_step(out) != SQLITE_DONE) {
		rc = sql_fail(m, m->out->sql, "writing a sweep");
		goto out;
	}
	if (!exists)
		*out_id = sqlite3_last_insert_rowid(m->out->sql);
	rc = 0;
out:
	sqlite3_finalize(src);
	sqlite3_finalize(out);
	return rc;
}

/* A new sweep of the output for the shards of an input sweep. */
static int new_merged_sweep(struct merge *m, int64_t src_id, int64_t *out_id)
{
	sqlite3_stmt *src, *out;
	int rc;

	rc = prep(m, m->src, &src, "SELECT name, file, file_text, jobs, grid_points FROM sweeps WHERE id = ?");
	if (rc)
		return rc;
	rc = prep(m, m->out->sql, &out,
		  "INSERT INTO sweeps (status, name, file, file_text, command, jobs, points, host, memvirt_version,"
		  " started_at, pid, pid_start, boot_id, uid, grid_points)"
		  " VALUES ('interrupted',?,?,?,?,?,?,?,?,strftime('%Y-%m-%dT%H:%M:%fZ','now'),?,0,?,"
		  " lower(hex(randomblob(16))),?)");
	if (rc) {
		sqlite3_finalize(src);
		return rc;
	}
	sqlite3_bind_int64(src, 1, src_id);
	if (sqlite3_step(src) != SQLITE_ROW) {
		rc = sql_fail(m, m->src, "reading a sweep");
		goto out;
	}
	{
		char command[PATH_MAX + 64];

		snprintf(command, sizeof(command), "memvirt merge (shards of %s)",
			 (const char *)sqlite3_column_text(src, 1));
		sqlite3_bind_value(out, 1, sqlite3_column_value(src, 0));
		sqlite3_bind_value(out, 2, sqlite3_column_value(src, 1));
		sqlite3_bind_value(out, 3, sqlite3_column_value(src, 2));
		sqlite3_bind_text(out, 4, command, -1, SQLITE_TRANSIENT);
		sqlite3_bind_value(out, 5, sqlite3_column_value(src, 3));
		sqlite3_bind_value(out, 6, sqlite3_column_value(src, 4));
		sqlite3_bind_text(out, 7, m->out->host, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(out, 8, MEMVIRT_VERSION, -1, SQLITE_STATIC);
		sqlite3_bind_int64(out, 9, (int64_t)getpid());
		sqlite3_bind_text(out, 10, m->out->boot_id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_value(out, 11, sqlite3_column_value(src, 4));
	}
	if (sqlite3_step(out) != SQLITE_DONE) {
		rc = sql_fail(m, m->out->sql, "writing a sweep");
		goto out;
	}
	*out_id = sqlite3_last_insert_rowid(m->out->sql);
	rc = 0;
out:
	sqlite3_finalize(src);
	sqlite3_finalize(out);
	return rc;
}

static int note_source(struct merge *m, int64_t out_id, const char *uid, sqlite3_value *shard_index,
		       sqlite3_value *shard_count)
{
	sqlite3_stmt *st;
	int rc = prep(m, m->out->sql, &st,
		      "INSERT INTO sweep_sources (sweep_id, source_uid, shard_index, shard_count, source_path, merged_at)"
		      " VALUES (?,?,?,?,?,strftime('%Y-%m-%dT%H:%M:%fZ','now'))");
	char path[PATH_MAX];

	if (rc)
		return rc;
	if (!realpath(m->src_path, path))
		snprintf(path, sizeof(path), "%s", m->src_path);
	sqlite3_bind_int64(st, 1, out_id);
	sqlite3_bind_text(st, 2, uid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_value(st, 3, shard_index);
	sqlite3_bind_value(st, 4, shard_count);
	sqlite3_bind_text(st, 5, path, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : sql_fail(m, m->out->sql, "recording a merged sweep");
	sqlite3_finalize(st);
	return rc;
}

static int map_sweeps(struct merge *m)
{
	sqlite3_stmt *st;
	int rc;

	rc = prep(m, m->src, &st, "SELECT id, uid, shard_index, shard_count, file_text FROM sweeps ORDER BY id");
	if (rc)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct merge_sweep *grown = realloc(m->sweeps, (m->sweep_count + 1) * sizeof(*grown));
		struct merge_sweep *s;
		const char *uid = (const char *)sqlite3_column_text(st, 1);
		bool sharded = sqlite3_column_type(st, 3) != SQLITE_NULL;
		int64_t id = 0;

		if (!grown) {
			merge_err(m, "out of memory");
			rc = -ENOMEM;
			break;
		}
		m->sweeps = grown;
		s = &m->sweeps[m->sweep_count++];
		s->src_id = sqlite3_column_int64(st, 0);
		s->merged = sharded;
		rc = 0;
		if (!uid) {
			merge_err(m, "%s: sweep %" PRId64 " has no uid; not a database memvirt wrote", m->src_path,
				  s->src_id);
			rc = -EPROTO;
			break;
		}
		if (query_id(m, "SELECT id FROM sweeps WHERE uid = ?", uid, -1, &id) == 0) {
			/* The very sweep (merged before, or the output was made
			 * from this input): refresh it. */
			s->out_id = id;
			s->merged = false;
			rc = copy_whole_sweep(m, s->src_id, true, &id);
		} else if (query_id(m, "SELECT sweep_id FROM sweep_sources WHERE source_uid = ?", uid, -1, &id) == 0) {
			s->out_id = id;
			s->merged = true;
		} else if (!sharded) {
			rc = copy_whole_sweep(m, s->src_id, false, &s->out_id);
			m->t->sweeps_added += rc == 0;
		} else {
			/* A shard: join the output's sweep made of shards of
			 * this file cut the same way, or start one. */
			rc = query_id(m,
				      "SELECT max(s.id) FROM sweeps s WHERE s.file_text = ? AND s.shard_count IS NULL"
				      " AND EXISTS (SELECT 1 FROM sweep_sources x WHERE x.sweep_id = s.id AND x.shard_count = ?)",
				      (const char *)sqlite3_column_text(st, 4), sqlite3_column_int64(st, 3), &id);
			if (rc == 0) {
				s->out_id = id;
				m->t->sweeps_joined++;
			} else if (rc == -ENOENT) {
				rc = new_merged_sweep(m, s->src_id, &s->out_id);
				m->t->sweeps_added += rc == 0;
			}
			rc = rc ? rc : note_source(m, s->out_id, uid, sqlite3_column_value(st, 2), sqlite3_column_value(st, 3));
		}
		if (rc)
			break;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (rc > 0)
		rc = sql_fail(m, m->src, "reading the sweeps");
	return rc;
}

static int64_t out_sweep(const struct merge *m, int64_t src_id)
{
	for (size_t i = 0; i < m->sweep_count; i++)
		if (m->sweeps[i].src_id == src_id)
			return m->sweeps[i].out_id;
	return 0;
}

/* A sweep made of shards: its status and counts from the runs it holds.
 * Done once every point of the grid has a final run; a point counts as
 * ok when any of its runs is, failed when it has a final run but no ok. */
static int settle_merged_sweep(struct merge *m, int64_t out_id)
{
	sqlite3_stmt *st;
	/* Written only when something changed, so that merging the same
	 * inputs again leaves the output as it was, to the byte. */
	int rc = prep(m, m->out->sql, &st,
		      "WITH k AS (SELECT sweep_key, max(status = 'ok') AS ok, max(status IN ('ok','failed')) AS final"
		      "           FROM runs WHERE sweep_id = ?1 AND sweep_key IS NOT NULL GROUP BY sweep_key),"
		      " v AS (SELECT (SELECT count(*) FROM k WHERE ok) AS ok,"
		      "              (SELECT count(*) FROM k WHERE final AND NOT ok) AS failed,"
		      "              (SELECT count(*) FROM k WHERE final) AS final)"
		      " UPDATE sweeps SET runs_ok = v.ok, runs_failed = v.failed,"
		      "  status = CASE WHEN v.final >= sweeps.grid_points THEN 'done' ELSE 'interrupted' END,"
		      "  ended_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')"
		      " FROM v WHERE sweeps.id = ?1 AND (sweeps.runs_ok != v.ok OR sweeps.runs_failed != v.failed"
		      "  OR sweeps.status != CASE WHEN v.final >= sweeps.grid_points THEN 'done' ELSE 'interrupted' END"
		      "  OR sweeps.ended_at IS NULL)");

	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, out_id);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : sql_fail(m, m->out->sql, "updating a merged sweep");
	sqlite3_finalize(st);
	return rc;
}

/* ---- runs ---- */

/* Delete an unfinished copy of a run, with everything recorded for it. */
static int delete_run(struct merge *m, int64_t out_id)
{
	char sql[256];

	for (size_t i = 0; i <= m->run_table_count; i++) {
		sqlite3_stmt *st;
		int rc;

		if (i < m->run_table_count)
			snprintf(sql, sizeof(sql), "DELETE FROM \"%s\" WHERE run_id = ?", m->run_tables[i]);
		else
			snprintf(sql, sizeof(sql), "DELETE FROM runs WHERE id = ?");
		rc = prep(m, m->out->sql, &st, sql);
		if (rc)
			return rc;
		sqlite3_bind_int64(st, 1, out_id);
		rc = sqlite3_step(st) == SQLITE_DONE ? 0 : sql_fail(m, m->out->sql, "replacing a run");
		sqlite3_finalize(st);
		if (rc)
			return rc;
	}
	return 0;
}

/* Copy the rows of one per-run table for one run, inside SQLite (the
 * input is attached to the output's connection as `merge_src`): a row at
 * a time through bound values costs about nine times a raw copy; this
 * costs about twice. */
static int copy_run_rows(struct merge *m, const char *table, int64_t src_id, int64_t out_id)
{
	char cols[2048], picks[2600], sql[5400];
	sqlite3_stmt *st;
	size_t off = 0;
	int rc;
	bool events = !strcmp(table, "events");

	if (table_columns(m->src, table, cols, sizeof(cols)))
		return sql_fail(m, m->src, "reading a table's columns");
	{
		char copy[sizeof(cols)], *save = NULL;

		snprintf(copy, sizeof(copy), "%s", cols);
		for (char *c = strtok_r(copy, ",", &save); c; c = strtok_r(NULL, ",", &save)) {
			const char *pick = !strcmp(c, "run_id")				       ? "?1"
					   : events && m->types_renumbered && !strcmp(c, "type") ? "t.dst"
												  : NULL;

			off += (size_t)snprintf(picks + off, sizeof(picks) - off, "%s%s%s", off ? "," : "", pick ? pick : "s.",
						pick ? "" : c);
		}
	}
	snprintf(sql, sizeof(sql), "INSERT INTO main.\"%s\" (%s) SELECT %s FROM merge_src.\"%s\" s%s WHERE s.run_id = ?2",
		 table, cols, picks, table,
		 events && m->types_renumbered ? " JOIN temp.merge_event_types t ON t.src = s.type" : "");
	if (events && m->unmapped_types) {
		int64_t unknown = 0;

		rc = prep(m, m->out->sql, &st,
			  "SELECT count(*) FROM merge_src.events WHERE run_id = ?"
			  " AND type NOT IN (SELECT src FROM temp.merge_event_types)");
		if (rc)
			return rc;
		sqlite3_bind_int64(st, 1, src_id);
		if (sqlite3_step(st) == SQLITE_ROW)
			unknown = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		if (unknown) {
			merge_err(m, "%s: run %" PRId64 " has %" PRId64 " events of types this memvirt does not know; not merged",
				  m->src_path, src_id, unknown);
			return -EPROTO;
		}
	}
	rc = prep(m, m->out->sql, &st, sql);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, out_id);
	sqlite3_bind_int64(st, 2, src_id);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : sql_fail(m, m->out->sql, "copying a run's records");
	sqlite3_finalize(st);
	return rc;
}

enum run_action { RUN_SKIP, RUN_COPY, RUN_REPLACE };

static int merge_runs(struct merge *m)
{
	char cols[2048], sel[2300], ins[4600];
	sqlite3_stmt *src, *out, *find;
	int ncols = 0, col_id = -1, col_status = -1, col_error = -1, col_sweep = -1, col_uid = -1;
	int col_host = -1, col_boot = -1, col_pid = -1, col_pid_start = -1, rc;
	size_t off;

	if (table_columns(m->src, "runs", cols, sizeof(cols)))
		return sql_fail(m, m->src, "reading the runs' columns");
	snprintf(sel, sizeof(sel), "SELECT %s FROM runs ORDER BY id", cols);
	off = (size_t)snprintf(ins, sizeof(ins), "INSERT INTO runs (");
	{
		char copy[sizeof(cols)], *save = NULL;
		size_t voff;
		char values[1024];
		int n = 0;

		voff = (size_t)snprintf(values, sizeof(values), ") VALUES (");
		snprintf(copy, sizeof(copy), "%s", cols);
		for (char *c = strtok_r(copy, ",", &save); c; c = strtok_r(NULL, ",", &save), ncols++) {
			int *slot = !strcmp(c, "id")	     ? &col_id
				    : !strcmp(c, "status")    ? &col_status
				    : !strcmp(c, "error")     ? &col_error
				    : !strcmp(c, "sweep_id")  ? &col_sweep
				    : !strcmp(c, "uid")	     ? &col_uid
				    : !strcmp(c, "host")      ? &col_host
				    : !strcmp(c, "boot_id")   ? &col_boot
				    : !strcmp(c, "pid")	     ? &col_pid
				    : !strcmp(c, "pid_start") ? &col_pid_start
							      : NULL;

			if (slot)
				*slot = ncols;
			if (!strcmp(c, "id"))
				continue; /* the output numbers its own runs */
			off += (size_t)snprintf(ins + off, sizeof(ins) - off, "%s%s", n ? "," : "", c);
			voff += (size_t)snprintf(values + voff, sizeof(values) - voff, "%s?", n ? "," : "");
			n++;
		}
		snprintf(ins + off, sizeof(ins) - off, "%s)", values);
	}
	if (col_id < 0 || col_status < 0 || col_error < 0 || col_sweep < 0 || col_uid < 0 || col_host < 0 ||
	    col_boot < 0 || col_pid < 0 || col_pid_start < 0) {
		merge_err(m, "%s: its runs table lacks columns memvirt writes", m->src_path);
		return -EPROTO;
	}
	rc = prep(m, m->src, &src, sel);
	if (rc)
		return rc;
	rc = prep(m, m->out->sql, &out, ins);
	if (rc) {
		sqlite3_finalize(src);
		return rc;
	}
	rc = prep(m, m->out->sql, &find, "SELECT id, status FROM runs WHERE uid = ?");
	if (rc) {
		sqlite3_finalize(src);
		sqlite3_finalize(out);
		return rc;
	}
	while ((rc = sqlite3_step(src)) == SQLITE_ROW) {
		const char *uid = (const char *)sqlite3_column_text(src, col_uid);
		const char *status = (const char *)sqlite3_column_text(src, col_status);
		bool final = status && (!strcmp(status, "ok") || !strcmp(status, "failed"));
		bool unfinished = status && !strcmp(status, "running");
		enum run_action action = RUN_COPY;
		int64_t src_id = sqlite3_column_int64(src, col_id), out_id = 0, sweep;

		rc = 0;
		if (!uid) {
			merge_err(m, "%s: run %" PRId64 " has no uid; not a database memvirt wrote", m->src_path, src_id);
			rc = -EPROTO;
			break;
		}
		sqlite3_bind_text(find, 1, uid, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(find) == SQLITE_ROW) {
			const char *have = (const char *)sqlite3_column_text(find, 1);
			bool have_final = have && (!strcmp(have, "ok") || !strcmp(have, "failed"));

			out_id = sqlite3_column_int64(find, 0);
			action = final && !have_final ? RUN_REPLACE : RUN_SKIP;
		}
		sqlite3_reset(find);
		if (action == RUN_SKIP) {
			m->t->runs_present++;
			continue;
		}
		if (unfinished) {
			/* Its writer still at work here: leave it for a later
			 * merge.  Anywhere else, or gone: copy it as what it is
			 * now, incomplete; a later merge replaces it if it ends. */
			if (rec_running_row_status(m->out, (const char *)sqlite3_column_text(src, col_host),
						   (const char *)sqlite3_column_text(src, col_boot),
						   (long)sqlite3_column_int64(src, col_pid),
						   (uint64_t)sqlite3_column_int64(src, col_pid_start)) == REC_STATUS_RUNNING &&
			    !strcmp((const char *)sqlite3_column_text(src, col_host), m->out->host)) {
				m->t->runs_live++;
				continue;
			}
		}
		if (action == RUN_REPLACE) {
			rc = delete_run(m, out_id);
			if (rc)
				break;
		}
		sweep = sqlite3_column_type(src, col_sweep) == SQLITE_NULL
				? 0
				: out_sweep(m, sqlite3_column_int64(src, col_sweep));
		for (int c = 0, p = 1; c < ncols; c++) {
			if (c == col_id)
				continue;
			if (c == col_sweep && !sweep)
				sqlite3_bind_null(out, p);
			else if (c == col_sweep)
				sqlite3_bind_int64(out, p, sweep);
			else if (c == col_status && unfinished)
				sqlite3_bind_text(out, p, "incomplete", -1, SQLITE_STATIC);
			else if (c == col_error && unfinished)
				sqlite3_bind_text(out, p,
						  "still 'running' in the database it was merged from, its writer not seen to end",
						  -1, SQLITE_STATIC);
			else
				sqlite3_bind_value(out, p, sqlite3_column_value(src, c));
			p++;
		}
		if (sqlite3_step(out) != SQLITE_DONE) {
			rc = sql_fail(m, m->out->sql, "copying a run");
			break;
		}
		sqlite3_reset(out);
		out_id = sqlite3_last_insert_rowid(m->out->sql);
		for (size_t i = 0; i < m->run_table_count && !rc; i++)
			rc = copy_run_rows(m, m->run_tables[i], src_id, out_id);
		if (rc)
			break;
		if (action == RUN_REPLACE)
			m->t->runs_replaced++;
		else
			m->t->runs_added++;
		m->t->runs_unfinished += unfinished;
	}
	sqlite3_finalize(src);
	sqlite3_finalize(out);
	sqlite3_finalize(find);
	if (rc == SQLITE_DONE)
		return 0;
	return rc > 0 ? sql_fail(m, m->src, "reading the runs") : rc;
}

/* ---- the merge ---- */

static int same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Open an input read-only, if it is one merge can take into out_path. */
static int open_input(const char *out_path, const char *src_path, struct rec_db **src, char *err, size_t err_len)
{
	struct stat st;
	int rc;

	if (stat(src_path, &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(err, err_len, "%s: a directory, not a database", src_path);
		return -EISDIR;
	}
	if (same_file(src_path, out_path)) {
		snprintf(err, err_len, "%s: is the output database itself; merge other databases into it", src_path);
		return -EPROTO;
	}
	rc = rec_open(src_path, REC_READ_ONLY, src, err, err_len);
	if (rc)
		return rc;
	if ((*src)->schema_version != REC_SCHEMA_VERSION) {
		snprintf(err, err_len,
			 "%s: a memvirt database of schema version %d; merge reads version %d (the next memvirt run or sweep writing to it upgrades it in place)",
			 src_path, (*src)->schema_version, REC_SCHEMA_VERSION);
		rec_close(*src);
		*src = NULL;
		return -EPROTO;
	}
	return 0;
}

int rec_merge_check(const char *out_path, const char *src_path, char *err, size_t err_len)
{
	struct rec_db *src = NULL;
	int rc = open_input(out_path, src_path, &src, err, err_len);

	rec_close(src);
	return rc;
}

int rec_merge(struct rec_db *out, const char *src_path, struct rec_merge_totals *t, char *err, size_t err_len)
{
	struct merge m = {.out = out, .src_path = src_path, .t = t, .err = err, .err_len = err_len};
	struct rec_db *src = NULL;
	bool attached = false;
	int rc;

	if (err && err_len)
		err[0] = '\0';
	rc = open_input(out->path, src_path, &src, err, err_len);
	if (rc)
		return rc;
	m.src = src->sql;
	/* One snapshot of the input, whatever its writers do meanwhile. */
	if (sqlite3_exec(m.src, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(m.src, "SELECT count(*) FROM runs", NULL, NULL, NULL) != SQLITE_OK) {
		rc = sql_fail(&m, m.src, "reading");
		goto out;
	}
	/* The same file attached to the output's connection, for copying
	 * rows inside SQLite; attached outside the transaction, as SQLite
	 * requires, and only read. */
	{
		sqlite3_stmt *st;

		rc = prep(&m, out->sql, &st, "ATTACH DATABASE ? AS merge_src");
		if (rc)
			goto out;
		sqlite3_bind_text(st, 1, src_path, -1, SQLITE_TRANSIENT);
		rc = sqlite3_step(st) == SQLITE_DONE ? 0 : sql_fail(&m, out->sql, "attaching the input");
		sqlite3_finalize(st);
		if (rc)
			goto out;
		attached = true;
	}
	if (sqlite3_exec(out->sql, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		rc = sql_fail(&m, out->sql, "locking the output");
		goto out;
	}
	rc = check_tables(&m);
	rc = rc ? rc : map_event_types(&m);
	rc = rc ? rc : map_sweeps(&m);
	rc = rc ? rc : merge_runs(&m);
	for (size_t i = 0; i < m.sweep_count && !rc; i++) {
		bool seen = false;

		for (size_t k = 0; k < i; k++)
			seen |= m.sweeps[k].out_id == m.sweeps[i].out_id;
		if (m.sweeps[i].merged && !seen)
			rc = settle_merged_sweep(&m, m.sweeps[i].out_id);
	}
	if (!rc && sqlite3_exec(out->sql, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = sql_fail(&m, out->sql, "committing");
	if (rc)
		sqlite3_exec(out->sql, "ROLLBACK", NULL, NULL, NULL);
out:
	if (attached)
		sqlite3_exec(out->sql, "DETACH DATABASE merge_src", NULL, NULL, NULL);
	sqlite3_exec(m.src, "ROLLBACK", NULL, NULL, NULL);
	rec_close(src);
	for (size_t i = 0; i < m.run_table_count; i++)
		free(m.run_tables[i]);
	free(m.run_tables);
	free(m.event_type);
	free(m.sweeps);
	return rc;
}
