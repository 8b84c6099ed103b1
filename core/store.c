/*
 * core/store.c — the results store on SQLite (see store.h for the
 * invariants, docs/results-schema.md for the schema).
 *
 * Speed: events go through one prepared multi-row INSERT (EVENT_ROWS rows
 * per statement) inside one transaction per buffer of EVENT_BATCH events;
 * WAL mode with synchronous=NORMAL, so a commit costs no fsync while a
 * killed process still leaves every committed batch intact.
 */
#include "core/store.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/store_internal.h"
#include "memvirt-config.h"

#define EVENT_ROWS 128                /* rows per INSERT statement */
#define EVENT_COLS 11
#define EVENT_BATCH (EVENT_ROWS * 128) /* events per transaction */



static double monotonic_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static const char *const schema_sql =
	"CREATE TABLE schema_version ("
	"  version INTEGER NOT NULL,"
	"  application TEXT NOT NULL,"
	"  created_at TEXT NOT NULL);"
	"CREATE TABLE event_types ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  counter TEXT NOT NULL,"
	"  help TEXT NOT NULL);"
	"CREATE TABLE runs ("
	"  id INTEGER PRIMARY KEY,"
	"  status TEXT NOT NULL CHECK (status IN ('running','ok','failed','incomplete')),"
	"  engine TEXT NOT NULL,"
	"  backend TEXT NOT NULL,"
	"  workload TEXT NOT NULL,"
	"  params TEXT NOT NULL,"
	"  config TEXT NOT NULL,"
	"  seed INTEGER NOT NULL,"
	"  vms INTEGER NOT NULL,"
	"  rep INTEGER NOT NULL,"
	"  record_level TEXT NOT NULL,"
	"  sweep_id INTEGER,"
	"  command TEXT,"
	"  host TEXT NOT NULL,"
	"  memvirt_version TEXT NOT NULL,"
	"  started_at TEXT NOT NULL,"
	"  ended_at TEXT,"
	"  wall_ns INTEGER,"
	"  exit_code INTEGER,"
	"  error TEXT,"
	"  checksum TEXT,"
	"  modelled_cycles REAL,"
	"  pid INTEGER NOT NULL,"
	"  pid_start INTEGER NOT NULL,"
	"  boot_id TEXT NOT NULL);"
	"CREATE TABLE counters ("
	"  run_id INTEGER NOT NULL REFERENCES runs(id),"
	"  vm INTEGER NOT NULL,"
	"  name TEXT NOT NULL,"
	"  value NUMERIC NOT NULL,"
	"  PRIMARY KEY (run_id, vm, name)) WITHOUT ROWID;"
	"CREATE TABLE events ("
	"  run_id INTEGER NOT NULL REFERENCES runs(id),"
	"  seq INTEGER NOT NULL,"
	"  type INTEGER NOT NULL REFERENCES event_types(id),"
	"  vm INTEGER NOT NULL,"
	"  vcpu INTEGER NOT NULL,"
	"  icount INTEGER NOT NULL,"
	"  gva INTEGER NOT NULL,"
	"  gpa INTEGER NOT NULL,"
	"  hpa INTEGER NOT NULL,"
	"  asid INTEGER NOT NULL,"
	"  detail INTEGER NOT NULL,"
	"  PRIMARY KEY (run_id, seq)) WITHOUT ROWID;"
	"CREATE TABLE timeseries ("
	"  run_id INTEGER NOT NULL REFERENCES runs(id),"
	"  vm INTEGER NOT NULL,"
	"  icount INTEGER NOT NULL,"
	"  name TEXT NOT NULL,"
	"  value NUMERIC NOT NULL);"
	"CREATE INDEX timeseries_run ON timeseries(run_id, name, icount);"
	"CREATE TABLE kvm_stats ("
	"  run_id INTEGER NOT NULL REFERENCES runs(id),"
	"  scope TEXT NOT NULL,"
	"  name TEXT NOT NULL,"
	"  value_before NUMERIC NOT NULL,"
	"  value_after NUMERIC NOT NULL,"
	"  PRIMARY KEY (run_id, scope, name)) WITHOUT ROWID;";

/* Schema version 2, applied on top of version 1 both when creating a
 * database and when migrating one: sweeps and the key that ties a run to
 * its point of a sweep (what `memvirt sweep --resume` matches on). */
static const char *const schema_v2_sql =
	"ALTER TABLE runs ADD COLUMN sweep_key TEXT;"
	"CREATE INDEX runs_sweep_key ON runs(sweep_key);"
	"CREATE TABLE sweeps ("
	"  id INTEGER PRIMARY KEY,"
	"  status TEXT NOT NULL CHECK (status IN ('running','done','interrupted','incomplete')),"
	"  name TEXT NOT NULL,"
	"  file TEXT NOT NULL,"
	"  file_text TEXT NOT NULL,"
	"  command TEXT NOT NULL,"
	"  jobs INTEGER NOT NULL,"
	"  points INTEGER NOT NULL,"
	"  runs_ok INTEGER NOT NULL DEFAULT 0,"
	"  runs_failed INTEGER NOT NULL DEFAULT 0,"
	"  runs_skipped INTEGER NOT NULL DEFAULT 0,"
	"  host TEXT NOT NULL,"
	"  memvirt_version TEXT NOT NULL,"
	"  started_at TEXT NOT NULL,"
	"  ended_at TEXT,"
	"  pid INTEGER NOT NULL,"
	"  pid_start INTEGER NOT NULL,"
	"  boot_id TEXT NOT NULL);";

/* Schema version 3: views for reading results without memvirt (SQL,
 * Python's sqlite3), docs/results-schema.md.  run_summary is one wide
 * row per run; overhead is each ok run against the mean of the native
 * runs of its baseline identity (each seed's runs averaged first, as
 * memvirt's reports do), with the native run of the same seed (else the
 * first) as its baseline run. */
#define MAIN_COUNTER(name) \
	"(SELECT value FROM counters c WHERE c.run_id = r.id AND c.vm = -1 AND c.name = '" name "') AS " name ","
static const char *const schema_v3_sql =
	"CREATE VIEW IF NOT EXISTS run_summary AS SELECT"
	"  r.id AS run_id, r.status, r.sweep_id, r.engine,"
	"  COALESCE(json_extract(r.config, '$.machine'), 'pt') AS machine, r.backend,"
	"  json_extract(r.config, '$.backend_options_canonical') AS backend_options,"
	"  r.workload, r.params, r.vms,"
	"  json_extract(r.config, '$.quantum') AS quantum,"
	"  json_extract(r.config, '$.mem') AS mem,"
	"  json_extract(r.config, '$.tlb_canonical') AS tlb,"
	"  json_extract(r.config, '$.costs_canonical') AS costs,"
	"  r.seed, r.rep, r.wall_ns, r.modelled_cycles,"
	MAIN_COUNTER("instructions") MAIN_COUNTER("vm_exits") MAIN_COUNTER("guest_page_faults")
	MAIN_COUNTER("shadow_faults_hidden") MAIN_COUNTER("true_faults_reflected") MAIN_COUNTER("pt_writes_emulated")
	MAIN_COUNTER("nested_faults") MAIN_COUNTER("walks") MAIN_COUNTER("walk_refs") MAIN_COUNTER("tlb_l2_misses")
	MAIN_COUNTER("guest_tlb_writes") MAIN_COUNTER("hidden_refills") MAIN_COUNTER("reflected_refills")
	"  json_extract(r.config, '$.identity') AS identity,"
	"  json_extract(r.config, '$.baseline_identity') AS baseline_identity,"
	"  r.error, r.started_at, r.ended_at"
	"  FROM runs r;"
	"CREATE VIEW IF NOT EXISTS overhead AS"
	"  WITH native AS (SELECT * FROM run_summary WHERE status = 'ok' AND identity LIKE '%;backend=native;%'),"
	"  per_seed AS (SELECT baseline_identity, seed, AVG(COALESCE(modelled_cycles, wall_ns)) AS metric"
	"               FROM native GROUP BY baseline_identity, seed),"
	"  base AS (SELECT baseline_identity, AVG(metric) AS mean FROM per_seed GROUP BY baseline_identity)"
	"  SELECT r.run_id,"
	"    COALESCE((SELECT MIN(n.run_id) FROM native n WHERE n.baseline_identity = r.baseline_identity"
	"              AND n.seed = r.seed),"
	"             (SELECT MIN(n.run_id) FROM native n WHERE n.baseline_identity = r.baseline_identity))"
	"      AS baseline_run_id,"
	"    COALESCE(r.modelled_cycles, r.wall_ns) / base.mean - 1.0 AS overhead"
	"  FROM run_summary r JOIN base ON base.baseline_identity = r.baseline_identity"
	"  WHERE r.status = 'ok';";
#undef MAIN_COUNTER

/* Schema version 4: what merging databases needs.  A uid names each run
 * and sweep across databases (so a merge recognises what it already
 * copied); a sweep may be one slice of its grid (memvirt sweep --shard);
 * sweep_sources says which input sweeps a merged sweep was made of. */
static const char *const schema_v4_sql =
	"ALTER TABLE runs ADD COLUMN uid TEXT;"
	"UPDATE runs SET uid = lower(hex(randomblob(16))) WHERE uid IS NULL;"
	"CREATE UNIQUE INDEX runs_uid ON runs(uid);"
	"ALTER TABLE sweeps ADD COLUMN uid TEXT;"
	"UPDATE sweeps SET uid = lower(hex(randomblob(16))) WHERE uid IS NULL;"
	"CREATE UNIQUE INDEX sweeps_uid ON sweeps(uid);"
	"ALTER TABLE sweeps ADD COLUMN shard_index INTEGER;"
	"ALTER TABLE sweeps ADD COLUMN shard_count INTEGER;"
	"ALTER TABLE sweeps ADD COLUMN grid_points INTEGER;"
	"UPDATE sweeps SET grid_points = points WHERE grid_points IS NULL;"
	"CREATE TABLE sweep_sources ("
	"  sweep_id INTEGER NOT NULL REFERENCES sweeps(id),"
	"  source_uid TEXT NOT NULL UNIQUE,"
	"  shard_index INTEGER,"
	"  shard_count INTEGER,"
	"  source_path TEXT NOT NULL,"
	"  merged_at TEXT NOT NULL);";

/* Schema version 5: programs (memvirt run --program).  Their identity
 * (path, sha256, arguments, files) is in the run's config JSON, under
 * "program"; what each VM's program wrote to fd 1 and 2 is kept here,
 * the bytes as they came (a BLOB: not necessarily text), with how many
 * more bytes past memvirt's cap were cut. */
static const char *const schema_v5_sql =
	"CREATE TABLE program_output ("
	"  run_id INTEGER NOT NULL REFERENCES runs(id),"
	"  vm INTEGER NOT NULL,"
	"  stream TEXT NOT NULL CHECK (stream IN ('stdout','stderr')),"
	"  data BLOB NOT NULL,"
	"  truncated INTEGER NOT NULL,"
	"  PRIMARY KEY (run_id, vm, stream)) WITHOUT ROWID;";

static void set_err(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

int rec_make_room(struct rec_db *db)
{
	return sqlite3_wal_checkpoint_v2(db->sql, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

const char *rec_errmsg(struct rec_db *db)
{
	if (db && db->last_error[0])
		return db->last_error;
	return db && db->sql ? sqlite3_errmsg(db->sql) : "no database";
}

/* A write failed: keep SQLite's reason for rec_errmsg(). */
int rec_write_failed(struct rec_db *db)
{
	snprintf(db->last_error, sizeof(db->last_error), "%s", sqlite3_errmsg(db->sql));
	return -EIO;
}

static int write_failed(struct rec_db *db)
{
	return rec_write_failed(db);
}

int rec_begin(struct rec_db *db)
{
	return sqlite3_exec(db->sql, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK ? 0 : write_failed(db);
}

int rec_commit(struct rec_db *db)
{
	return sqlite3_exec(db->sql, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? 0 : write_failed(db);
}

void rec_rollback(struct rec_db *db)
{
	sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
}

const char *rec_status_name(enum rec_status status)
{
	switch (status) {
	case REC_STATUS_RUNNING: return "running";
	case REC_STATUS_OK: return "ok";
	case REC_STATUS_FAILED: return "failed";
	case REC_STATUS_INCOMPLETE: return "incomplete";
	}
	return "unknown";
}

static enum rec_status status_parse(const char *text)
{
	if (!text)
		return REC_STATUS_INCOMPLETE;
	if (!strcmp(text, "ok"))
		return REC_STATUS_OK;
	if (!strcmp(text, "failed"))
		return REC_STATUS_FAILED;
	if (!strcmp(text, "running"))
		return REC_STATUS_RUNNING;
	return REC_STATUS_INCOMPLETE;
}

/* ---- who is writing: host, boot and process identity ---- */

static void read_line_file(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	buf[0] = '\0';
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

/* Start time of a process in clock ticks since boot (field 22 of
 * /proc/PID/stat), or 0 when the process does not exist.  Together with
 * the pid and the boot id it names one process unambiguously. */
static uint64_t process_start_time(long pid)
{
	char path[64], buf[1024];
	FILE *f;
	size_t n;
	char *p;
	unsigned long long start = 0;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name may hold spaces and parentheses: skip past the last ')'. */
	p = strrchr(buf, ')');
	if (!p)
		return 0;
	p++;
	/* A zombie (Z) or a dying process (X) writes no more: it is gone,
	 * though its parent has not reaped it yet. */
	if (p[0] == ' ' && (p[1] == 'Z' || p[1] == 'X'))
		return 0;
	/* After ')' come fields 3..; starttime is field 22. */
	for (int field = 3; field < 22 && p; field++) {
		p = strchr(p + 1, ' ');
	}
	if (!p || sscanf(p, " %llu", &start) != 1)
		return 0;
	return start;
}

/* Resolve the status of a stored 'running' row. */
enum rec_status rec_running_row_status(const struct rec_db *db, const char *host, const char *boot_id, long pid,
				       uint64_t pid_start)
{
	if (!host || strcmp(host, db->host) != 0)
		return REC_STATUS_RUNNING; /* another machine's writer: cannot tell */
	if (!boot_id || strcmp(boot_id, db->boot_id) != 0)
		return REC_STATUS_INCOMPLETE; /* this host rebooted since */
	if (process_start_time(pid) != pid_start)
		return REC_STATUS_INCOMPLETE; /* the writer is gone */
	return REC_STATUS_RUNNING;
}

/* ---- opening ---- */

static int exec_sql(struct rec_db *db, const char *sql, char *err, size_t err_len)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db->sql, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		set_err(err, err_len, "%s: %s", db->path, msg ? msg : sqlite3_errstr(rc));
		snprintf(db->last_error, sizeof(db->last_error), "%s", msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return rc == SQLITE_READONLY || rc == SQLITE_CANTOPEN ? -EACCES : -EIO;
	}
	return 0;
}

static int query_int(struct rec_db *db, const char *sql, int64_t *out)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return -EIO;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -ENOENT;
}

static int create_schema(struct rec_db *db, char *err, size_t err_len)
{
	char sql[256];
	sqlite3_stmt *st;
	int rc;

	rc = exec_sql(db, "BEGIN IMMEDIATE", err, err_len);
	if (rc)
		return rc;
	/* Another writer may have created it since we looked: now that we
	 * hold the write lock, look again. */
	{
		int64_t tables = 0;

		if (query_int(db, "SELECT count(*) FROM sqlite_schema", &tables) == 0 && tables > 0) {
			sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
			return -EAGAIN;
		}
	}
	rc = exec_sql(db, schema_sql, err, err_len);
	rc = rc ? rc : exec_sql(db, schema_v2_sql, err, err_len);
	rc = rc ? rc : exec_sql(db, schema_v3_sql, err, err_len);
	rc = rc ? rc : exec_sql(db, schema_v4_sql, err, err_len);
	rc = rc ? rc : exec_sql(db, schema_v5_sql, err, err_len);
	if (rc)
		goto fail;
	snprintf(sql, sizeof(sql),
		 "INSERT INTO schema_version VALUES (%d, '%s', strftime('%%Y-%%m-%%dT%%H:%%M:%%fZ','now'));"
		 "PRAGMA application_id = %d;",
		 REC_SCHEMA_VERSION, REC_APPLICATION, REC_APPLICATION_ID);
	rc = exec_sql(db, sql, err, err_len);
	if (rc)
		goto fail;
	if (sqlite3_prepare_v2(db->sql, "INSERT INTO event_types VALUES (?,?,?,?)", -1, &st,
			       NULL) != SQLITE_OK) {
		rc = -EIO;
		goto fail;
	}
	for (uint32_t t = 0; t < MV_EV__COUNT; t++) {
		const struct mv_event_desc *d = mv_event_describe(t);

		sqlite3_bind_int(st, 1, (int)t);
		sqlite3_bind_text(st, 2, d->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, d->counter, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, d->help, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_finalize(st);
			rc = -EIO;
			goto fail;
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	db->schema_version = REC_SCHEMA_VERSION;
	db->created = true;
	return exec_sql(db, "COMMIT", err, err_len);
fail:
	if (err && !err[0])
		set_err(err, err_len, "%s: cannot create the schema: %s", db->path,
			sqlite3_errmsg(db->sql));
	sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* One migration step, in one transaction: the SQL that takes a database
 * of version `to` - 1 to version `to`, and the version recorded.
 *   1 → 2: what sweeps need; rows already there are kept (their
 *          sweep_key is NULL: they belong to no sweep point).
 *   2 → 3: the views; nothing stored changes.
 *   3 → 4: uids for the runs and sweeps already there, shards.
 *   4 → 5: the program output table; nothing stored changes. */
static const char *migration_sql(int to)
{
	switch (to) {
	case 2: return schema_v2_sql;
	case 3: return schema_v3_sql;
	case 4: return schema_v4_sql;
	default: return schema_v5_sql;   /* REC_SCHEMA_VERSION */
	}
}

static int migrate_to(struct rec_db *db, int to, char *err, size_t err_len)
{
	char sql[128];
	int rc = exec_sql(db, "BEGIN IMMEDIATE", err, err_len);

	if (rc)
		return rc;
	snprintf(sql, sizeof(sql), "UPDATE schema_version SET version = %d WHERE application = 'memvirt'",
		 to);
	rc = exec_sql(db, migration_sql(to), err, err_len);
	rc = rc ? rc : exec_sql(db, sql, err, err_len);
	if (rc) {
		sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	return exec_sql(db, "COMMIT", err, err_len);
}

/* Make sure the file is a memvirt database this version can read. */
static int check_schema(struct rec_db *db, bool may_create, char *err, size_t err_len)
{
	int64_t tables = 0, app_id = 0, version = 0;
	int rc;

	rc = query_int(db, "SELECT count(*) FROM sqlite_schema", &tables);
	if (rc) {
		set_err(err, err_len, "%s: not an SQLite database (%s); memvirt reads only the databases it wrote",
			db->path, sqlite3_errmsg(db->sql));
		return -EPROTO;
	}
	query_int(db, "PRAGMA application_id", &app_id);
	if (tables == 0 && app_id == 0) {
		if (!may_create) {
			set_err(err, err_len, "%s: empty database, no memvirt runs in it", db->path);
			return -EPROTO;
		}
		rc = create_schema(db, err, err_len);
		if (rc != -EAGAIN)
			return rc;
		/* Created by the other writer: check it like any other file. */
		rc = query_int(db, "SELECT count(*) FROM sqlite_schema", &tables);
		query_int(db, "PRAGMA application_id", &app_id);
	}
	if (app_id != REC_APPLICATION_ID ||
	    query_int(db, "SELECT version FROM schema_version WHERE application = 'memvirt'",
		      &version) != 0) {
		set_err(err, err_len,
			"%s: not a memvirt results database (it belongs to another application); give --db a new file or a memvirt database",
			db->path);
		return -EPROTO;
	}
	if (version > REC_SCHEMA_VERSION) {
		set_err(err, err_len,
			"%s: written by a newer memvirt (schema version %" PRId64 ", this memvirt %s reads up to %d); upgrade memvirt or use another --db",
			db->path, version, MEMVIRT_VERSION, REC_SCHEMA_VERSION);
		return -ERANGE;
	}
	if (version < 1) {
		set_err(err, err_len, "%s: corrupt memvirt database (schema version %" PRId64 ")",
			db->path, version);
		return -EPROTO;
	}
	/* A memvirt database with a table gone is damaged: say which. */
	{
		static const char *const tables_v1[] = {"runs", "counters", "events", "event_types", "timeseries",
							 "kvm_stats"};

		size_t n_v1 = sizeof(tables_v1) / sizeof(tables_v1[0]);

		for (size_t i = 0; i < n_v1 + 3; i++) {
			const char *name = i < n_v1 ? tables_v1[i] : i == n_v1 ? "sweeps"
								 : i == n_v1 + 1 ? "sweep_sources"
										 : "program_output";
			char sql[128];
			int64_t n = 0;

			if ((!strcmp(name, "sweeps") && version < 2) || (!strcmp(name, "sweep_sources") && version < 4) ||
			    (!strcmp(name, "program_output") && version < 5))
				continue;
			snprintf(sql, sizeof(sql), "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = '%s'",
				 name);
			if (query_int(db, sql, &n) != 0 || n != 1) {
				set_err(err, err_len,
					"%s: a damaged memvirt database: its table '%s' is missing; give --db another file",
					db->path, name);
				return -EPROTO;
			}
		}
	}
	db->schema_version = (int)version;
	for (int to = (int)version + 1; may_create && version >= 1 && to <= REC_SCHEMA_VERSION; to++) {
		rc = migrate_to(db, to, err, err_len);
		if (rc)
			return rc;
		db->schema_version = to;
	}
	return 0;
}

static int prepare(struct rec_db *db, sqlite3_stmt **st, const char *sql)
{
	return sqlite3_prepare_v3(db->sql, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) ==
			       SQLITE_OK
		       ? 0
		       : -EIO;
}

static int prepare_writers(struct rec_db *db)
{
	char sql[EVENT_ROWS * (EVENT_COLS * 2 + 4) + 128];
	size_t off;
	int rc;

	off = (size_t)snprintf(sql, sizeof(sql), "INSERT INTO events VALUES ");
	for (int r = 0; r < EVENT_ROWS; r++)
		off += (size_t)snprintf(sql + off, sizeof(sql) - off, "%s(?,?,?,?,?,?,?,?,?,?,?)",
					r ? "," : "");
	rc = prepare(db, &db->insert_events, sql);
	rc = rc ? rc
		: prepare(db, &db->insert_event_one,
			  "INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?,?,?)");
	rc = rc ? rc
		: prepare(db, &db->insert_counter,
			  "INSERT OR REPLACE INTO counters VALUES (?,?,?,?)");
	rc = rc ? rc
		: prepare(db, &db->insert_series,
			  "INSERT INTO timeseries VALUES (?,?,?,?,?)");
	return rc;
}

/* Stops quick_check() past its time: a large database is appended to
 * without the whole check (a few MB/s would hold every run of a sweep). */
static int check_budget(void *ctx)
{
	return monotonic_s() > *(double *)ctx;
}

/* Runs are not added to a damaged database: what is there might be lost
 * with them, and what is added might not read back. */
static int quick_check(struct rec_db *db, char *err, size_t err_len)
{
	double until = monotonic_s() + 0.5;
	sqlite3_stmt *st;
	int rc;

	sqlite3_progress_handler(db->sql, 1000, check_budget, &until);
	rc = sqlite3_prepare_v2(db->sql, "PRAGMA quick_check(1)", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			const char *first = (const char *)sqlite3_column_text(st, 0);

			if (first && strcmp(first, "ok")) {
				char what[256];

				snprintf(what, sizeof(what), "%s", first);
				for (char *c = what; *c; c++)
					if ((unsigned char)*c < 0x20)
						*c = ' ';
				first = what;
				set_err(err, err_len,
					"%s fails SQLite's quick_check (%s); memvirt adds no runs to a damaged database: "
					"read it with memvirt compare or export, or recover it with sqlite3's .recover",
					db->path, first);
				sqlite3_finalize(st);
				sqlite3_progress_handler(db->sql, 0, NULL, NULL);
				return -EPROTO;
			}
		} else if (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB) {
			set_err(err, err_len, "%s fails SQLite's quick_check (%s); memvirt adds no runs to a damaged database",
				db->path, sqlite3_errmsg(db->sql));
			sqlite3_finalize(st);
			sqlite3_progress_handler(db->sql, 0, NULL, NULL);
			return -EPROTO;
		}
		sqlite3_finalize(st);
	}
	sqlite3_progress_handler(db->sql, 0, NULL, NULL);
	return 0;
}

/* Mark this host's runs whose writer died as incomplete, for good.
 * All in one write transaction taken first: an UPDATE stepped under a
 * read snapshot must upgrade it to a write, which SQLite refuses at once
 * (no busy wait) whenever another writer has committed since, and sweeps
 * run writers side by side.  BEGIN IMMEDIATE waits for the lock instead,
 * and nothing can commit between the SELECT and the UPDATEs (whose
 * status test only keeps a row the scan meets again from being counted
 * twice). */
static int reap_dead_runs(struct rec_db *db)
{
	sqlite3_stmt *sel = NULL, *upd = NULL;
	int rc = 0, step = SQLITE_DONE;

	if (sqlite3_exec(db->sql, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return write_failed(db);
	if (sqlite3_prepare_v2(db->sql,
			       "SELECT id, host, boot_id, pid, pid_start FROM runs WHERE status = 'running'",
			       -1, &sel, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db->sql,
			       "UPDATE runs SET status = 'incomplete', error = 'the memvirt process writing this run ended before finishing it' WHERE id = ? AND status = 'running'",
			       -1, &upd, NULL) != SQLITE_OK) {
		rc = write_failed(db);
		goto out;
	}
	while (!rc && (step = sqlite3_step(sel)) == SQLITE_ROW) {
		enum rec_status st = rec_running_row_status(
			db, (const char *)sqlite3_column_text(sel, 1),
			(const char *)sqlite3_column_text(sel, 2), (long)sqlite3_column_int64(sel, 3),
			(uint64_t)sqlite3_column_int64(sel, 4));

		if (st != REC_STATUS_INCOMPLETE)
			continue;
		sqlite3_bind_int64(upd, 1, sqlite3_column_int64(sel, 0));
		if (sqlite3_step(upd) != SQLITE_DONE)
			rc = write_failed(db);
		sqlite3_reset(upd);
	}
	if (!rc && step != SQLITE_DONE)
		rc = write_failed(db);
out:
	sqlite3_finalize(sel);
	sqlite3_finalize(upd);
	if (!rc && sqlite3_exec(db->sql, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = write_failed(db);
	if (rc)
		sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

int rec_open(const char *path, enum rec_mode mode, struct rec_db **out, char *err,
	     size_t err_len)
{
	struct rec_db *db;
	int flags, rc;

	if (err && err_len)
		err[0] = '\0';
	db = calloc(1, sizeof(*db));
	if (!db) {
		set_err(err, err_len, "out of memory");
		return -ENOMEM;
	}
	snprintf(db->path, sizeof(db->path), "%s", path);
	db->writable = mode == REC_READ_WRITE;
	if (gethostname(db->host, sizeof(db->host)) != 0)
		snprintf(db->host, sizeof(db->host), "unknown");
	read_line_file("/proc/sys/kernel/random/boot_id", db->boot_id, sizeof(db->boot_id));

	if (!db->writable && access(path, F_OK) != 0) {
		set_err(err, err_len, "%s: no such database (run `memvirt run` first, or give --db)",
			path);
		free(db);
		return -ENOENT;
	}
	flags = db->writable ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY;
	rc = sqlite3_open_v2(path, &db->sql, flags | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		set_err(err, err_len, "%s: cannot open: %s", path,
			db->sql ? sqlite3_errmsg(db->sql) : sqlite3_errstr(rc));
		rc = -EACCES;
		goto fail;
	}
	sqlite3_extended_result_codes(db->sql, 1);
	sqlite3_busy_timeout(db->sql, 10000);
	if (db->writable) {
		/* WAL lets readers (compare, report) work while runs write. */
		/* A bigger page cache keeps the events B-tree's right edge in
		 * memory between batches.  Foreign keys are declared for readers
		 * but not enforced: this module is the only writer and inserts
		 * only run ids it created and event types from the table, and
		 * enforcement costs a fifth of the event rate (bench/recorder). */
		/* Switching a new file to WAL takes a lock SQLite does not wait
		 * for (no busy handler there): another writer opening the same
		 * new file at the same moment makes it fail at once, so try
		 * again for a while. */
		for (int tries = 0;; tries++) {
			rc = exec_sql(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
					  "PRAGMA foreign_keys = OFF; PRAGMA cache_size = -32768;", err, err_len);
			if (!rc || tries == 200 || !strstr(db->last_error, "locked"))
				break;
			usleep(25000);
		}
		if (rc) {
			if (strstr(err, "not a database") || strstr(err, "file is not") || strstr(err, "malformed")) {
				char why[sizeof(db->last_error)];

				snprintf(why, sizeof(why), "%s", db->last_error);
				set_err(err, err_len,
					"%s: not an SQLite database (%s); memvirt reads only the databases it wrote", path,
					why);
				rc = -EPROTO;
			}
			goto fail;
		}
	}
	rc = check_schema(db, db->writable, err, err_len);
	if (rc)
		goto fail;
	if (db->writable && !db->created) {
		rc = quick_check(db, err, err_len);
		if (rc)
			goto fail;
	}
	if (db->writable) {
		rc = prepare_writers(db);
		if (rc) {
			set_err(err, err_len, "%s: %s", path, sqlite3_errmsg(db->sql));
			goto fail;
		}
		rc = reap_dead_runs(db);
		if (rc) {
			set_err(err, err_len, "%s: cannot update runs: %s", path, rec_errmsg(db));
			goto fail;
		}
		db->events = malloc(sizeof(*db->events) * EVENT_BATCH);
		if (!db->events) {
			set_err(err, err_len, "out of memory");
			rc = -ENOMEM;
			goto fail;
		}
	}
	*out = db;
	return 0;
fail:
	rec_close(db);
	return rc;
}

void rec_close(struct rec_db *db)
{
	if (!db)
		return;
	/* Events still buffered belong to a run its writer did not finish;
	 * keep them if the database lets us (the run stays detectable). */
	if (db->event_count) {
		int rc = rec_run_flush(db);

		(void)rc;
	}
	sqlite3_finalize(db->insert_events);
	sqlite3_finalize(db->insert_event_one);
	sqlite3_finalize(db->insert_counter);
	sqlite3_finalize(db->insert_series);
	sqlite3_close(db->sql);
	free(db->events);
	free(db);
}

/* ---- writing a run ---- */

int rec_run_begin(struct rec_db *db, const struct rec_run_desc *d, int64_t *run_id)
{
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(db->sql,
				"INSERT INTO runs (status, engine, backend, workload, params, config, seed, vms, rep,"
				" record_level, sweep_id, command, host, memvirt_version, started_at, pid, pid_start, boot_id,"
				" sweep_key, uid)"
				" VALUES ('running',?,?,?,?,?,?,?,?,?,?,?,?,?,strftime('%Y-%m-%dT%H:%M:%fZ','now'),?,?,?,?,"
				" lower(hex(randomblob(16))))",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, d->engine, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, d->backend, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, d->workload, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, d->params_json ? d->params_json : "{}", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, d->config_json ? d->config_json : "{}", -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 6, (int64_t)d->seed);
	sqlite3_bind_int64(st, 7, d->vms);
	sqlite3_bind_int64(st, 8, d->rep);
	sqlite3_bind_text(st, 9, d->record_level ? d->record_level : "summary", -1,
			  SQLITE_TRANSIENT);
	if (d->sweep_id)
		sqlite3_bind_int64(st, 10, d->sweep_id);
	else
		sqlite3_bind_null(st, 10);
	if (d->command)
		sqlite3_bind_text(st, 11, d->command, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, 11);
	sqlite3_bind_text(st, 12, db->host, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 13, MEMVIRT_VERSION, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 14, (int64_t)getpid());
	sqlite3_bind_int64(st, 15, (int64_t)process_start_time((long)getpid()));
	sqlite3_bind_text(st, 16, db->boot_id, -1, SQLITE_TRANSIENT);
	if (d->sweep_key)
		sqlite3_bind_text(st, 17, d->sweep_key, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, 17);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		write_failed(db);
		sqlite3_finalize(st);
		return -EIO;
	}
	sqlite3_finalize(st);
	*run_id = sqlite3_last_insert_rowid(db->sql);
	return 0;
}

int rec_run_counter(struct rec_db *db, int64_t run_id, int vm, const char *name, double value)
{
	sqlite3_stmt *st = db->insert_counter;
	int rc;

	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_int(st, 2, vm);
	sqlite3_bind_text(st, 3, name, -1, SQLITE_TRANSIENT);
	/* Counters are integers nearly always; keep them exact. */
	if (value == (double)(int64_t)value)
		sqlite3_bind_int64(st, 4, (int64_t)value);
	else
		sqlite3_bind_double(st, 4, value);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		write_failed(db);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

static void bind_event(sqlite3_stmt *st, int base, int64_t run_id, int64_t seq,
		       const struct mv_event *ev)
{
	sqlite3_bind_int64(st, base + 1, run_id);
	sqlite3_bind_int64(st, base + 2, seq);
	sqlite3_bind_int(st, base + 3, (int)ev->type);
	sqlite3_bind_int(st, base + 4, ev->vm);
	sqlite3_bind_int(st, base + 5, ev->vcpu);
	sqlite3_bind_int64(st, base + 6, (int64_t)ev->icount);
	sqlite3_bind_int64(st, base + 7, (int64_t)ev->gva);
	sqlite3_bind_int64(st, base + 8, (int64_t)ev->gpa);
	sqlite3_bind_int64(st, base + 9, (int64_t)ev->hpa);
	sqlite3_bind_int64(st, base + 10, ev->asid);
	sqlite3_bind_int64(st, base + 11, (int64_t)ev->detail);
}

int rec_run_flush(struct rec_db *db)
{
	size_t i = 0;
	int rc;

	if (!db->event_count)
		return 0;
	if (sqlite3_exec(db->sql, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return write_failed(db);
	for (; i + EVENT_ROWS <= db->event_count; i += EVENT_ROWS) {
		for (int r = 0; r < EVENT_ROWS; r++)
			bind_event(db->insert_events, r * EVENT_COLS, db->event_run,
				   db->event_seq++, &db->events[i + (size_t)r]);
		rc = sqlite3_step(db->insert_events);
		sqlite3_reset(db->insert_events);
		if (rc != SQLITE_DONE)
			goto fail;
	}
	for (; i < db->event_count; i++) {
		bind_event(db->insert_event_one, 0, db->event_run, db->event_seq++, &db->events[i]);
		rc = sqlite3_step(db->insert_event_one);
		sqlite3_reset(db->insert_event_one);
		if (rc != SQLITE_DONE)
			goto fail;
	}
	if (sqlite3_exec(db->sql, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	db->event_count = 0;
	db->last_flush_s = monotonic_s();
	return 0;
fail:
	write_failed(db);
	sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
	db->event_count = 0;
	return -EIO;
}

int rec_run_event(struct rec_db *db, int64_t run_id, const struct mv_event *ev)
{
	int rc;

	if (db->event_count && db->event_run != run_id) {
		rc = rec_run_flush(db);
		if (rc)
			return rc;
	}
	if (db->event_run != run_id) {
		int64_t next = 0;
		sqlite3_stmt *st;

		/* Continue the run's sequence (events of one run may come in
		 * several flushes, and the row key must stay unique). */
		if (sqlite3_prepare_v2(db->sql,
				       "SELECT coalesce(max(seq) + 1, 0) FROM events WHERE run_id = ?",
				       -1, &st, NULL) != SQLITE_OK)
			return -EIO;
		sqlite3_bind_int64(st, 1, run_id);
		if (sqlite3_step(st) == SQLITE_ROW)
			next = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		db->event_run = run_id;
		db->event_seq = next;
	}
	db->events[db->event_count++] = *ev;
	if (db->event_count == EVENT_BATCH)
		return rec_run_flush(db);
	/* A slow trickle of events is still committed about every second, so
	 * a killed run loses at most the last second of them. */
	if (db->event_count % 1024 == 0 && monotonic_s() - db->last_flush_s > 1.0)
		return rec_run_flush(db);
	return 0;
}

int rec_run_timeseries(struct rec_db *db, int64_t run_id, int vm, uint64_t icount,
		       const char *name, double value)
{
	sqlite3_stmt *st = db->insert_series;
	int rc;

	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_int(st, 2, vm);
	sqlite3_bind_int64(st, 3, (int64_t)icount);
	sqlite3_bind_text(st, 4, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_double(st, 5, value);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		write_failed(db);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int rec_run_timeseries_snapshot(struct rec_db *db, int64_t run_id, int vm, uint64_t icount,
				const struct ctr_set *ctr)
{
	int rc = 0;

	if (sqlite3_exec(db->sql, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return write_failed(db);
	for (size_t i = 0; !rc && i < ctr->count; i++)
		if (ctr->items[i].vm == vm)
			rc = rec_run_timeseries(db, run_id, vm, icount, ctr->items[i].name, ctr->items[i].value);
	if (rc || sqlite3_exec(db->sql, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		if (!rc)
			write_failed(db);
		sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
		return -EIO;
	}
	return 0;
}

int rec_run_timeseries_read(struct rec_db *db, int64_t run_id, int vm, const char *name, rec_series_fn fn,
			    void *ctx)
{
	sqlite3_stmt *st;
	int rc = 0;

	if (sqlite3_prepare_v2(db->sql,
			       "SELECT icount, value FROM timeseries WHERE run_id = ? AND vm = ? AND name = ?"
			       " ORDER BY icount",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_int(st, 2, vm);
	sqlite3_bind_text(st, 3, name, -1, SQLITE_TRANSIENT);
	while (!rc && (rc = sqlite3_step(st)) == SQLITE_ROW)
		rc = fn(ctx, vm, (uint64_t)sqlite3_column_int64(st, 0),
			sqlite3_column_double(st, 1));
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (rc > 0)
		rc = -EIO;
	sqlite3_finalize(st);
	return rc;
}

int rec_run_kvm_stat(struct rec_db *db, int64_t run_id, const char *scope, const char *name,
		     double before, double after)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->sql, "INSERT OR REPLACE INTO kvm_stats VALUES (?,?,?,?,?)", -1,
			       &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_text(st, 2, scope, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_double(st, 4, before);
	sqlite3_bind_double(st, 5, after);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int rec_run_output(struct rec_db *db, int64_t run_id, int vm, const char *stream, const void *data, size_t len,
		   uint64_t truncated)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->sql, "INSERT OR REPLACE INTO program_output VALUES (?,?,?,?,?)", -1, &st, NULL) !=
	    SQLITE_OK)
		return rec_write_failed(db);
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_int(st, 2, vm);
	sqlite3_bind_text(st, 3, stream, -1, SQLITE_TRANSIENT);
	/* An empty stream is a zero-length BLOB, not NULL. */
	sqlite3_bind_blob64(st, 4, data ? data : "", len, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 5, (int64_t)truncated);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : rec_write_failed(db);
}

int rec_run_outputs(struct rec_db *db, int64_t run_id, rec_output_fn fn, void *ctx)
{
	sqlite3_stmt *st;
	int rc = 0;

	if (db->schema_version < 5)
		return 0;
	if (sqlite3_prepare_v2(db->sql,
			       "SELECT vm, stream, data, truncated FROM program_output WHERE run_id = ? ORDER BY vm, stream DESC",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, run_id);
	while (!rc && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		rc = fn(ctx, sqlite3_column_int(st, 0), (const char *)sqlite3_column_text(st, 1),
			sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2),
			(uint64_t)sqlite3_column_int64(st, 3));
	}
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (rc > 0)
		rc = -EIO;
	sqlite3_finalize(st);
	return rc;
}

int rec_run_finish(struct rec_db *db, int64_t run_id, const struct rec_run_result *res)
{
	sqlite3_stmt *st;
	int rc;

	rc = rec_run_flush(db);
	if (rc)
		return rc;
	if (sqlite3_prepare_v2(db->sql,
			       "UPDATE runs SET status = ?, exit_code = ?, error = ?, checksum = ?, wall_ns = ?,"
			       " modelled_cycles = ?, ended_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, rec_status_name(res->status), -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, res->exit_code);
	if (res->error)
		sqlite3_bind_text(st, 3, res->error, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, 3);
	if (res->checksum_json)
		sqlite3_bind_text(st, 4, res->checksum_json, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, 4);
	sqlite3_bind_int64(st, 5, (int64_t)res->wall_ns);
	if (res->modelled_cycles >= 0)
		sqlite3_bind_double(st, 6, res->modelled_cycles);
	else
		sqlite3_bind_null(st, 6);
	sqlite3_bind_int64(st, 7, run_id);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		write_failed(db);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

/* ---- reading ---- */

struct selector {
	char *where;      /* SQL condition over runs, bound parameters in order */
	char *params[64];
	int param_count;
	long last;        /* 0: all */
	/* status=: decided on the resolved status (a dead writer's 'running'
	 * row is incomplete), so not in SQL; -1: no filter. */
	int status;
};

static void selector_free(struct selector *s)
{
	free(s->where);
	for (int i = 0; i < s->param_count; i++)
		free(s->params[i]);
}

static int append(char **buf, size_t *len, size_t *cap, const char *text)
{
	size_t n = strlen(text);

	if (*len + n + 1 > *cap) {
		size_t ncap = (*cap ? *cap * 2 : 256) + n;
		char *nb = realloc(*buf, ncap);

		if (!nb)
			return -ENOMEM;
		*buf = nb;
		*cap = ncap;
	}
	memcpy(*buf + *len, text, n + 1);
	*len += n;
	return 0;
}

static bool parse_id(const char *s, const char *end, int64_t *out)
{
	char *e;
	long long v;

	if (s == end || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoll(s, &e, 10);
	if (errno || e != end || v <= 0)
		return false;
	*out = v;
	return true;
}

static int selector_parse(const char *text, struct selector *sel, char *err, size_t err_len)
{
	static const char *const keys[] = {"engine", "backend", "workload", "status", "sweep"};
	char *ids = NULL, *filters = NULL;
	size_t ids_len = 0, ids_cap = 0, f_len = 0, f_cap = 0;
	const char *p = text ? text : "";
	int rc = 0;

	memset(sel, 0, sizeof(*sel));
	sel->status = -1;
	while (*p) {
		const char *end = strchr(p, ',');
		const char *eq, *dash;
		char term[256];
		int64_t a, b;

		if (!end)
			end = p + strlen(p);
		if ((size_t)(end - p) >= sizeof(term) || end == p) {
			set_err(err, err_len, "bad run selector term '%.*s'", (int)(end - p), p);
			rc = -EINVAL;
			goto out;
		}
		memcpy(term, p, (size_t)(end - p));
		term[end - p] = '\0';
		eq = strchr(term, '=');
		dash = strchr(term, '-');
		if (!strncmp(term, "last:", 5)) {
			if (!parse_id(term + 5, term + strlen(term), &a)) {
				set_err(err, err_len, "bad run selector '%s': last:N needs a positive N",
					term);
				rc = -EINVAL;
				goto out;
			}
			sel->last = (long)a;
		} else if (eq) {
			size_t k;
			char cond[64];

			for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
				if ((size_t)(eq - term) == strlen(keys[k]) &&
				    !strncmp(term, keys[k], strlen(keys[k])))
					break;
			if (k == sizeof(keys) / sizeof(keys[0]) || sel->param_count == 64) {
				set_err(err, err_len,
					"bad run selector '%s': filters are engine=, backend=, workload=, status=, sweep=",
					term);
				rc = -EINVAL;
				goto out;
			}
			if (!strcmp(keys[k], "status")) {
				int want = -1;

				for (int v = REC_STATUS_RUNNING; v <= REC_STATUS_INCOMPLETE; v++)
					if (!strcmp(eq + 1, rec_status_name((enum rec_status)v)))
						want = v;
				if (want < 0) {
					set_err(err, err_len,
						"bad run selector '%s': status is one of running, ok, failed, incomplete",
						term);
					rc = -EINVAL;
					goto out;
				}
				sel->status = want;
				p = *end ? end + 1 : end;
				continue;
			}
			snprintf(cond, sizeof(cond), "%s%s = ?", f_len ? " AND " : "",
				 !strcmp(keys[k], "sweep") ? "sweep_id" : keys[k]);
			if (append(&filters, &f_len, &f_cap, cond)) {
				rc = -ENOMEM;
				goto out;
			}
			sel->params[sel->param_count++] = strdup(eq + 1);
		} else if (dash && parse_id(term, dash, &a) &&
			   parse_id(dash + 1, term + strlen(term), &b) && a <= b) {
			char cond[96];

			snprintf(cond, sizeof(cond), "%s(id BETWEEN %" PRId64 " AND %" PRId64 ")",
				 ids_len ? " OR " : "", a, b);
			if (append(&ids, &ids_len, &ids_cap, cond)) {
				rc = -ENOMEM;
				goto out;
			}
		} else if (parse_id(term, term + strlen(term), &a)) {
			char cond[64];

			snprintf(cond, sizeof(cond), "%sid = %" PRId64, ids_len ? " OR " : "", a);
			if (append(&ids, &ids_len, &ids_cap, cond)) {
				rc = -ENOMEM;
				goto out;
			}
		} else {
			set_err(err, err_len,
				"bad run selector term '%s': use run ids (12), ranges (10-20), last:N or key=value filters",
				term);
			rc = -EINVAL;
			goto out;
		}
		p = *end ? end + 1 : end;
	}
	{
		char *w = NULL;
		size_t wl = 0, wc = 0;

		rc = append(&w, &wl, &wc, "1");
		if (!rc && ids_len) {
			rc = append(&w, &wl, &wc, " AND (");
			rc = rc ? rc : append(&w, &wl, &wc, ids);
			rc = rc ? rc : append(&w, &wl, &wc, ")");
		}
		if (!rc && f_len) {
			rc = append(&w, &wl, &wc, " AND ");
			rc = rc ? rc : append(&w, &wl, &wc, filters);
		}
		sel->where = w;
	}
out:
	free(ids);
	free(filters);
	if (rc)
		selector_free(sel);
	return rc;
}

static const char *col_text(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return t ? (const char *)t : NULL;
}

/* The row at st's cursor, its status resolved. */
static void read_run_row(struct rec_db *db, sqlite3_stmt *st, struct rec_run_row *row)
{
	*row = (struct rec_run_row){
		.id = sqlite3_column_int64(st, 0),
		.status = status_parse(col_text(st, 1)),
		.engine = col_text(st, 2),
		.backend = col_text(st, 3),
		.workload = col_text(st, 4),
		.params_json = col_text(st, 5),
		.config_json = col_text(st, 6),
		.record_level = col_text(st, 7),
		.host = col_text(st, 8),
		.version = col_text(st, 9),
		.started_at = col_text(st, 10),
		.ended_at = col_text(st, 11),
		.error = col_text(st, 12),
		.checksum_json = col_text(st, 13),
		.command = col_text(st, 14),
		.seed = (uint64_t)sqlite3_column_int64(st, 15),
		.wall_ns = (uint64_t)sqlite3_column_int64(st, 16),
		.vms = (uint32_t)sqlite3_column_int64(st, 17),
		.rep = (uint32_t)sqlite3_column_int64(st, 18),
		.exit_code = sqlite3_column_int(st, 19),
		.modelled_cycles = sqlite3_column_type(st, 20) == SQLITE_NULL ? -1.0
									: sqlite3_column_double(st, 20),
		.sweep_id = sqlite3_column_int64(st, 21),
		.sweep_key = db->schema_version >= 2 ? col_text(st, 25) : NULL,
	};
	if (row->status == REC_STATUS_RUNNING) {
		row->status = rec_running_row_status(db, row->host, col_text(st, 22),
						 (long)sqlite3_column_int64(st, 23),
						 (uint64_t)sqlite3_column_int64(st, 24));
		if (row->status == REC_STATUS_INCOMPLETE && !row->error)
			row->error = "the memvirt process writing this run ended before finishing it";
	}
}

int rec_select_runs(struct rec_db *db, const char *selector, rec_run_fn fn, void *ctx,
		    char *err, size_t err_len)
{
	struct selector sel;
	char *sql;
	sqlite3_stmt *st;
	long skip = 0;
	int rc;

	rc = selector_parse(selector, &sel, err, err_len);
	if (rc)
		return rc;
	/* A status filter is decided per row in C, so last:N counts the
	 * rows that pass it: count them first, then skip all but the last N. */
	if (asprintf(&sql,
		     "SELECT id, status, engine, backend, workload, params, config, record_level,"
		     " host, memvirt_version, started_at, ended_at, error, checksum, command, seed,"
		     " wall_ns, vms, rep, exit_code, modelled_cycles, sweep_id, boot_id, pid, pid_start%s"
		     " FROM runs WHERE %s ORDER BY id",
		     db->schema_version >= 2 ? ", sweep_key" : "", sel.where) < 0) {
		selector_free(&sel);
		return -ENOMEM;
	}
	rc = sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL);
	free(sql);
	if (rc != SQLITE_OK) {
		set_err(err, err_len, "%s: %s", db->path, sqlite3_errmsg(db->sql));
		selector_free(&sel);
		return -EIO;
	}
	for (int i = 0; i < sel.param_count; i++)
		sqlite3_bind_text(st, i + 1, sel.params[i], -1, SQLITE_TRANSIENT);
	if (sel.last) {
		long matched = 0;

		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			struct rec_run_row row;

			read_run_row(db, st, &row);
			matched += sel.status < 0 || (int)row.status == sel.status;
		}
		skip = matched > sel.last ? matched - sel.last : 0;
		sqlite3_reset(st);
	}
	rc = 0;
	while (!rc && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct rec_run_row row;

		read_run_row(db, st, &row);
		if (sel.status >= 0 && (int)row.status != sel.status) {
			rc = 0;
			continue;
		}
		if (skip > 0) {
			skip--;
			rc = 0;
			continue;
		}
		rc = fn(ctx, &row);
	}
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (rc > 0) {
		set_err(err, err_len, "%s: %s", db->path, sqlite3_errmsg(db->sql));
		rc = -EIO;
	}
	sqlite3_finalize(st);
	selector_free(&sel);
	return rc;
}

int rec_run_counters(struct rec_db *db, int64_t run_id, rec_counter_fn fn, void *ctx)
{
	sqlite3_stmt *st;
	int rc = 0;

	if (sqlite3_prepare_v2(db->sql,
			       "SELECT vm, name, value FROM counters WHERE run_id = ? ORDER BY vm, name", -1,
			       &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, run_id);
	while (!rc && sqlite3_step(st) == SQLITE_ROW)
		rc = fn(ctx, sqlite3_column_int(st, 0), col_text(st, 1),
			sqlite3_column_double(st, 2));
	sqlite3_finalize(st);
	return rc;
}

/* ---- sweeps (schema version 2) ---- */

static int need_v2(struct rec_db *db)
{
	/* A version-1 file opened read-only has no sweeps: nothing to find. */
	return db->schema_version >= 2 ? 0 : -ENOENT;
}

int rec_sweep_begin(struct rec_db *db, const struct rec_sweep_desc *d, int64_t *sweep_id)
{
	sqlite3_stmt *st;
	int rc = need_v2(db);

	if (rc)
		return rc;
	if (sqlite3_prepare_v2(db->sql,
			       "INSERT INTO sweeps (status, name, file, file_text, command, jobs, points, host,"
			       " memvirt_version, started_at, pid, pid_start, boot_id, uid, shard_index, shard_count,"
			       " grid_points)"
			       " VALUES ('running',?,?,?,?,?,?,?,?,strftime('%Y-%m-%dT%H:%M:%fZ','now'),?,?,?,"
			       " lower(hex(randomblob(16))),?,?,?)",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, d->name ? d->name : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, d->file ? d->file : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, d->file_text ? d->file_text : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, d->command ? d->command : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 5, d->jobs);
	sqlite3_bind_int64(st, 6, d->points);
	sqlite3_bind_text(st, 7, db->host, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 8, MEMVIRT_VERSION, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, (int64_t)getpid());
	sqlite3_bind_int64(st, 10, (int64_t)process_start_time((long)getpid()));
	sqlite3_bind_text(st, 11, db->boot_id, -1, SQLITE_TRANSIENT);
	if (d->shard_count) {
		sqlite3_bind_int64(st, 12, d->shard_index);
		sqlite3_bind_int64(st, 13, d->shard_count);
	} else {
		sqlite3_bind_null(st, 12);
		sqlite3_bind_null(st, 13);
	}
	sqlite3_bind_int64(st, 14, d->grid_points ? d->grid_points : d->points);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return write_failed(db);
	*sweep_id = sqlite3_last_insert_rowid(db->sql);
	return 0;
}

int rec_sweep_find(struct rec_db *db, const char *file_text, uint32_t shard_index, uint32_t shard_count,
		   int64_t *sweep_id)
{
	sqlite3_stmt *st;
	int rc = need_v2(db);

	if (rc)
		return rc;
	if (db->schema_version < 4 && shard_count)
		return -ENOENT; /* no shards before version 4 */
	if (sqlite3_prepare_v2(db->sql,
			       db->schema_version < 4
				       ? "SELECT max(id) FROM sweeps WHERE file_text = ?"
				       : "SELECT max(id) FROM sweeps WHERE file_text = ?"
					 " AND coalesce(shard_index, 0) = ? AND coalesce(shard_count, 0) = ?",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, file_text, -1, SQLITE_TRANSIENT);
	if (db->schema_version >= 4) {
		sqlite3_bind_int64(st, 2, shard_index);
		sqlite3_bind_int64(st, 3, shard_count);
	}
	rc = -ENOENT;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*sweep_id = sqlite3_column_int64(st, 0);
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

int rec_sweep_reopen(struct rec_db *db, int64_t sweep_id, const char *command, uint32_t jobs)
{
	sqlite3_stmt *st;
	int rc = need_v2(db);

	if (rc)
		return rc;
	if (sqlite3_prepare_v2(db->sql,
			       "UPDATE sweeps SET status = 'running', ended_at = NULL, command = ?, jobs = ?,"
			       " host = ?, memvirt_version = ?, pid = ?, pid_start = ?, boot_id = ? WHERE id = ?",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, command ? command : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, jobs);
	sqlite3_bind_text(st, 3, db->host, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, MEMVIRT_VERSION, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (int64_t)getpid());
	sqlite3_bind_int64(st, 6, (int64_t)process_start_time((long)getpid()));
	sqlite3_bind_text(st, 7, db->boot_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 8, sweep_id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -EIO;
	return sqlite3_changes(db->sql) == 1 ? 0 : -ENOENT;
}

const char *rec_sweep_status_name(enum rec_sweep_status status)
{
	switch (status) {
	case REC_SWEEP_RUNNING: return "running";
	case REC_SWEEP_DONE: return "done";
	case REC_SWEEP_INTERRUPTED: return "interrupted";
	case REC_SWEEP_INCOMPLETE: return "incomplete";
	}
	return "unknown";
}

int rec_sweep_finish(struct rec_db *db, int64_t sweep_id, enum rec_sweep_status status,
		     uint32_t ok, uint32_t failed, uint32_t skipped)
{
	sqlite3_stmt *st;
	int rc = need_v2(db);

	if (rc)
		return rc;
	if (sqlite3_prepare_v2(db->sql,
			       "UPDATE sweeps SET status = ?, runs_ok = ?, runs_failed = ?, runs_skipped = ?,"
			       " ended_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, rec_sweep_status_name(status), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, ok);
	sqlite3_bind_int64(st, 3, failed);
	sqlite3_bind_int64(st, 4, skipped);
	sqlite3_bind_int64(st, 5, sweep_id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int rec_sweep_get(struct rec_db *db, int64_t sweep_id, rec_sweep_fn fn, void *ctx)
{
	sqlite3_stmt *st;
	int rc = need_v2(db);

	if (rc)
		return rc;
	if (sqlite3_prepare_v2(db->sql,
			       db->schema_version >= 4
				       ? "SELECT id, status, name, file, file_text, command, jobs, points, runs_ok,"
					 " runs_failed, runs_skipped, host, memvirt_version, started_at, ended_at,"
					 " boot_id, pid, pid_start, shard_index, shard_count, grid_points"
					 " FROM sweeps WHERE id = ?"
				       : "SELECT id, status, name, file, file_text, command, jobs, points, runs_ok,"
					 " runs_failed, runs_skipped, host, memvirt_version, started_at, ended_at,"
					 " boot_id, pid, pid_start, 0, 0, points FROM sweeps WHERE id = ?",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, sweep_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *status = col_text(st, 1);
		struct rec_sweep_row row = {
			.id = sqlite3_column_int64(st, 0),
			.status = !strcmp(status, "done")          ? REC_SWEEP_DONE
				  : !strcmp(status, "interrupted") ? REC_SWEEP_INTERRUPTED
				  : !strcmp(status, "running")     ? REC_SWEEP_RUNNING
								   : REC_SWEEP_INCOMPLETE,
			.name = col_text(st, 2),
			.file = col_text(st, 3),
			.file_text = col_text(st, 4),
			.command = col_text(st, 5),
			.jobs = (uint32_t)sqlite3_column_int64(st, 6),
			.points = (uint32_t)sqlite3_column_int64(st, 7),
			.runs_ok = (uint32_t)sqlite3_column_int64(st, 8),
			.runs_failed = (uint32_t)sqlite3_column_int64(st, 9),
			.runs_skipped = (uint32_t)sqlite3_column_int64(st, 10),
			.host = col_text(st, 11),
			.version = col_text(st, 12),
			.started_at = col_text(st, 13),
			.ended_at = col_text(st, 14),
			.shard_index = (uint32_t)sqlite3_column_int64(st, 18),
			.shard_count = (uint32_t)sqlite3_column_int64(st, 19),
			.grid_points = (uint32_t)sqlite3_column_int64(st, 20),
		};

		/* A sweep whose process is gone was cut short (killed, crashed). */
		if (row.status == REC_SWEEP_RUNNING &&
		    rec_running_row_status(db, row.host, col_text(st, 15),
				       (long)sqlite3_column_int64(st, 16),
				       (uint64_t)sqlite3_column_int64(st, 17)) == REC_STATUS_INCOMPLETE)
			row.status = REC_SWEEP_INCOMPLETE;
		rc = fn(ctx, &row);
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : -EIO;
	}
	sqlite3_finalize(st);
	return rc;
}

int rec_sweep_key_ok(struct rec_db *db, const char *sweep_key, int64_t *run_id)
{
	sqlite3_stmt *st;
	int rc = need_v2(db);

	if (rc)
		return rc;
	if (sqlite3_prepare_v2(db->sql,
			       "SELECT max(id) FROM runs WHERE sweep_key = ? AND status = 'ok'", -1, &st,
			       NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, sweep_key, -1, SQLITE_TRANSIENT);
	rc = -ENOENT;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		if (run_id)
			*run_id = sqlite3_column_int64(st, 0);
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

int rec_sweep_key_status(struct rec_db *db, const char *sweep_key, enum rec_status *status)
{
	sqlite3_stmt *st;
	bool any = false, ok = false, running = false, failed = false;
	int rc = need_v2(db);

	if (rc)
		return rc;
	if (sqlite3_prepare_v2(db->sql, "SELECT status, host, boot_id, pid, pid_start FROM runs WHERE sweep_key = ?",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, sweep_key, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		enum rec_status row = status_parse(col_text(st, 0));

		if (row == REC_STATUS_RUNNING)
			row = rec_running_row_status(db, col_text(st, 1), col_text(st, 2), (long)sqlite3_column_int64(st, 3),
						     (uint64_t)sqlite3_column_int64(st, 4));
		any = true;
		ok |= row == REC_STATUS_OK;
		running |= row == REC_STATUS_RUNNING;
		failed |= row == REC_STATUS_FAILED;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -EIO;
	if (!any)
		return -ENOENT;
	*status = ok ? REC_STATUS_OK : running ? REC_STATUS_RUNNING : failed ? REC_STATUS_FAILED : REC_STATUS_INCOMPLETE;
	return 0;
}

int rec_sweep_settle(struct rec_db *db, int64_t sweep_id, const char *sweep_key, long pid,
		     enum rec_status status, int exit_code, const char *error, int *changed,
		     int *recorded)
{
	sqlite3_stmt *st;
	int rc = need_v2(db);

	if (rc)
		return rc;
	if (sqlite3_prepare_v2(db->sql,
			       "UPDATE runs SET status = ?, exit_code = ?, error = ?,"
			       " ended_at = coalesce(ended_at, strftime('%Y-%m-%dT%H:%M:%fZ','now'))"
			       " WHERE sweep_id = ? AND sweep_key = ? AND pid = ?"
			       " AND status IN ('running','incomplete')",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, rec_status_name(status), -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, exit_code);
	sqlite3_bind_text(st, 3, error, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, sweep_id);
	sqlite3_bind_text(st, 5, sweep_key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 6, pid);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -EIO;
	if (changed)
		*changed = sqlite3_changes(db->sql);
	if (!recorded)
		return 0;
	if (sqlite3_prepare_v2(db->sql,
			       "SELECT count(*) FROM runs WHERE sweep_id = ? AND sweep_key = ? AND pid = ?", -1,
			       &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, sweep_id);
	sqlite3_bind_text(st, 2, sweep_key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, pid);
	rc = sqlite3_step(st);
	*recorded = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -EIO;
}

int rec_run_config_get(struct rec_db *db, int64_t run_id, const char *json_path, char *buf,
		       size_t len)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->sql, "SELECT json_extract(config, ?) FROM runs WHERE id = ?", -1,
			       &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, json_path, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, run_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *t = col_text(st, 0);

		snprintf(buf, len, "%s", t ? t : "");
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : -EIO;
	}
	sqlite3_finalize(st);
	return rc;
}
