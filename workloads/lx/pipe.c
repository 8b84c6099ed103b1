/*
 * workloads/lx/pipe.c — pipes between a program's own processes and
 * threads (pipe, pipe2; then read, write, close, dup, fork as usual).
 *
 * A pipe is a slot of pipes[] with a one-page ring buffer (a frame of
 * the allocator, reached through the direct map: 4096 bytes, PIPE_BUF,
 * so every write of up to 4096 bytes is atomic) and counts of the
 * descriptors open on each end, across all processes: fork, dup and
 * close move them (lx_pipe_ref / lx_pipe_unref).  The buffer goes back
 * when both counts reach 0.
 *
 * Blocking is Linux's: read waits while the pipe is empty and a writer
 * exists (then returns 0 at end of file); write waits while the pipe is
 * full and a reader exists, and writes everything before it returns.
 * Writing with no reader left raises SIGPIPE (which ends the process
 * unless ignored, then EPIPE).  O_NONBLOCK gives EAGAIN instead of
 * waiting.  Each state change wakes every thread waiting on that pipe;
 * they look again.
 */
#include "workloads/lx/lx.h"

#define LX_NPIPE 32
#define PIPE_CAP 4096u

struct lx_pipe {
	uint64_t frame;          /* physical; 0: slot free */
	uint32_t head, len;      /* ring: bytes [head, head + len) mod PIPE_CAP */
	uint32_t readers, writers;
};

static struct lx_pipe pipes[LX_NPIPE];

int lx_pipe_create(void)
{
	unsigned i;

	for (i = 0; i < LX_NPIPE; i++)
		if (!pipes[i].frame) {
			uint64_t f = lx_mm_kframe_alloc();

			if (!f)
				return -LX_ENOMEM;
			pipes[i] = (struct lx_pipe){ .frame = f, .readers = 1, .writers = 1 };
			return (int)i;
		}
	return -LX_ENFILE;
}

void lx_pipe_ref(const struct lx_fd *f)
{
	if (f->kind == LX_FD_PIPE_R)
		pipes[f->file].readers++;
	else if (f->kind == LX_FD_PIPE_W)
		pipes[f->file].writers++;
}

void lx_pipe_unref(const struct lx_fd *f)
{
	struct lx_pipe *p;

	if (f->kind != LX_FD_PIPE_R && f->kind != LX_FD_PIPE_W)
		return;
	p = &pipes[f->file];
	if (f->kind == LX_FD_PIPE_R)
		p->readers--;
	else
		p->writers--;
	lx_proc_wake_pipe((uint64_t)f->file);
	if (!p->readers && !p->writers) {
		lx_mm_kframe_free(p->frame);
		p->frame = 0;
	}
}

int64_t lx_pipe_read(const struct lx_fd *f, uint64_t buf, uint64_t n)
{
	struct lx_pipe *p = &pipes[f->file];
	uint8_t *ring = lx_pa(p->frame);
	uint64_t done = 0;

	if (n == 0)
		return 0;
	while (p->len == 0) {
		if (p->writers == 0)
			return 0;
		if (f->nonblock)
			return -LX_EAGAIN;
		lx_proc_block_pipe((uint64_t)f->file);
	}
	if (n > p->len)
		n = p->len;
	if (lx_mm_uaccess(lx_current_as(), buf, n, 1))
		return -LX_EFAULT;
	while (done < n) {
		uint64_t run = PIPE_CAP - p->head;

		if (run > n - done)
			run = n - done;
		memcpy((uint8_t *)buf + done, ring + p->head, run);
		p->head = (uint32_t)((p->head + run) % PIPE_CAP);
		p->len -= (uint32_t)run;
		done += run;
	}
	lx_proc_wake_pipe((uint64_t)f->file);
	return (int64_t)n;
}

int64_t lx_pipe_write(const struct lx_fd *f, uint64_t buf, uint64_t n, uint64_t rip)
{
	struct lx_pipe *p = &pipes[f->file];
	uint8_t *ring = lx_pa(p->frame);
	uint64_t done = 0;

	while (done < n) {
		uint64_t space, chunk, i;

		if (p->readers == 0) {
			if (done)
				return (int64_t)done;
			lx_proc_signal_self(13, rip);   /* SIGPIPE: ends the process unless ignored */
			return -LX_EPIPE;
		}
		space = PIPE_CAP - p->len;
		/* Up to PIPE_CAP bytes go in at once or not at all. */
		if (space == 0 || (n - done <= PIPE_CAP && space < n - done && !done)) {
			if (f->nonblock)
				return done ? (int64_t)done : -LX_EAGAIN;
			lx_proc_block_pipe((uint64_t)f->file);
			continue;
		}
		chunk = space < n - done ? space : n - done;
		if (lx_mm_uaccess(lx_current_as(), buf + done, chunk, 0))
			return done ? (int64_t)done : -LX_EFAULT;
		for (i = 0; i < chunk; i++)
			ring[(p->head + p->len + i) % PIPE_CAP] = ((const uint8_t *)buf)[done + i];
		p->len += (uint32_t)chunk;
		done += chunk;
		lx_proc_wake_pipe((uint64_t)f->file);
	}
	return (int64_t)n;
}
