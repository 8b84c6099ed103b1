/*
 * core/sweeprun.c — the sweep runner (see sweeprun.h).
 *
 * One loop: reap finished children (waitpid WNOHANG), settle their runs,
 * start new ones while slots are free, redraw the progress, sleep 50 ms.
 * Polling keeps it simple and signal-safe: the SIGINT handler only sets a
 * flag, and the loop notices it within one tick.  Each child's stderr goes
 * to a memfd so the runner can quote its last line as the failure reason.
 *
 * Three things a child must not do: outlive the runner (the kernel kills
 * it when the runner dies, set between fork and exec), outlive its run's
 * timeout (a run stuck where memvirt run cannot check its own clock, such
 * as a plugin looping in create(), is killed by the watchdog each tick), and
 * run a point some other live process is already running (with --resume
 * the runner asks the store which points are being run before it starts
 * one).
 */
#include "core/sweeprun.h"

#include <dirent.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/cli.h"
#include "core/json.h"
#include "core/runconf.h"
#include "core/store.h"

#define STOP_GRACE_S 5.0
#define TICK_NS 50000000L
/* How long past its timeout a run may take before the watchdog kills it:
 * memvirt run loads its guest and backend before its clock starts, and
 * then ends a run that is over time by itself at its next check.  A
 * quarter of the timeout, within these bounds, leaves it that room
 * without making a short sweep wait half a minute for a stuck run. */
#define WATCHDOG_GRACE_MIN_S 2.0
#define WATCHDOG_GRACE_MAX_S 30.0

struct slot {
	pid_t pid;              /* 0: free */
	int errfd;
	struct sweep_point point;
	struct timespec start;
	uint64_t timeout_s;     /* the run's --timeout */
	double term_at;         /* when the watchdog sent SIGTERM, s since start; 0: not yet */
	bool killed;            /* and SIGKILL after it */
};

/* A run row some other process was running when the runner last looked. */
struct busy_run {
	int64_t run_id;
	char *key;
};

struct runner {
	const struct sweep_file *f;
	const struct sweep_run_opts *o;
	struct sweep_totals *t;
	struct rec_db *db;
	struct slot *slots;
	struct timespec t0;
	uint32_t done_now;      /* finished in this invocation (for the ETA) */
	uint32_t to_run;        /* points this invocation runs (not skipped) */
	double drawn_at;        /* when the bar was last drawn, s since t0 */
	uint32_t drawn_done;    /* and how many runs it showed finished */
	/* With --resume: the rows other processes are running, from every run
	 * up to seen_id; rows are only ever appended, so each look reads only
	 * the new ones. */
	struct busy_run *busy;
	size_t busy_count, busy_cap;
	int64_t seen_id;
	char *err;
	size_t err_len;
};

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

static double since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static void fmt_duration(double s, char *buf, size_t len)
{
	long v = (long)(s + 0.5);

	if (v >= 3600)
		snprintf(buf, len, "%ld:%02ld:%02ld", v / 3600, v / 60 % 60, v % 60);
	else
		snprintf(buf, len, "%ld:%02ld", v / 60, v % 60);
}

/* Runs this invocation has to account for: what it neither skipped as
 * ok nor left to the process running it. */
static uint32_t runs_total(const struct sweep_totals *t)
{
	return t->points - t->skipped - t->busy;
}

static uint32_t runs_finished(const struct sweep_totals *t)
{
	return t->ok + t->failed + t->stopped;
}

static void progress(struct runner *r, bool final)
{
	const struct sweep_totals *t = r->t;
	uint32_t finished = runs_finished(t);
	uint32_t total = runs_total(t);
	double el = since(&r->t0);
	char e[32], eta[32];
	int width = 30, fill;

	if (!r->o->tty)
		return;
	/* Redraw on news, and once a second for the clock. */
	if (!final && finished == r->drawn_done && el - r->drawn_at < 1.0 && r->drawn_at > 0)
		return;
	r->drawn_at = el;
	r->drawn_done = finished;
	fmt_duration(el, e, sizeof(e));
	if (r->done_now && r->done_now < r->to_run)
		fmt_duration(el / r->done_now * (r->to_run - r->done_now), eta, sizeof(eta));
	else
		snprintf(eta, sizeof(eta), r->done_now ? "0:00" : "?");
	fill = total ? (int)((uint64_t)width * finished / total) : width;
	fprintf(r->o->out, "\r\033[K[%.*s%*s] %" PRIu32 "/%" PRIu32 " done, %" PRIu32 " failed, elapsed %s, ETA %s",
		fill, "##############################", width - fill, "", finished, total, t->failed, e, eta);
	if (final)
		fputc('\n', r->o->out);
	fflush(r->o->out);
}

/* A line above the bar (terminal) or on its own (plain). */
static void say(struct runner *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct runner *r, const char *fmt, ...)
{
	va_list ap;

	if (r->o->tty)
		fputs("\r\033[K", r->o->out);
	va_start(ap, fmt);
	vfprintf(r->o->out, fmt, ap);
	va_end(ap);
	fputc('\n', r->o->out);
	fflush(r->o->out);
}

/* The last non-empty line the child wrote to stderr. */
static void last_line(int fd, char *buf, size_t len)
{
	char tmp[4096];
	off_t size = lseek(fd, 0, SEEK_END), from;
	ssize_t n;
	char *end, *start;

	buf[0] = '\0';
	if (size <= 0)
		return;
	from = size > (off_t)sizeof(tmp) - 1 ? size - (off_t)sizeof(tmp) + 1 : 0;
	n = pread(fd, tmp, sizeof(tmp) - 1, from);
	if (n <= 0)
		return;
	tmp[n] = '\0';
	end = tmp + n;
	while (end > tmp && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		*--end = '\0';
	start = strrchr(tmp, '\n');
	start = start ? start + 1 : tmp;
	n = (ssize_t)strlen(start);
	if ((size_t)n >= len)
		n = (ssize_t)len - 1;
	memcpy(buf, start, (size_t)n);
	buf[n] = '\0';
}

/* The --timeout the point passes to memvirt run, or memvirt run's default:
 * the watchdog holds the run to the same clock. */
static uint64_t point_timeout(const struct sweep_point *p)
{
	const struct rc_option *o = rc_find("timeout");
	uint64_t v = 0;

	for (int i = 0; i + 1 < p->argc; i++)
		if (!strcmp(p->argv[i], "--timeout") && cli_parse_u64(p->argv[i + 1], &v) && v)
			return v;
	if (o && o->def && cli_parse_u64(o->def, &v) && v)
		return v;
	return 600;
}

static double watchdog_grace(uint64_t timeout_s)
{
	double g = (double)timeout_s / 4;

	return g < WATCHDOG_GRACE_MIN_S ? WATCHDOG_GRACE_MIN_S : g > WATCHDOG_GRACE_MAX_S ? WATCHDOG_GRACE_MAX_S : g;
}

static int start_child(struct runner *r, struct slot *s, size_t index)
{
	const struct sweep_run_opts *o = r->o;
	char sweep_id[32];
	char *argv[SWEEP_MAX_ARGS + 16];
	int argc = 0, rc;
	pid_t pid, runner = getpid();

	rc = sweep_point_at(r->f, index, &s->point);
	if (rc) {
		set_err(r->err, r->err_len, "%s: point %zu does not fit the argument buffer", r->f->path, index);
		return rc;
	}
	snprintf(sweep_id, sizeof(sweep_id), "%" PRId64, r->t->sweep_id);
	argv[argc++] = (char *)"memvirt";
	argv[argc++] = (char *)"run";
	for (int i = 0; i < s->point.argc; i++)
		argv[argc++] = s->point.argv[i];
	argv[argc++] = (char *)"--db";
	argv[argc++] = (char *)o->db_path;
	argv[argc++] = (char *)"--sweep-id";
	argv[argc++] = sweep_id;
	argv[argc++] = (char *)"--sweep-key";
	argv[argc++] = s->point.key;
	argv[argc] = NULL;

	s->errfd = memfd_create("memvirt-sweep-stderr", MFD_CLOEXEC);
	if (s->errfd < 0) {
		rc = -errno;
		set_err(r->err, r->err_len, "memfd_create: %s", strerror(errno));
		return rc;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		set_err(r->err, r->err_len, "fork: %s", strerror(errno));
		close(s->errfd);
		return rc;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		sigset_t none;

		/* Own process group: a terminal's SIGINT is the runner's alone.
		 * Which also means nothing reaches the child when the runner is
		 * killed outright, so the kernel must: SIGKILL when the runner
		 * dies.  A runner that died before prctl() took effect left the
		 * child to a new parent, which getppid() shows. */
		setpgid(0, 0);
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
			dprintf(s->errfd, "cannot tie memvirt run to its sweep: %s\n", strerror(errno));
			_exit(127);
		}
		if (getppid() != runner)
			_exit(127);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
		}
		dup2(s->errfd, STDERR_FILENO);
		execv(o->exe, argv);
		fprintf(stderr, "cannot execute %s: %s\n", o->exe, strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid); /* also here, so kill(-pid) works at once */
	s->pid = pid;
	s->timeout_s = point_timeout(&s->point);
	s->term_at = 0;
	s->killed = false;
	clock_gettime(CLOCK_MONOTONIC, &s->start);
	return 0;
}

/* The child died without finishing a run row: record one for the point. */
static int record_failed_point(struct runner *r, const struct slot *s, int exit_code,
			       enum rec_status status, const char *reason)
{
	struct json cfg;
	char command[4096];
	size_t off = 0;
	int64_t run_id;
	int rc;

	json_init(&cfg);
	json_object_begin(&cfg);
	json_key(&cfg, "sweep_key");
	json_string(&cfg, s->point.key);
	json_object_end(&cfg);
	off += (size_t)snprintf(command, sizeof(command), "memvirt run");
	for (int i = 0; i < s->point.argc && off < sizeof(command); i++)
		off += (size_t)snprintf(command + off, sizeof(command) - off, " %s", s->point.argv[i]);
	{
		struct rec_run_desc d = {
			.engine = s->point.engine ? s->point.engine : rc_find("engine")->def,
			.backend = s->point.backend ? s->point.backend : rc_find("backend")->def,
			.workload = s->point.workload ? s->point.workload : rc_find("workload")->def,
			.params_json = s->point.params_json,
			.config_json = cfg.failed ? "{}" : json_text(&cfg),
			.record_level = "summary",
			.command = command,
			.seed = s->point.seed + s->point.rep,
			.vms = s->point.vms ? (uint32_t)s->point.vms : 1,
			.rep = s->point.rep,
			.sweep_id = r->t->sweep_id,
			.sweep_key = s->point.key,
		};
		struct rec_run_result res = {
			.status = status,
			.exit_code = exit_code,
			.error = reason,
			.modelled_cycles = -1,
		};

		rc = rec_run_begin(r->db, &d, &run_id);
		rc = rc ? rc : rec_run_finish(r->db, run_id, &res);
	}
	json_free(&cfg);
	return rc;
}

/* Give a finished child's point its final record and count it. */
static int settle(struct runner *r, struct slot *s, int wstatus, bool stopping)
{
	char last[512], reason[768];
	enum rec_status status;
	int exit_code, changed = 0, recorded = 0, rc;
	bool ok = false;
	int64_t ok_id = 0;

	last_line(s->errfd, last, sizeof(last));
	close(s->errfd);
	s->errfd = -1;
	if (s->term_at > 0 && WIFSIGNALED(wstatus)) {
		/* The watchdog's doing, even if the sweep is being stopped too:
		 * the run had overrun its timeout, which is a failure of its own.
		 * (A run that exits after the SIGTERM has said why itself.) */
		exit_code = 128 + WTERMSIG(wstatus);
		stopping = false;
		snprintf(reason, sizeof(reason),
			 "killed by the sweep after its %" PRIu64 " s timeout (the run did not stop by itself)",
			 s->timeout_s);
	} else if (WIFSIGNALED(wstatus)) {
		int sig = WTERMSIG(wstatus);

		exit_code = 128 + sig;
		if (stopping)
			snprintf(reason, sizeof(reason),
				 "stopped: the sweep was interrupted (memvirt sweep --resume runs it again)");
		else
			snprintf(reason, sizeof(reason), "memvirt run was killed by signal %d (%s)%s%s", sig,
				 strsignal(sig), last[0] ? "; its last message: " : "", last);
	} else {
		exit_code = WEXITSTATUS(wstatus);
		ok = exit_code == 0;
		snprintf(reason, sizeof(reason), "%s",
			 last[0] ? last : "memvirt run exited with a failure and no message");
		if (!ok && !last[0])
			snprintf(reason, sizeof(reason), "memvirt run exited with status %d and no message",
				 exit_code);
	}
	status = stopping && !ok ? REC_STATUS_INCOMPLETE : REC_STATUS_FAILED;
	/* A row the child left 'running' gets the reason now. */
	rc = rec_sweep_settle(r->db, r->t->sweep_id, s->point.key, (long)s->pid, status, exit_code, reason,
			      &changed, &recorded);
	if (rc)
		goto db_fail;
	if (ok) {
		/* Exit 0 means the child finished an 'ok' row of this key. */
		rc = rec_sweep_key_ok(r->db, s->point.key, &ok_id);
		if (rc == -ENOENT) {
			ok = false;
			snprintf(reason, sizeof(reason), "memvirt run exited 0 without recording an ok run");
		} else if (rc) {
			goto db_fail;
		}
	}
	if (!ok && !recorded) {
		/* It died, or gave up, before writing a row: write one for it. */
		rc = record_failed_point(r, s, exit_code, status, reason);
		if (rc)
			goto db_fail;
	}
	r->done_now++;
	if (ok) {
		r->t->ok++;
		if (!r->o->tty)
			say(r, "[%" PRIu32 "/%" PRIu32 "] ok     run %" PRId64 ": %s (%.1f s)",
			    runs_finished(r->t), runs_total(r->t), ok_id, s->point.label, since(&s->start));
	} else if (status == REC_STATUS_INCOMPLETE) {
		r->t->stopped++;
		say(r, "stopped: %s", s->point.label);
	} else {
		r->t->failed++;
		say(r, "[%" PRIu32 "/%" PRIu32 "] FAILED %s: %s", runs_finished(r->t), runs_total(r->t),
		    s->point.label, reason);
	}
	s->pid = 0;
	return 0;
db_fail:
	set_err(r->err, r->err_len, "%s: cannot record the outcome of %s: %s", r->o->db_path,
		s->point.label, rec_errmsg(r->db));
	s->pid = 0;
	return rc;
}

/* Reap what has ended; wait=true blocks until every child is gone. */
static int reap(struct runner *r, bool stopping)
{
	int rc = 0;

	for (unsigned i = 0; i < r->o->jobs; i++) {
		struct slot *s = &r->slots[i];
		int wstatus;
		pid_t got;

		if (!s->pid)
			continue;
		got = waitpid(s->pid, &wstatus, WNOHANG);
		if (got == 0 || (got < 0 && errno == EINTR))
			continue;
		if (got < 0) {
			wstatus = 0x7f00; /* lost track: treat as exit 127 */
		}
		rc = settle(r, s, wstatus, stopping);
		if (rc)
			return rc;
	}
	return 0;
}

/* Kill the runs that overran their timeout by the grace period: SIGTERM,
 * then SIGKILL if that did not end them within a short grace (a run stuck
 * in a plugin may not be able to act on SIGTERM).  settle() records why. */
static void watchdog(struct runner *r)
{
	for (unsigned i = 0; i < r->o->jobs; i++) {
		struct slot *s = &r->slots[i];
		double grace, el;

		if (!s->pid || s->killed)
			continue;
		grace = watchdog_grace(s->timeout_s);
		el = since(&s->start);
		if (s->term_at == 0 && el > (double)s->timeout_s + grace) {
			kill(-s->pid, SIGTERM);
			s->term_at = el;
		} else if (s->term_at > 0 && el - s->term_at > (grace < STOP_GRACE_S ? grace : STOP_GRACE_S)) {
			kill(-s->pid, SIGKILL);
			s->killed = true;
		}
	}
}

static unsigned running(const struct runner *r)
{
	unsigned n = 0;

	for (unsigned i = 0; i < r->o->jobs; i++)
		n += r->slots[i].pid != 0;
	return n;
}

/* Wait one tick, or less: a child's end (SIGCHLD, blocked in the runner
 * while it runs so that it queues instead of being lost) ends the wait,
 * so a free slot is refilled at once rather than on the next tick. */
static void tick(void)
{
	struct timespec ts = {0, TICK_NS};
	sigset_t chld;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	(void)sigtimedwait(&chld, NULL, &ts); /* EINTR/EAGAIN just end the tick */
}

/* ---- points other processes are running (--resume) ---- */

struct busy_scan {
	struct runner *r;
	int64_t want_id;        /* still_running(): the one row asked for */
	bool running;           /* and whether it is still being run */
	int rc;
};

static bool started_here(const struct runner *r, const char *key)
{
	for (unsigned i = 0; i < r->o->jobs; i++)
		if (r->slots[i].pid && !strcmp(r->slots[i].point.key, key))
			return true;
	return false;
}

/* The store resolves a 'running' row whose writer is gone as incomplete,
 * so RUNNING here means a live process (or one on another host, which
 * the store cannot see and so must presume alive). */
static int note_busy(void *ctx, const struct rec_run_row *row)
{
	struct busy_scan *b = ctx;
	struct runner *r = b->r;

	if (row->id > r->seen_id)
		r->seen_id = row->id;
	if (row->status != REC_STATUS_RUNNING || !row->sweep_key || started_here(r, row->sweep_key))
		return 0;
	if (r->busy_count == r->busy_cap) {
		size_t cap = r->busy_cap ? 2 * r->busy_cap : 16;
		struct busy_run *nb = realloc(r->busy, cap * sizeof(*nb));

		if (!nb)
			return b->rc = -ENOMEM;
		r->busy = nb;
		r->busy_cap = cap;
	}
	r->busy[r->busy_count].key = strdup(row->sweep_key);
	if (!r->busy[r->busy_count].key)
		return b->rc = -ENOMEM;
	r->busy[r->busy_count++].run_id = row->id;
	return 0;
}

static int still_running(void *ctx, const struct rec_run_row *row)
{
	struct busy_scan *b = ctx;

	b->running = row->id == b->want_id && row->status == REC_STATUS_RUNNING;
	return 0;
}

/* The process running a point: the one whose command line names its key
 * (the store keeps the writer's pid but does not hand it out).  0 when
 * none is found here, e.g. it runs on another host. */
static long process_running_key(const char *key)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	long found = 0;
	char path[64], buf[8192];

	if (!d)
		return 0;
	while (!found && (e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		ssize_t n;
		int fd;

		if (*end || pid <= 0 || pid == (long)getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		for (char *a = buf; a < buf + n; a += strlen(a) + 1) {
			char *next = a + strlen(a) + 1;

			if ((!strcmp(a, "--sweep-key") && next < buf + n && !strcmp(next, key)) ||
			    (!strncmp(a, "--sweep-key=", 12) && !strcmp(a + 12, key))) {
				found = pid;
				break;
			}
		}
	}
	closedir(d);
	return found;
}

/* Whether another live process is running point p's key: 1 (and the run
 * id), 0, or a negative errno with a message.  Reads the rows added since
 * the last look, then looks again at the rows of this key it noted. */
static int point_busy(struct runner *r, const struct sweep_point *p, int64_t *run_id)
{
	struct busy_scan b = {.r = r};
	char sel[64];
	int rc;

	snprintf(sel, sizeof(sel), "%" PRId64 "-%" PRId64, r->seen_id + 1, INT64_MAX);
	rc = rec_select_runs(r->db, sel, note_busy, &b, r->err, r->err_len);
	if (rc || b.rc)
		goto fail;
	for (size_t i = 0; i < r->busy_count;) {
		struct busy_run *br = &r->busy[i];

		if (strcmp(br->key, p->key)) {
			i++;
			continue;
		}
		snprintf(sel, sizeof(sel), "%" PRId64, br->run_id);
		b.want_id = br->run_id;
		b.running = false;
		rc = rec_select_runs(r->db, sel, still_running, &b, r->err, r->err_len);
		if (rc)
			goto fail;
		if (b.running) {
			*run_id = br->run_id;
			return 1;
		}
		/* Ended since: forget it, so the list holds only live runs. */
		free(br->key);
		*br = r->busy[--r->busy_count];
	}
	return 0;
fail:
	rc = rc ? rc : b.rc;
	if (rc == -ENOMEM)
		set_err(r->err, r->err_len, "out of memory");
	else
		set_err(r->err, r->err_len, "%s: cannot read which runs are being run: %s", r->o->db_path,
			rec_errmsg(r->db));
	return rc;
}

static void say_busy(struct runner *r, const struct sweep_point *p, int64_t run_id)
{
	long pid = process_running_key(p->key);

	if (pid)
		say(r, "point %zu (%s) is being run by process %ld; not started again", p->index, p->label, pid);
	else
		say(r, "point %zu (%s) is being run by another process (run %" PRId64 "); not started again",
		    p->index, p->label, run_id);
}

/* Stop every child: SIGTERM, then SIGKILL after the grace period. */
static int stop_children(struct runner *r)
{
	struct timespec t0;
	bool killed = false;
	int rc = 0;

	for (unsigned i = 0; i < r->o->jobs; i++)
		if (r->slots[i].pid)
			kill(-r->slots[i].pid, SIGTERM);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (running(r)) {
		rc = reap(r, true);
		if (rc)
			return rc;
		if (!killed && since(&t0) > STOP_GRACE_S) {
			for (unsigned i = 0; i < r->o->jobs; i++)
				if (r->slots[i].pid)
					kill(-r->slots[i].pid, SIGKILL);
			killed = true;
		}
		if (running(r))
			tick();
	}
	return 0;
}

/* The grid index of the i-th point this sweep runs. */
#define POINT(i) (o->points ? o->points[i] : (i))

int sweep_run(const struct sweep_file *f, const struct sweep_run_opts *o, struct sweep_totals *t,
	      char *err, size_t err_len)
{
	struct runner r = {.f = f, .o = o, .t = t, .err = err, .err_len = err_len};
	size_t grid = sweep_point_count(f), count = o->points ? o->point_count : grid, next = 0;
	sigset_t chld, old_mask;
	char dberr[512];
	int rc;

	memset(t, 0, sizeof(*t));
	t->points = (uint32_t)count;
	if (!o->jobs) {
		set_err(err, err_len, "jobs must be at least 1");
		return -EINVAL;
	}
	r.slots = calloc(o->jobs, sizeof(*r.slots));
	if (!r.slots) {
		set_err(err, err_len, "out of memory");
		return -ENOMEM;
	}
	for (unsigned i = 0; i < o->jobs; i++)
		r.slots[i].errfd = -1;
	rc = rec_open(o->db_path, REC_READ_WRITE, &r.db, dberr, sizeof(dberr));
	if (rc) {
		set_err(err, err_len, "%s", dberr);
		free(r.slots);
		return rc;
	}
	if (o->resume && rec_sweep_find(r.db, f->text, o->shard_index, o->shard_count, &t->sweep_id) == 0) {
		rc = rec_sweep_reopen(r.db, t->sweep_id, o->command, o->jobs);
		t->resumed = rc == 0;
	} else {
		struct rec_sweep_desc d = {
			.name = f->name,
			.file = f->path,
			.file_text = f->text,
			.command = o->command,
			.jobs = o->jobs,
			.points = (uint32_t)count,
			.shard_index = o->shard_index,
			.shard_count = o->shard_count,
			.grid_points = (uint32_t)grid,
		};

		rc = rec_sweep_begin(r.db, &d, &t->sweep_id);
	}
	if (rc) {
		set_err(err, err_len, "%s: cannot record the sweep: %s", o->db_path, rec_errmsg(r.db));
		goto out;
	}
	/* Count what --resume skips up front, so progress and ETA are right. */
	if (o->resume) {
		for (size_t i = 0; i < count; i++) {
			struct sweep_point p;

			if (sweep_point_at(f, POINT(i), &p) == 0 && rec_sweep_key_ok(r.db, p.key, NULL) == 0)
				t->skipped++;
		}
	}
	r.to_run = t->points - t->skipped;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &chld, &old_mask);
	clock_gettime(CLOCK_MONOTONIC, &r.t0);
	if (o->tty || t->skipped || t->resumed || o->shard_count) {
		char shard[96] = "";

		if (o->shard_count)
			snprintf(shard, sizeof(shard), " of shard %" PRIu32 "/%" PRIu32 " (%zu of the grid's %zu)",
				 o->shard_index, o->shard_count, count, grid);
		say(&r, "sweep %" PRId64 " (%s): %" PRIu32 " runs%s, %u at a time%s%s", t->sweep_id, f->name, r.to_run,
		    shard, o->jobs, t->skipped ? ", skipping those already ok" : "", t->resumed ? " (resumed)" : "");
	}
	progress(&r, false);
	while (next < count || running(&r)) {
		if (*o->stop)
			break;
		rc = reap(&r, false);
		if (rc)
			break;
		watchdog(&r);
		for (unsigned i = 0; i < o->jobs && next < count && !*o->stop; i++) {
			if (r.slots[i].pid)
				continue;
			/* With --resume, skip points already ok, and points another
			 * process is running: a second run of one would give it two
			 * results (or race the first). */
			while (next < count && o->resume) {
				struct sweep_point p;
				int64_t busy_id = 0;
				int busy;

				if (sweep_point_at(f, POINT(next), &p) != 0)
					break;
				if (rec_sweep_key_ok(r.db, p.key, NULL) == 0) {
					next++;
					continue;
				}
				busy = point_busy(&r, &p, &busy_id);
				if (busy < 0) {
					rc = busy;
					break;
				}
				if (!busy)
					break;
				t->busy++;
				r.to_run--;
				say_busy(&r, &p, busy_id);
				next++;
			}
			if (rc)
				break;
			if (next == count)
				break;
			rc = start_child(&r, &r.slots[i], POINT(next));
			if (rc)
				break;
			next++;
		}
		if (rc)
			break;
		progress(&r, false);
		tick();
	}
	if (*o->stop || rc) {
		int src = stop_children(&r);

		t->interrupted = *o->stop != 0;
		rc = rc ? rc : src;
	}
	progress(&r, true);
	pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
	t->elapsed_s = since(&r.t0);
	{
		int frc = rec_sweep_finish(r.db, t->sweep_id,
					   t->interrupted || rc ? REC_SWEEP_INTERRUPTED : REC_SWEEP_DONE,
					   t->ok, t->failed, t->skipped);

		if (frc && !rc) {
			set_err(err, err_len, "%s: cannot finish the sweep record: %s", o->db_path,
				rec_errmsg(r.db));
			rc = frc;
		}
	}
	if (!rc && t->interrupted)
		rc = -EINTR;
out:
	rec_close(r.db);
	for (size_t i = 0; i < r.busy_count; i++)
		free(r.busy[i].key);
	free(r.busy);
	free(r.slots);
	return rc;
}
