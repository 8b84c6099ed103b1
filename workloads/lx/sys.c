/*
 * workloads/lx/sys.c — the Linux system-call table (x86-64 numbers and
 * ABI: RAX the number; RDI RSI RDX R10 R8 R9; negative errno back in
 * RAX; RCX and R11 clobbered by syscall/sysretq) and the trap handler.
 *
 * Calls about processes, threads, signals and sleeping are proc.c's;
 * memory calls go to mm.c; the files, descriptors, identity, time and
 * randomness calls are here.  Every user pointer is checked and faulted
 * in by lx_mm_uaccess before the kernel touches it (the process's own
 * CR3 is loaded while it is in a system call).  A number not handled
 * returns -ENOSYS and is counted per number (`stat enosys_NR=`).
 *
 * Time: the TSC read as a nominal 1 GHz since boot (proc.c's
 * lx_now_ns), the realtime clock that plus a fixed epoch
 * (2026-01-01T00:00:00Z); getrandom and AT_RANDOM come from the boot
 * seed — so soft-engine runs are deterministic.
 */
#include "workloads/lx/lx.h"

#define AT_FDCWD (-100)
#define AT_EMPTY_PATH 0x1000u
#define O_ACCMODE 3u
#define O_CREAT 0x40u
#define O_EXCL 0x80u
#define O_TRUNC 0x200u
#define O_DIRECTORY 0x10000u
#define O_CLOEXEC 0x80000u
#define S_IFREG 0100000u
#define S_IFDIR 0040000u
#define S_IFCHR 0020000u
#define PATH_MAX_LX 4096
/* File descriptors are C ints: the upper half of the register is not theirs. */
#define FD(x) ((int64_t)(int32_t)(x))

struct lx_stats lx_stats;
uint64_t lx_seed;
static uint64_t rnd_state;
const uint64_t lx_epoch_ns = 1767225600ull * 1000000000ull;

uint64_t lx_random64(void)
{
	uint64_t x = (rnd_state += 0x9e3779b97f4a7c15ull);

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static struct lx_proc *cp(void)
{
	return lx_cur()->proc;
}

static struct lx_as *cas(void)
{
	return &lx_cur()->proc->as;
}

static struct lx_fd *fd_get(int64_t fd)
{
	struct lx_fd *f;

	if (fd < 0 || fd >= LX_NFD)
		return NULL;
	f = &cp()->fd[fd];
	return f->kind == LX_FD_NONE ? NULL : f;
}

static int64_t fd_alloc(int64_t from)
{
	int64_t i;

	for (i = from < 0 ? 0 : from; i < LX_NFD; i++)
		if (cp()->fd[i].kind == LX_FD_NONE)
			return i;
	return -LX_EMFILE;
}

/* Copy a user path into buf; 0 or -errno. */
static int64_t get_path(uint64_t upath, char *buf)
{
	int64_t n = lx_mm_ustrlen(cas(), upath, PATH_MAX_LX - 1);

	if (n < 0)
		return n;
	memcpy(buf, (const void *)upath, (size_t)n + 1);
	return 0;
}

/* The character devices in /dev, by the number LX_FD_DEV descriptors
 * keep: reading null gives end of file, zero zeros, urandom and random
 * the seed's deterministic stream; writing to any discards. */
static const char *const dev_names[] = { "/dev/null", "/dev/zero", "/dev/urandom", "/dev/random" };
#define NDEV (sizeof dev_names / sizeof dev_names[0])
#define FILE_DEV(d) (-2 - (int)(d))      /* resolve()'s *file for device d */
#define DEV_OF(file) (-2 - (file))

static int dev_lookup(const char *path)
{
	unsigned d, i;

	for (d = 0; d < NDEV; d++) {
		for (i = 0; dev_names[d][i] && path[i] == dev_names[d][i]; i++)
			;
		if (!dev_names[d][i] && !path[i])
			return (int)d;
	}
	return -1;
}

/* The file a (dirfd, path) names: 0 with *file (-1: the root directory,
 * FILE_DEV(d): device d). */
static int64_t resolve(int64_t dirfd, uint64_t upath, int *file)
{
	static char path[PATH_MAX_LX];
	int64_t err;
	int is_dir, r;

	if ((err = get_path(upath, path)))
		return err;
	if (path[0] == '\0')
		return -LX_ENOENT;
	if (path[0] != '/' && dirfd != AT_FDCWD) {
		struct lx_fd *d = fd_get(dirfd);

		if (!d)
			return -LX_EBADF;
		if (d->kind != LX_FD_DIR)
			return -LX_ENOTDIR;
	}
	if ((r = dev_lookup(path)) >= 0) {
		*file = FILE_DEV(r);
		return 0;
	}
	r = lx_fs_lookup(path, &is_dir);
	if (r < 0)
		return r;
	*file = is_dir ? -1 : r;
	return 0;
}

static int64_t sys_openat(int64_t dirfd, uint64_t upath, uint64_t flags)
{
	int64_t err, fd;
	int file;

	err = resolve(dirfd, upath, &file);
	if (err == -LX_ENOENT && (flags & O_CREAT))
		return -LX_EROFS;
	if (err)
		return err;
	if ((flags & O_CREAT) && (flags & O_EXCL))
		return -LX_EEXIST;
	if (file <= FILE_DEV(0)) {
		if (flags & O_DIRECTORY)
			return -LX_ENOTDIR;
		fd = fd_alloc(0);
		if (fd < 0)
			return fd;
		cp()->fd[fd] = (struct lx_fd){ .kind = LX_FD_DEV, .file = DEV_OF(file),
					       .cloexec = (flags & O_CLOEXEC) != 0 };
		return fd;
	}
	if (file < 0 && (flags & O_ACCMODE) != 0)
		return -LX_EISDIR;
	if ((flags & O_ACCMODE) != 0 || (flags & O_TRUNC))
		return -LX_EROFS;
	if (file >= 0 && (flags & O_DIRECTORY))
		return -LX_ENOTDIR;
	fd = fd_alloc(0);
	if (fd < 0)
		return fd;
	cp()->fd[fd] = (struct lx_fd){
		.kind = file < 0 ? LX_FD_DIR : LX_FD_FILE,
		.file = file,
		.cloexec = (flags & O_CLOEXEC) != 0,
	};
	return fd;
}

/* struct stat of x86-64 Linux (144 bytes). */
struct lx_stat {
	uint64_t dev, ino, nlink;
	uint32_t mode, uid, gid, pad0;
	uint64_t rdev;
	int64_t size, blksize, blocks;
	uint64_t atime, atime_ns, mtime, mtime_ns, ctime, ctime_ns;
	int64_t unused[3];
};
_Static_assert(sizeof(struct lx_stat) == 144, "struct stat layout");

static void fill_stat(struct lx_stat *st, int kind, int file)
{
	uint64_t t = lx_epoch_ns / 1000000000ull;

	memset(st, 0, sizeof *st);
	st->dev = 1;
	st->nlink = 1;
	st->blksize = 4096;
	st->atime = st->mtime = st->ctime = t;
	if (kind == LX_FD_FILE) {
		st->ino = 3 + (uint64_t)file;
		st->mode = S_IFREG | lx_files[file].mode;
		st->size = (int64_t)lx_files[file].size;
		st->blocks = (int64_t)((lx_files[file].size + 511) / 512);
	} else if (kind == LX_FD_DIR) {
		st->ino = 2;
		st->mode = S_IFDIR | 0555u;
		st->nlink = 2;
		st->size = 4096;
	} else if (kind == LX_FD_DEV) {
		static const uint8_t minor[NDEV] = { 3, 5, 9, 8 };

		st->ino = 50 + (uint64_t)file;
		st->mode = S_IFCHR | 0666u;
		st->rdev = 0x100u | minor[file];   /* major 1 */
		st->dev = 5;
	} else if (kind == LX_FD_PIPE_R || kind == LX_FD_PIPE_W) {
		st->ino = 1000 + (uint64_t)file;
		st->mode = 0010000u | 0600u;   /* S_IFIFO */
		st->dev = 6;
	} else {
		/* The standard descriptors: a character device (not a tty:
		 * ioctl says ENOTTY), like /dev/null's kind. */
		st->ino = 100 + (uint64_t)file;
		st->mode = S_IFCHR | 0620u;
		st->rdev = 0x103;
		st->dev = 5;
	}
}

static int64_t put_stat(uint64_t ubuf, int kind, int file)
{
	if (lx_mm_uaccess(cas(), ubuf, sizeof(struct lx_stat), 1))
		return -LX_EFAULT;
	fill_stat((struct lx_stat *)ubuf, kind, file);
	return 0;
}

static int64_t sys_fstatat(int64_t dirfd, uint64_t upath, uint64_t ubuf, uint64_t flags)
{
	int file;
	int64_t err;

	if (flags & AT_EMPTY_PATH) {
		int64_t n = lx_mm_ustrlen(cas(), upath, 2);

		if (n == 0) {
			struct lx_fd *f;

			if (dirfd == AT_FDCWD)
				return put_stat(ubuf, LX_FD_DIR, -1);
			if (!(f = fd_get(dirfd)))
				return -LX_EBADF;
			return put_stat(ubuf, (int)f->kind, f->file);
		}
	}
	if ((err = resolve(dirfd, upath, &file)))
		return err;
	if (file <= FILE_DEV(0))
		return put_stat(ubuf, LX_FD_DEV, DEV_OF(file));
	return put_stat(ubuf, file < 0 ? LX_FD_DIR : LX_FD_FILE, file);
}

static int64_t do_read(struct lx_fd *f, uint64_t buf, uint64_t n, uint64_t *off)
{
	const struct lx_pkg_file *pf;
	uint64_t avail;

	if (f->kind == LX_FD_STDIN)
		return 0;
	if (f->kind == LX_FD_PIPE_R)
		return lx_pipe_read(f, buf, n);
	if (f->kind == LX_FD_DEV) {
		uint64_t i;

		if (f->file == 0 || n == 0)
			return 0;
		if (n > 0x7ffff000ull)
			n = 0x7ffff000ull;
		if (lx_mm_uaccess(cas(), buf, n, 1))
			return -LX_EFAULT;
		if (f->file == 1) {
			memset((void *)buf, 0, n);
		} else {
			for (i = 0; i < n; i += 8) {
				uint64_t v = lx_random64();

				memcpy((char *)buf + i, &v, n - i < 8 ? n - i : 8);
			}
		}
		return (int64_t)n;
	}
	if (f->kind == LX_FD_DIR)
		return -LX_EISDIR;
	if (f->kind != LX_FD_FILE)
		return -LX_EBADF;
	pf = &lx_files[f->file];
	avail = *off >= pf->size ? 0 : pf->size - *off;
	if (n > avail)
		n = avail;
	if (n == 0)
		return 0;
	if (lx_mm_uaccess(cas(), buf, n, 1))
		return -LX_EFAULT;
	memcpy((void *)buf, pf->data + *off, n);
	*off += n;
	return (int64_t)n;
}

static int64_t do_write(struct lx_fd *f, uint64_t buf, uint64_t n, uint64_t rip)
{
	if (f->kind == LX_FD_PIPE_W)
		return lx_pipe_write(f, buf, n, rip);
	if (f->kind == LX_FD_DEV) {
		if (lx_mm_uaccess(cas(), buf, n, 0))
			return -LX_EFAULT;
		return (int64_t)n;
	}
	if (f->kind != LX_FD_OUT)
		return -LX_EBADF;
	if (n > 0x7ffff000ull)
		n = 0x7ffff000ull;
	if (lx_mm_uaccess(cas(), buf, n, 0))
		return -LX_EFAULT;
	return lx_fs_out(f->file, (const uint8_t *)buf, n);
}

/* readv / writev: iov is {base, len} pairs. */
static int64_t do_vec(int64_t fd, uint64_t iov, uint64_t cnt, int write, uint64_t rip)
{
	struct lx_fd *f = fd_get(fd);
	int64_t total = 0, r;
	uint64_t i;

	if (!f)
		return -LX_EBADF;
	if (cnt > 1024)
		return -LX_EINVAL;
	if (lx_mm_uaccess(cas(), iov, cnt * 16, 0))
		return -LX_EFAULT;
	for (i = 0; i < cnt; i++) {
		uint64_t base = ((const uint64_t *)iov)[2 * i], len = ((const uint64_t *)iov)[2 * i + 1];

		if (!len)
			continue;
		r = write ? do_write(f, base, len, rip) : do_read(f, base, len, &f->off);
		if (r < 0)
			return total ? total : r;
		total += r;
		if ((uint64_t)r < len)
			break;
	}
	return total;
}

static int64_t sys_getdents64(int64_t fd, uint64_t buf, uint64_t count)
{
	struct lx_fd *f = fd_get(fd);
	uint64_t used = 0;

	if (!f)
		return -LX_EBADF;
	if (f->kind != LX_FD_DIR)
		return -LX_ENOTDIR;
	if (lx_mm_uaccess(cas(), buf, count, 1))
		return -LX_EFAULT;
	while (f->off < 2 + lx_nfiles) {
		const char *name = f->off == 0 ? "." : f->off == 1 ? ".." : lx_files[f->off - 2].name;
		uint64_t nlen = kstrlen(name), reclen = (19 + nlen + 1 + 7) & ~7ull;
		uint8_t *d = (uint8_t *)buf + used;

		if (used + reclen > count) {
			if (!used)
				return -LX_EINVAL;
			break;
		}
		memset(d, 0, reclen);
		*(uint64_t *)d = f->off < 2 ? 2 : 1 + f->off;             /* d_ino */
		*(int64_t *)(d + 8) = (int64_t)f->off + 1;                /* d_off */
		*(uint16_t *)(d + 16) = (uint16_t)reclen;
		d[18] = f->off < 2 ? 4 : 8;                               /* DT_DIR : DT_REG */
		memcpy(d + 19, name, nlen + 1);
		used += reclen;
		f->off++;
	}
	return (int64_t)used;
}

static int64_t sys_readlinkat(int64_t dirfd, uint64_t upath, uint64_t buf, uint64_t size)
{
	static char path[PATH_MAX_LX];
	const char *self = "/proc/self/exe";
	const char *name = lx_files[0].name;
	uint64_t n = 1 + kstrlen(name), i;
	int64_t err;
	int file;

	if ((err = get_path(upath, path)))
		return err;
	for (i = 0; self[i] && path[i] == self[i]; i++)
		;
	if (self[i] || path[i]) {
		if ((err = resolve(dirfd, upath, &file)))
			return err;
		return -LX_EINVAL;   /* exists, but not a symbolic link */
	}
	if ((int64_t)size <= 0)
		return -LX_EINVAL;
	if (n > size)
		n = size;
	if (lx_mm_uaccess(cas(), buf, n, 1))
		return -LX_EFAULT;
	((char *)buf)[0] = '/';
	memcpy((char *)buf + 1, name, n - 1);
	return (int64_t)n;
}

static int64_t sys_faccessat(int64_t dirfd, uint64_t upath, uint64_t mode)
{
	int file;
	int64_t err = resolve(dirfd, upath, &file);

	if (err)
		return err;
	if ((mode & 2) && file > FILE_DEV(0))
		return -LX_EROFS;
	if ((mode & 1) && file >= 0 && !(lx_files[file].mode & 0111u))
		return -LX_EACCES;
	return 0;
}

static int64_t put_timespec(uint64_t u, uint64_t ns, int usec)
{
	if (lx_mm_uaccess(cas(), u, 16, 1))
		return -LX_EFAULT;
	((uint64_t *)u)[0] = ns / 1000000000ull;
	((uint64_t *)u)[1] = usec ? (ns % 1000000000ull) / 1000 : ns % 1000000000ull;
	return 0;
}

static int64_t sys_uname(uint64_t buf)
{
	static const char *const f[6] = { "Linux", "memvirt", "6.1.0-memvirt",
					   "#1 SMP PREEMPT memvirt", "x86_64", "(none)" };
	unsigned i;

	if (lx_mm_uaccess(cas(), buf, 6 * 65, 1))
		return -LX_EFAULT;
	memset((void *)buf, 0, 6 * 65);
	for (i = 0; i < 6; i++)
		memcpy((char *)buf + 65 * i, f[i], kstrlen(f[i]));
	return 0;
}

static int64_t put_rlimit(uint64_t u, uint64_t res)
{
	uint64_t cur = ~0ull, max = ~0ull;

	if (res >= 16)
		return -LX_EINVAL;
	if (res == 3)          /* RLIMIT_STACK */
		cur = LX_STACK_SIZE;
	else if (res == 7)     /* RLIMIT_NOFILE */
		cur = max = LX_NFD;
	else if (res == 4)     /* RLIMIT_CORE */
		cur = 0;
	if (!u)
		return 0;
	if (lx_mm_uaccess(cas(), u, 16, 1))
		return -LX_EFAULT;
	((uint64_t *)u)[0] = cur;
	((uint64_t *)u)[1] = max;
	return 0;
}

static int64_t sys_fcntl(int64_t fd, uint64_t cmd, uint64_t arg)
{
	struct lx_fd *f = fd_get(fd);
	int64_t nfd;

	if (!f)
		return -LX_EBADF;
	switch (cmd) {
	case 0:      /* F_DUPFD */
	case 1030:   /* F_DUPFD_CLOEXEC */
		if ((int64_t)arg < 0 || arg >= LX_NFD)
			return -LX_EINVAL;
		nfd = fd_alloc((int64_t)arg);
		if (nfd < 0)
			return nfd;
		cp()->fd[nfd] = *f;
		cp()->fd[nfd].cloexec = cmd == 1030;
		lx_pipe_ref(f);
		return nfd;
	case 1:      /* F_GETFD */
		return f->cloexec ? 1 : 0;
	case 2:      /* F_SETFD */
		f->cloexec = arg & 1;
		return 0;
	case 3:      /* F_GETFL */
		return (f->kind == LX_FD_OUT || f->kind == LX_FD_PIPE_W ? 1 : 0) |
		       (f->kind == LX_FD_DIR ? 0200000 : 0) | (f->nonblock ? 04000 : 0);
	case 4:      /* F_SETFL: only O_NONBLOCK changes anything */
		f->nonblock = (arg & 04000) != 0;
		return 0;
	default:
		return -LX_EINVAL;
	}
}

static int64_t sys_pipe2(uint64_t ufds, uint64_t flags)
{
	int64_t r, w;
	int idx;

	if (flags & ~(uint64_t)(O_CLOEXEC | 04000u))
		return -LX_EINVAL;
	if (lx_mm_uaccess(cas(), ufds, 8, 1))
		return -LX_EFAULT;
	r = fd_alloc(0);
	if (r < 0)
		return r;
	cp()->fd[r].kind = LX_FD_PIPE_R;      /* held while the second is chosen */
	w = fd_alloc(0);
	cp()->fd[r].kind = LX_FD_NONE;
	if (w < 0)
		return w;
	idx = lx_pipe_create();
	if (idx < 0)
		return idx;
	cp()->fd[r] = (struct lx_fd){ .kind = LX_FD_PIPE_R, .file = idx,
				      .cloexec = (flags & O_CLOEXEC) != 0, .nonblock = (flags & 04000) != 0 };
	cp()->fd[w] = cp()->fd[r];
	cp()->fd[w].kind = LX_FD_PIPE_W;
	((int32_t *)ufds)[0] = (int32_t)r;
	((int32_t *)ufds)[1] = (int32_t)w;
	return 0;
}

static int64_t sys_mmap(uint64_t addr, uint64_t len, uint64_t prot, uint64_t flags, int64_t fd,
			uint64_t off)
{
	int file = -1;

	if (!(flags & 0x20)) {   /* not MAP_ANONYMOUS */
		struct lx_fd *f = fd_get(fd);

		if (!f)
			return -LX_EBADF;
		if (f->kind != LX_FD_FILE)
			return -LX_EACCES;
		if ((flags & 3) == 1 && (prot & LX_PROT_WRITE))
			return -LX_EACCES;   /* MAP_SHARED writable: the file is read-only */
		file = f->file;
	}
	return lx_mm_mmap(cas(), addr, len, (uint32_t)prot, (uint32_t)flags, file, off);
}

static int64_t dispatch(struct trapframe *tf, uint64_t nr)
{
	uint64_t a0 = tf->rdi, a1 = tf->rsi, a2 = tf->rdx, a3 = tf->r10, a4 = tf->r8, a5 = tf->r9;
	struct lx_fd *f;
	int64_t r;
	int handled, file;

	r = lx_proc_syscall(tf, nr, &handled);
	if (handled)
		return r;
	switch (nr) {
	case 0:    /* read */
		if (!(f = fd_get(FD(a0))))
			return -LX_EBADF;
		return do_read(f, a1, a2, &f->off);
	case 1:    /* write */
		if (!(f = fd_get(FD(a0))))
			return -LX_EBADF;
		return do_write(f, a1, a2, tf->rip);
	case 17: { /* pread64 */
		uint64_t off = a3;

		if (!(f = fd_get(FD(a0))))
			return -LX_EBADF;
		if (f->kind != LX_FD_FILE)
			return f->kind == LX_FD_DIR ? -LX_EISDIR : -LX_ESPIPE;
		if ((int64_t)off < 0)
			return -LX_EINVAL;
		return do_read(f, a1, a2, &off);
	}
	case 18:   /* pwrite64 */
		if (!(f = fd_get(FD(a0))))
			return -LX_EBADF;
		return f->kind == LX_FD_OUT ? -LX_ESPIPE : -LX_EBADF;
	case 19:   /* readv */
		return do_vec(FD(a0), a1, a2, 0, tf->rip);
	case 20:   /* writev */
		return do_vec(FD(a0), a1, a2, 1, tf->rip);
	case 2:    /* open */
		return sys_openat(AT_FDCWD, a0, a1);
	case 257:  /* openat */
		return sys_openat(FD(a0), a1, a2);
	case 3:    /* close */
		if (!(f = fd_get(FD(a0))))
			return -LX_EBADF;
		lx_pipe_unref(f);
		f->kind = LX_FD_NONE;
		return 0;
	case 8:    /* lseek(fd, off, whence) */
		if (!(f = fd_get(FD(a0))))
			return -LX_EBADF;
		if (f->kind == LX_FD_DIR) {
			if (a2 != 0 || a1 != 0)
				return -LX_EINVAL;
			f->off = 0;
			return 0;
		}
		if (f->kind != LX_FD_FILE)
			return -LX_ESPIPE;
		if (a2 == 0)
			r = (int64_t)a1;
		else if (a2 == 1)
			r = (int64_t)f->off + (int64_t)a1;
		else if (a2 == 2)
			r = (int64_t)lx_files[f->file].size + (int64_t)a1;
		else
			return -LX_EINVAL;
		if (r < 0)
			return -LX_EINVAL;
		f->off = (uint64_t)r;
		return r;
	case 5:    /* fstat */
		if (!(f = fd_get(FD(a0))))
			return -LX_EBADF;
		return put_stat(a1, (int)f->kind, f->file);
	case 4:    /* stat */
	case 6:    /* lstat */
		return sys_fstatat(AT_FDCWD, a0, a1, 0);
	case 262:  /* newfstatat */
		return sys_fstatat(FD(a0), a1, a2, a3);
	case 21:   /* access */
		return sys_faccessat(AT_FDCWD, a0, a1);
	case 269:  /* faccessat */
	case 439:  /* faccessat2 */
		return sys_faccessat(FD(a0), a1, a2);
	case 217:  /* getdents64 */
		return sys_getdents64(FD(a0), a1, a2);
	case 89:   /* readlink */
		return sys_readlinkat(AT_FDCWD, a0, a1, a2);
	case 267:  /* readlinkat */
		return sys_readlinkat(FD(a0), a1, a2, a3);
	case 79:   /* getcwd */
		if (a1 < 2)
			return -LX_ERANGE;
		if (lx_mm_uaccess(cas(), a0, 2, 1))
			return -LX_EFAULT;
		((char *)a0)[0] = '/';
		((char *)a0)[1] = '\0';
		return 2;
	case 80:   /* chdir */
		if ((r = resolve(AT_FDCWD, a0, &file)))
			return r;
		return file == -1 ? 0 : -LX_ENOTDIR;
	case 16:   /* ioctl */
		if (!fd_get(FD(a0)))
			return -LX_EBADF;
		return -LX_ENOTTY;
	case 32:   /* dup */
		return sys_fcntl(FD(a0), 0, 0);
	case 33:   /* dup2 */
	case 292:  /* dup3 */
		a1 = (uint32_t)a1;
		if (!(f = fd_get(FD(a0))) || a1 >= LX_NFD)
			return -LX_EBADF;
		if (a0 == a1)
			return nr == 292 ? -LX_EINVAL : (int64_t)a1;
		lx_pipe_ref(f);
		lx_pipe_unref(&cp()->fd[a1]);
		cp()->fd[a1] = *f;
		cp()->fd[a1].cloexec = nr == 292 && (a2 & O_CLOEXEC);
		return (int64_t)a1;
	case 72:   /* fcntl */
		return sys_fcntl(FD(a0), a1, a2);
	case 9:    /* mmap */
		return sys_mmap(a0, a1, a2, a3, FD(a4), a5);
	case 11:   /* munmap */
		return lx_mm_munmap(cas(), a0, a1);
	case 10:   /* mprotect */
		return lx_mm_mprotect(cas(), a0, a1, (uint32_t)a2);
	case 25:   /* mremap */
		return lx_mm_mremap(cas(), a0, a1, a2, (uint32_t)a3);   /* MREMAP_FIXED: EINVAL */
	case 28:   /* madvise */
		return lx_mm_madvise(cas(), a0, a1, (int)a2);
	case 12:   /* brk */
		return lx_mm_brk(cas(), a0);
	case 26:   /* msync */
	case 149:  /* mlock */
	case 150:  /* munlock */
		return 0;
	case 63:   /* uname */
		return sys_uname(a0);
	case 102:  /* getuid */
	case 104:  /* getgid */
	case 107:  /* geteuid */
	case 108:  /* getegid */
		return 0;
	case 95:   /* umask */
		return 022;
	case 111:  /* getpgrp */
	case 112:  /* setsid */
	case 121:  /* getpgid */
	case 124:  /* getsid */
		return cp()->pid;
	case 109:  /* setpgid */
		return 0;
	case 97:   /* getrlimit */
		return put_rlimit(a1, a0);
	case 160:  /* setrlimit */
		return a0 < 16 ? 0 : -LX_EINVAL;
	case 302:  /* prlimit64(pid, res, new, old) */
		if (a0 && FD(a0) != cp()->pid)
			return -LX_ESRCH;
		return put_rlimit(a3, a1);
	case 318: { /* getrandom(buf, len, flags) */
		uint64_t i;

		if (lx_mm_uaccess(cas(), a0, a1, 1))
			return -LX_EFAULT;
		for (i = 0; i < a1; i += 8) {
			uint64_t v = lx_random64();

			memcpy((char *)a0 + i, &v, a1 - i < 8 ? a1 - i : 8);
		}
		return (int64_t)a1;
	}
	case 228:  /* clock_gettime */
		if (a0 > 11)
			return -LX_EINVAL;
		return put_timespec(a1, lx_now_ns() + ((a0 == 0 || a0 == 5) ? lx_epoch_ns : 0), 0);
	case 229:  /* clock_getres */
		if (a0 > 11)
			return -LX_EINVAL;
		return a1 ? put_timespec(a1, 1, 0) : 0;
	case 96:   /* gettimeofday */
		if (a0 && (r = put_timespec(a0, lx_now_ns() + lx_epoch_ns, 1)))
			return r;
		if (a1) {
			if (lx_mm_uaccess(cas(), a1, 8, 1))
				return -LX_EFAULT;
			memset((void *)a1, 0, 8);
		}
		return 0;
	case 201:  /* time */
		r = (int64_t)((lx_now_ns() + lx_epoch_ns) / 1000000000ull);
		if (a0) {
			if (lx_mm_uaccess(cas(), a0, 8, 1))
				return -LX_EFAULT;
			*(int64_t *)a0 = r;
		}
		return r;
	case 98: { /* getrusage: user time is the guest time so far (one vCPU, always busy) */
		uint64_t now = lx_now_ns();

		if (lx_mm_uaccess(cas(), a1, 144, 1))
			return -LX_EFAULT;
		memset((void *)a1, 0, 144);
		((uint64_t *)a1)[0] = now / 1000000000ull;
		((uint64_t *)a1)[1] = (now % 1000000000ull) / 1000;
		return 0;
	}
	case 100:  /* times: likewise */
		if (a0) {
			if (lx_mm_uaccess(cas(), a0, 32, 1))
				return -LX_EFAULT;
			memset((void *)a0, 0, 32);
			((uint64_t *)a0)[0] = lx_now_ns() / 10000000ull;
		}
		return (int64_t)(lx_now_ns() / 10000000ull);
	case 99: { /* sysinfo */
		uint64_t *si = (uint64_t *)a0;

		if (lx_mm_uaccess(cas(), a0, 112, 1))
			return -LX_EFAULT;
		memset(si, 0, 112);
		si[0] = lx_now_ns() / 1000000000ull;
		si[4] = lx_mm_frames_free() * LX_PAGE;   /* freeram */
		si[3] = si[4];                            /* totalram: at least what is free */
		*(uint16_t *)((char *)a0 + 80) = 1;       /* procs */
		*(uint32_t *)((char *)a0 + 104) = 1;      /* mem_unit */
		return 0;
	}
	case 204:  /* sched_getaffinity(pid, len, mask) */
		if (a1 < 8)
			return -LX_EINVAL;
		if (lx_mm_uaccess(cas(), a2, 8, 1))
			return -LX_EFAULT;
		*(uint64_t *)a2 = 1;
		return 8;
	case 203:  /* sched_setaffinity */
		return 0;
	case 22:   /* pipe(fds) */
	case 293:  /* pipe2(fds, flags) */
		return sys_pipe2(a0, nr == 22 ? 0 : a1);
	case 273:  /* set_robust_list: bookkeeping only, one vCPU, no robust futex recovery */
		return a1 == 24 ? 0 : -LX_EINVAL;
	default:
		lx_stats.enosys[nr < 511 ? nr : 511]++;
		return -LX_ENOSYS;
	}
}

void syscall_dispatch(struct trapframe *tf)
{
	uint64_t nr = tf->rax;

	lx_stats.syscalls++;
	tf->rax = (uint64_t)dispatch(tf, nr);
#ifdef LX_TRACE   /* -DLX_TRACE: every system call on the console (debugging only) */
	kprintf("sys %lu(%lx, %lx, %lx, %lx) = %ld\n", nr, tf->rdi, tf->rsi, tf->rdx, tf->r10, (int64_t)tf->rax);
#endif
}

static const char *const trap_names[32] = {
	[0] = "divide error", [1] = "debug", [2] = "NMI", [3] = "breakpoint",
	[4] = "overflow", [5] = "bound", [6] = "invalid opcode",
	[7] = "device not available", [8] = "double fault",
	[10] = "invalid TSS", [11] = "segment not present",
	[12] = "stack fault", [13] = "general protection",
	[14] = "page fault", [16] = "x87 error", [17] = "alignment check",
	[18] = "machine check", [19] = "SIMD error",
};

/* The signal a user-mode exception raises (0: none, the kernel's bug). */
static int trap_signal(uint64_t vec)
{
	switch (vec) {
	case 0: case 16: case 19: return 8;     /* SIGFPE */
	case 6: return 4;                       /* SIGILL */
	case 1: case 3: return 5;               /* SIGTRAP */
	case 4: case 5: case 12: case 13: case 11: return 11;   /* SIGSEGV */
	case 17: return 7;                      /* SIGBUS */
	default: return 0;
	}
}

void trap_dispatch(struct trapframe *tf)
{
	struct lx_thread *t = lx_cur();
	int user = (tf->cs & 3) != 0, sig;

	if (tf->vector == 0x20) {
		lx_stats.timer_ticks++;
		cpu_timer_eoi();
		if (user)
			lx_proc_preempt();
		return;
	}
	if (tf->vector == 0xff)
		return;
	if (tf->vector == 14) {
		uint64_t va = read_cr2();
		int sigbus = 0, err = -LX_EFAULT;

		if (t->proc && va < LX_USER_TOP &&
		    (err = lx_mm_fault(&t->proc->as, va, tf->err, &sigbus)) == 0)
			return;
		if (user && err == -LX_ENOMEM) {
			lx_stats.oom_kills++;
			lx_proc_fatal(9, va, tf->rip);   /* out of memory: SIGKILL, like Linux's OOM killer */
		}
		if (user)
			lx_proc_fatal(sigbus ? 7 : 11, va, tf->rip);
		panic("page fault at %lx (error %lx) rip %lx rsp %lx in tid %ld (kernel)", va, tf->err,
		      tf->rip, tf->rsp, t->tid);
	}
	if (user && (sig = trap_signal(tf->vector)) != 0)
		lx_proc_fatal(sig, (sig == 4 || sig == 8) ? tf->rip : 0, tf->rip);
	panic("%s (vector %lu, error %lx) at rip %lx rsp %lx in tid %ld%s",
	      tf->vector < 32 && trap_names[tf->vector] ? trap_names[tf->vector] : "trap",
	      tf->vector, tf->err, tf->rip, tf->rsp, t->tid, user ? " (user)" : " (kernel)");
}

void lx_sys_init(uint64_t seed)
{
	lx_seed = seed;
	rnd_state = seed ^ 0x6c78676574726e64ull;
}
