/*
 * core/slurm.c — sweeps as Slurm job arrays (see slurm.h).
 *
 * Why scripts in a folder rather than `sbatch --wrap`: a researcher can
 * read what ran, resubmit a task by hand, and find each shard's log next
 * to its database.  Why the merge is a job of its own, after the array
 * with `afterany`: a shard whose runs partly failed exits 1 and Slurm
 * calls it failed, yet its ok runs belong in the results as much as any.
 */
#include "core/slurm.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/sha256.h"
#include "core/store.h"

/* Without --shards: one shard per point up to this many. */
#define SLURM_DEFAULT_SHARDS 64u
#define SLURM_MAX_JOBS 256

static void set_err(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

void slurm_shard_dir(const struct sweep_file *f, const char *db_path, char *buf, size_t len)
{
	struct sha256 h;
	char hex[65], base[PATH_MAX], name[sizeof(f->name)];
	const char *slash = strrchr(db_path, '/');
	size_t i;

	if (slash)
		snprintf(base, sizeof(base), "%.*s", (int)(slash - db_path), db_path);
	else
		snprintf(base, sizeof(base), ".");
	if (!base[0])
		snprintf(base, sizeof(base), "/");
	/* The name as a file name: what is not plainly safe becomes '_'. */
	for (i = 0; f->name[i] && i + 1 < sizeof(name); i++) {
		char c = f->name[i];

		name[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
					  c == '_' || (c == '.' && i > 0)
				  ? c
				  : '_';
	}
	name[i] = '\0';
	sha256_init(&h);
	sha256_update(&h, f->text, strlen(f->text));
	sha256_hex(&h, hex);
	snprintf(buf, len, "%s/shards/%s-%.12s", base, name[0] ? name : "sweep", hex);
}

bool slurm_opt_check(const char *opt, char *why, size_t why_len)
{
	static const char *const ours[] = {"--array", "-a", "--dependency", "-d", "--parsable", "--wrap"};

	if (!opt[0] || opt[0] != '-') {
		set_err(why, why_len, "'%s' is not an sbatch option (they start with '-', e.g. --partition=debug)", opt);
		return false;
	}
	for (const char *c = opt; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f) {
			set_err(why, why_len, "an sbatch option must be one line without control characters");
			return false;
		}
	for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++) {
		size_t n = strlen(ours[i]);

		if (!strncmp(opt, ours[i], n) && (opt[n] == '\0' || opt[n] == '=' || opt[n] == ' ' ||
						  (ours[i][1] != '-' && opt[n] >= '0' && opt[n] <= '9'))) {
			set_err(why, why_len, "'%s': memvirt sets %s itself (one task per shard, then the merge)", opt,
				ours[i]);
			return false;
		}
	}
	return true;
}

/* ---- small file and process helpers ---- */

/* 'text' for a POSIX shell, whatever it holds. */
static int shell_quote(char *buf, size_t len, const char *text)
{
	size_t o = 0;

	if (len < 3)
		return -E2BIG;
	buf[o++] = '\'';
	for (const char *c = text; *c; c++) {
		if (*c == '\'') {
			if (o + 5 >= len)
				return -E2BIG;
			memcpy(buf + o, "'\\''", 4);
			o += 4;
		} else {
			if (o + 2 >= len)
				return -E2BIG;
			buf[o++] = *c;
		}
	}
	buf[o++] = '\'';
	buf[o] = '\0';
	return 0;
}

static int mkdir_p(const char *path)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0777) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0777) && errno != EEXIST)
		return -errno;
	return 0;
}

static int write_text(const char *path, const char *text, mode_t mode, char *err, size_t err_len)
{
	char tmp[PATH_MAX + 8];
	FILE *f;
	int rc = 0;

	/* Whole or not at all: a half-written script must never be queued. */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f) {
		set_err(err, err_len, "cannot write %s: %s", tmp, strerror(errno));
		return -errno;
	}
	if (fputs(text, f) == EOF)
		rc = -errno;
	if (fclose(f) && !rc)
		rc = -errno;
	if (!rc && chmod(tmp, mode))
		rc = -errno;
	if (!rc && rename(tmp, path))
		rc = -errno;
	if (rc) {
		set_err(err, err_len, "cannot write %s: %s", path, strerror(-rc));
		unlink(tmp);
	}
	return rc;
}

/* Run argv (looked up on PATH) with its stdout in buf.  Returns its exit
 * status, or -ENOENT when it could not be started. */
static int run_capture(char *const argv[], char *buf, size_t len)
{
	int pipefd[2], wstatus;
	size_t got = 0;
	pid_t pid;

	buf[0] = '\0';
	if (pipe2(pipefd, O_CLOEXEC))
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return -errno;
	}
	if (pid == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		execvp(argv[0], argv);
		_exit(errno == ENOENT ? 126 : 127);
	}
	close(pipefd[1]);
	for (;;) {
		ssize_t n = read(pipefd[0], buf + got, len - 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == len - 1)
			break;
	}
	buf[got] = '\0';
	close(pipefd[0]);
	while (waitpid(pid, &wstatus, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 126)
		return -ENOENT;
	return WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
}

static bool on_path(const char *prog)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];

	if (!path)
		path = "/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, path, prog);
		if (n && access(buf, X_OK) == 0)
			return true;
		path += n + (path[n] == ':');
	}
	return false;
}

/* ---- the submission record ---- */

struct submission {
	uint32_t shards;
	char db[PATH_MAX];
	char jobs[SLURM_MAX_JOBS][32];   /* every array and merge job submitted */
	size_t job_count;
};

static int read_submission(const char *dir, struct submission *s)
{
	char path[PATH_MAX + 16], line[PATH_MAX + 32];
	FILE *f;

	memset(s, 0, sizeof(*s));
	snprintf(path, sizeof(path), "%s/submission", dir);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *eq = strchr(line, '=');

		line[strcspn(line, "\n")] = '\0';
		if (!eq)
			continue;
		*eq++ = '\0';
		if (!strcmp(line, "shards"))
			s->shards = (uint32_t)strtoul(eq, NULL, 10);
		else if (!strcmp(line, "db"))
			snprintf(s->db, sizeof(s->db), "%s", eq);
		else if ((!strcmp(line, "array_job") || !strcmp(line, "merge_job")) && s->job_count < SLURM_MAX_JOBS)
			snprintf(s->jobs[s->job_count++], sizeof(s->jobs[0]), "%s", eq);
	}
	fclose(f);
	return s->shards ? 0 : -EINVAL;
}

/* The job ids of the submission still in the queue, comma-separated, in
 * buf, and squeue's lines for them in listing ("" if none, or if squeue is
 * not there to ask).  The whole queue is read and filtered here: `squeue
 * -j` fails outright once one of the ids has aged out of Slurm's memory,
 * which would hide the ones still running. */
static void queued_jobs(const struct submission *s, char *buf, size_t len, char *listing, size_t listing_len)
{
	static char out[1 << 20];
	size_t off = 0, loff = 0;
	char *save = NULL;

	buf[0] = '\0';
	if (listing_len)
		listing[0] = '\0';
	if (!s->job_count || !on_path("squeue"))
		return;
	{
		char *argv[] = {"squeue", "-h", "-o", "%i %T %M %R", NULL};

		if (run_capture(argv, out, sizeof(out)) != 0)
			return;
	}
	for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t n = strcspn(line, " "), base = strcspn(line, "_ ");
		bool ours = false;

		for (size_t i = 0; i < s->job_count && !ours; i++)
			ours = strlen(s->jobs[i]) == base && !strncmp(line, s->jobs[i], base);
		if (!ours)
			continue;
		if (n && off + n + 2 < len)
			off += (size_t)snprintf(buf + off, len - off, "%s%.*s", off ? "," : "", (int)n, line);
		if (loff + strlen(line) + 2 < listing_len)
			loff += (size_t)snprintf(listing + loff, listing_len - loff, "%s\n", line);
	}
}

/* ---- progress of one shard ---- */

struct shard_progress {
	size_t points, ok, failed, running, not_run;
	bool has_db;
};

static int shard_progress(const struct sweep_file *f, uint32_t shard, uint32_t shards, const char *db_path,
			  struct shard_progress *p, char *err, size_t err_len)
{
	struct sweep_point *pt = malloc(sizeof(*pt));
	struct rec_db *db = NULL;
	size_t *points = NULL, n = 0;
	int rc;

	memset(p, 0, sizeof(*p));
	if (!pt)
		return -ENOMEM;
	rc = sweep_shard_points(sweep_point_count(f), shard, shards, &points, &n);
	if (rc) {
		free(pt);
		return rc;
	}
	p->points = n;
	if (access(db_path, F_OK) == 0) {
		rc = rec_open(db_path, REC_READ_ONLY, &db, err, err_len);
		if (rc)
			goto out;
		p->has_db = true;
	}
	for (size_t i = 0; i < n; i++) {
		enum rec_status st;

		if (!db || sweep_point_at(f, points[i], pt) || rec_sweep_key_status(db, pt->key, &st)) {
			p->not_run++;
			continue;
		}
		if (st == REC_STATUS_OK)
			p->ok++;
		else if (st == REC_STATUS_RUNNING)
			p->running++;
		else if (st == REC_STATUS_FAILED)
			p->failed++;
		else
			p->not_run++;
	}
	rc = 0;
out:
	rec_close(db);
	free(points);
	free(pt);
	return rc;
}

/* ---- submitting ---- */

/* sbatch --parsable prints "ID" or "ID;CLUSTER". */
static int sbatch(char **argv, char *job, size_t job_len, char *err, size_t err_len)
{
	char out[4096];
	int rc = run_capture(argv, out, sizeof(out));

	if (rc == -ENOENT) {
		set_err(err, err_len,
			"sbatch is not on PATH: --slurm submits with Slurm's sbatch (Debian 12: apt-get install slurm-client)");
		return -ENOENT;
	}
	if (rc) {
		set_err(err, err_len, "sbatch refused the job (exit %d; its message is above)", rc);
		return -EIO;
	}
	out[strcspn(out, ";\n")] = '\0';
	if (!out[0] || strspn(out, "0123456789_") != strlen(out)) {
		set_err(err, err_len, "sbatch printed no job id ('%s')", out);
		return -EIO;
	}
	if (strlen(out) >= job_len) {
		set_err(err, err_len, "sbatch printed a job id too long to keep ('%.40s...')", out);
		return -EIO;
	}
	memcpy(job, out, strlen(out) + 1);
	return 0;
}

/* sbatch --parsable NAME SCHEDULE OUTPUT <the user's options> SCRIPT. */
static int sbatch_submit(const struct slurm_submit_opts *o, char *name, char *schedule, char *output, char *script,
			 char *job, size_t job_len, char *err, size_t err_len)
{
	char *argv[SLURM_MAX_OPTS + 8];
	int a = 0;

	argv[a++] = "sbatch";
	argv[a++] = "--parsable";
	argv[a++] = name;
	argv[a++] = schedule;
	argv[a++] = output;
	for (size_t i = 0; i < o->sbatch_opt_count; i++)
		argv[a++] = (char *)o->sbatch_opts[i];
	argv[a++] = script;
	argv[a] = NULL;
	return sbatch(argv, job, job_len, err, err_len);
}

static int write_scripts(const char *dir, const char *exe, const char *sweep_copy, const char *db, uint32_t shards,
			 const char *name, char *err, size_t err_len)
{
	char q_exe[PATH_MAX * 4 + 8], q_sweep[PATH_MAX * 4 + 8], q_dir[PATH_MAX * 4 + 8], q_db[PATH_MAX * 4 + 8];
	char text[4 * 4 * PATH_MAX + 2048], path[PATH_MAX + 32];
	int rc, n;

	if (shell_quote(q_exe, sizeof(q_exe), exe) || shell_quote(q_sweep, sizeof(q_sweep), sweep_copy) ||
	    shell_quote(q_dir, sizeof(q_dir), dir) || shell_quote(q_db, sizeof(q_db), db)) {
		set_err(err, err_len, "paths too long for the batch scripts");
		return -E2BIG;
	}
	/* Each task continues its shard (--resume): a task that is requeued,
	 * or resubmitted by --slurm --resume, runs only what is not ok. */
	n = snprintf(text, sizeof(text),
		 "#!/bin/sh\n"
		 "# memvirt sweep '%s': task I of a job array runs shard I of %" PRIu32 " of the grid into\n"
		 "# shard-I.db here.  Written by memvirt sweep --slurm; docs/cluster.md.\n"
		 "set -u\n"
		 "shard=\"${SLURM_ARRAY_TASK_ID:?run this as a task of a job array}\"\n"
		 "exec %s sweep %s --shard \"$shard/%" PRIu32 "\" --db %s/\"shard-$shard.db\" --resume -j \"${SLURM_CPUS_PER_TASK:-1}\"\n",
		 name, shards, q_exe, q_sweep, shards, q_dir);
	if (n < 0 || (size_t)n >= sizeof(text))
		goto too_long;
	snprintf(path, sizeof(path), "%s/task.sbatch", dir);
	rc = write_text(path, text, 0755, err, err_len);
	if (rc)
		return rc;
	n = snprintf(text, sizeof(text),
		 "#!/bin/sh\n"
		 "# memvirt sweep '%s': after the array, merge the shards' databases into the sweep's.\n"
		 "# Written by memvirt sweep --slurm; docs/cluster.md.\n"
		 "set -u\n"
		 "set --\n"
		 "i=1\n"
		 "while [ \"$i\" -le %" PRIu32 " ]; do\n"
		 "\tif [ -e %s/\"shard-$i.db\" ]; then set -- \"$@\" %s/\"shard-$i.db\"; fi\n"
		 "\ti=$((i + 1))\n"
		 "done\n"
		 "if [ \"$#\" -eq 0 ]; then echo \"memvirt: no shard wrote its database in \"%s >&2; exit 1; fi\n"
		 "exec %s merge --db %s \"$@\"\n",
		 name, shards, q_dir, q_dir, q_dir, q_exe, q_db);
	if (n < 0 || (size_t)n >= sizeof(text))
		goto too_long;
	snprintf(path, sizeof(path), "%s/merge.sbatch", dir);
	return write_text(path, text, 0755, err, err_len);
too_long:
	set_err(err, err_len, "paths too long for the batch scripts");
	return -E2BIG;
}

static int abs_path(const char *path, char *buf, size_t len)
{
	char cwd[PATH_MAX];

	if (path[0] == '/') {
		snprintf(buf, len, "%s", path);
		return 0;
	}
	if (!getcwd(cwd, sizeof(cwd)))
		return -errno;
	if ((size_t)snprintf(buf, len, "%s/%s", cwd, path) >= len)
		return -ENAMETOOLONG;
	return 0;
}

int slurm_submit(const struct slurm_submit_opts *o, FILE *out, char *err, size_t err_len)
{
	const struct sweep_file *f = o->f;
	size_t count = sweep_point_count(f);
	char dir[PATH_MAX], exe[PATH_MAX], db[PATH_MAX], sweep_copy[PATH_MAX + 16], path[PATH_MAX + 32];
	char array_spec[8192] = "", array_job[64], merge_job[64], queued[4096], listing[8192];
	char arg_array[8300], arg_output[PATH_MAX + 64], arg_dep[128], arg_merge_out[PATH_MAX + 32], arg_name[128];
	struct submission prev;
	uint32_t shards = o->shards;
	size_t to_submit = 0, spec_off = 0, runs_to_do = 0;
	bool have_prev;
	ssize_t n;
	int rc;

	if (!count) {
		set_err(err, err_len, "%s: the grid has no runs", f->path);
		return -EINVAL;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		set_err(err, err_len, "cannot find the memvirt program itself: %s", strerror(errno));
		return -EIO;
	}
	exe[n] = '\0';
	rc = abs_path(o->db_path, db, sizeof(db));
	if (rc) {
		set_err(err, err_len, "%s: %s", o->db_path, strerror(-rc));
		return rc;
	}
	slurm_shard_dir(f, db, dir, sizeof(dir));
	have_prev = read_submission(dir, &prev) == 0;
	snprintf(path, sizeof(path), "%s/shard-1.db", dir);
	if (!o->resume && (have_prev || access(path, F_OK) == 0)) {
		set_err(err, err_len,
			"%s already holds shards of this sweep: --resume continues them (submitting only the shards with runs not ok), or remove the folder to start again",
			dir);
		return -EEXIST;
	}
	if (have_prev) {
		if (shards && shards != prev.shards) {
			set_err(err, err_len, "%s was cut into %" PRIu32 " shards, not %" PRIu32 ": --resume keeps its shards",
				dir, prev.shards, shards);
			return -EINVAL;
		}
		shards = prev.shards;
		queued_jobs(&prev, queued, sizeof(queued), listing, sizeof(listing));
		if (queued[0]) {
			set_err(err, err_len,
				"jobs %s of this sweep are still queued or running (squeue); wait for them, or scancel them, then --resume",
				queued);
			return -EBUSY;
		}
	} else if (o->resume) {
		set_err(err, err_len, "%s: nothing was submitted for this sweep file yet; leave out --resume", dir);
		return -EINVAL;
	}
	if (!shards)
		shards = count < SLURM_DEFAULT_SHARDS ? (uint32_t)count : SLURM_DEFAULT_SHARDS;
	if (shards > count) {
		set_err(err, err_len, "--shards %" PRIu32 " is more than the grid's %zu runs", shards, count);
		return -EINVAL;
	}
	/* Which shards to submit: all, or with --resume those not all ok. */
	for (uint32_t i = 1; i <= shards; i++) {
		struct shard_progress p;

		if (o->resume) {
			snprintf(path, sizeof(path), "%s/shard-%" PRIu32 ".db", dir, i);
			rc = shard_progress(f, i, shards, path, &p, err, err_len);
			if (rc)
				return rc;
			if (p.ok == p.points)
				continue;
			runs_to_do += p.points - p.ok;
		}
		if (spec_off + 16 >= sizeof(array_spec)) {
			set_err(err, err_len, "too many shards to resubmit in one array");
			return -E2BIG;
		}
		spec_off += (size_t)snprintf(array_spec + spec_off, sizeof(array_spec) - spec_off, "%s%" PRIu32,
					     spec_off ? "," : "", i);
		to_submit++;
	}
	if (!to_submit) {
		fprintf(out, "every shard of %s is complete; nothing to submit (merge again with: memvirt merge --db %s %s/shard-*.db)\n",
			dir, db, dir);
		return 0;
	}
	if (!o->resume)
		snprintf(array_spec, sizeof(array_spec), "1-%" PRIu32, shards);
	rc = mkdir_p(dir);
	if (rc) {
		set_err(err, err_len, "cannot make %s: %s", dir, strerror(-rc));
		return rc;
	}
	snprintf(sweep_copy, sizeof(sweep_copy), "%s/sweep.sweep", dir);
	rc = write_text(sweep_copy, f->text, 0644, err, err_len);
	rc = rc ? rc : write_scripts(dir, exe, sweep_copy, db, shards, f->name, err, err_len);
	if (rc)
		return rc;

	snprintf(arg_array, sizeof(arg_array), "--array=%s", array_spec);
	snprintf(arg_output, sizeof(arg_output), "--output=%s/shard-%%a.log", dir);
	snprintf(arg_name, sizeof(arg_name), "--job-name=memvirt-%s", f->name);
	snprintf(path, sizeof(path), "%s/task.sbatch", dir);
	rc = sbatch_submit(o, arg_name, arg_array, arg_output, path, array_job, sizeof(array_job), err, err_len);
	if (rc)
		return rc;
	snprintf(arg_dep, sizeof(arg_dep), "--dependency=afterany:%s", array_job);
	snprintf(arg_merge_out, sizeof(arg_merge_out), "--output=%s/merge.log", dir);
	snprintf(arg_name, sizeof(arg_name), "--job-name=memvirt-%s-merge", f->name);
	snprintf(path, sizeof(path), "%s/merge.sbatch", dir);
	rc = sbatch_submit(o, arg_name, arg_dep, arg_merge_out, path, merge_job, sizeof(merge_job), err, err_len);
	if (rc) {
		char *cancel[] = {"scancel", array_job, NULL};
		char ignored[256];

		/* An array nobody would merge: take it back. */
		(void)run_capture(cancel, ignored, sizeof(ignored));
		return rc;
	}
	{
		FILE *s;
		time_t now = time(NULL);
		char when[64];

		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
		snprintf(path, sizeof(path), "%s/submission", dir);
		s = fopen(path, "a");
		if (!s || fprintf(s, "submitted=%s\nshards=%" PRIu32 "\ndb=%s\ntasks=%s\narray_job=%s\nmerge_job=%s\n", when,
				  shards, db, array_spec, array_job, merge_job) < 0 ||
		    fclose(s)) {
			set_err(err, err_len, "submitted jobs %s and %s, but cannot record them in %s: %s", array_job,
				merge_job, path, strerror(errno));
			return -EIO;
		}
	}
	fprintf(out, "submitted sweep %s: %zu runs to do in %zu of %" PRIu32 " shards (tasks %s)\n", f->name,
		o->resume ? runs_to_do : count, to_submit, shards, array_spec);
	fprintf(out, "array job %s, merge job %s (after the array, into %s)\n", array_job, merge_job, db);
	fprintf(out, "shards, scripts and logs: %s\n", dir);
	fprintf(out, "progress: memvirt sweep %s --db %s --status\n", f->path, o->db_path);
	return 0;
}

/* ---- status ---- */

int slurm_status(const struct sweep_file *f, const char *db_path, uint32_t shards, FILE *out, char *err,
		 size_t err_len)
{
	char dir[PATH_MAX], db[PATH_MAX], path[PATH_MAX + 32], queued[4096], listing[8192];
	struct submission s;
	struct shard_progress total = {0};
	struct sweep_point *pt;
	size_t count = sweep_point_count(f), merged_ok = 0;
	bool have_sub;
	int rc;

	rc = abs_path(db_path, db, sizeof(db));
	if (rc) {
		set_err(err, err_len, "%s: %s", db_path, strerror(-rc));
		return rc;
	}
	slurm_shard_dir(f, db, dir, sizeof(dir));
	have_sub = read_submission(dir, &s) == 0;
	if (!shards)
		shards = have_sub ? s.shards : 0;
	if (!shards) {
		set_err(err, err_len,
			"%s: no submission of this sweep file (memvirt sweep FILE --slurm), and no --shards N to look for shard databases",
			dir);
		return -ENOENT;
	}
	fprintf(out, "sweep %s: %zu runs in %" PRIu32 " shards (%s)\n", f->name, count, shards, dir);
	fprintf(out, "%6s %8s %8s %8s %8s %8s\n", "shard", "runs", "ok", "failed", "running", "not run");
	for (uint32_t i = 1; i <= shards; i++) {
		struct shard_progress p;

		snprintf(path, sizeof(path), "%s/shard-%" PRIu32 ".db", dir, i);
		rc = shard_progress(f, i, shards, path, &p, err, err_len);
		if (rc)
			return rc;
		fprintf(out, "%6" PRIu32 " %8zu %8zu %8zu %8zu %8zu%s\n", i, p.points, p.ok, p.failed, p.running,
			p.not_run, p.has_db ? "" : "  (no database yet)");
		total.points += p.points;
		total.ok += p.ok;
		total.failed += p.failed;
		total.running += p.running;
		total.not_run += p.not_run;
	}
	fprintf(out, "%6s %8zu %8zu %8zu %8zu %8zu\n", "all", total.points, total.ok, total.failed, total.running,
		total.not_run);
	pt = malloc(sizeof(*pt));
	if (pt && access(db, F_OK) == 0) {
		struct rec_db *m;

		if (rec_open(db, REC_READ_ONLY, &m, err, err_len) == 0) {
			for (size_t i = 0; i < count; i++) {
				enum rec_status st;

				if (sweep_point_at(f, i, pt) == 0 && rec_sweep_key_status(m, pt->key, &st) == 0 &&
				    st == REC_STATUS_OK)
					merged_ok++;
			}
			rec_close(m);
			fprintf(out, "merged into %s: %zu of %zu runs ok\n", db_path, merged_ok, count);
		} else {
			fprintf(out, "merged database %s: %s\n", db_path, err);
			err[0] = '\0';
		}
	} else {
		fprintf(out, "merged database %s: not written yet\n", db_path);
	}
	free(pt);
	if (have_sub) {
		if (!on_path("squeue")) {
			fprintf(out, "queue: squeue is not on PATH here\n");
		} else {
			queued_jobs(&s, queued, sizeof(queued), listing, sizeof(listing));
			if (queued[0])
				fprintf(out, "queue (squeue: job state time reason):\n%s", listing);
			else
				fprintf(out, "queue: no job of this sweep is queued or running\n");
		}
	}
	return 0;
}
