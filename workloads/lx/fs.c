/*
 * workloads/lx/fs.c — the program package's files as a read-only root
 * directory, file descriptors' standard trio, and the program's output.
 *
 * The package (workloads/program_abi.h) stays where the VMM wrote it and
 * is read through the direct map; lx_files[] indexes it.  A file is
 * "/" + its name, or the name alone relative to the working directory "/".
 *
 * Output: write() to fd 1 or 2 copies the user's bytes into a physically
 * contiguous bounce buffer inside the kernel image (identity-mapped below
 * 4 MiB, so its address is its GPA), at most 64 KiB per chunk, and hands
 * each chunk to the VMM with one 32-bit OUT of a struct mv_prog_write's
 * GPA.  Bytes past the package's output_limit (fd 1 and 2 together) are
 * counted, not sent.  Every byte written to fd 1 feeds the FNV-1a
 * checksum, sent or not.
 */
#include "workloads/lx/lx.h"

#define LX_MAX_FILES 256
#define OUT_CHUNK 65536u

const struct mv_prog_header *lx_pkg;
struct lx_pkg_file lx_files[LX_MAX_FILES];
unsigned lx_nfiles;
uint64_t lx_checksum = MV_FNV_OFFSET;

static uint8_t out_buf[OUT_CHUNK] __attribute__((aligned(4096)));
static struct mv_prog_write out_desc __attribute__((aligned(64)));
static uint64_t out_total;   /* bytes of fd 1 and 2 so far, sent or dropped */

static int name_ok(const char *name)
{
	unsigned i;

	for (i = 0; i < MV_PROG_NAME_MAX; i++) {
		if (name[i] == '\0')
			return i > 0;
		if (name[i] == '/')
			return 0;
	}
	return 0;
}

const char *lx_fs_init(uint64_t pkg_gpa, uint64_t pkg_len)
{
	const struct mv_prog_header *h = lx_pa(pkg_gpa);
	const struct mv_prog_file *f;
	unsigned i;

	if (pkg_len < sizeof *h)
		return "package shorter than its header";
	if (h->magic != MV_PROG_MAGIC || h->version != MV_PROG_VERSION)
		return "package has a bad magic or version";
	if (h->total_len > pkg_len || h->file_count == 0 || h->file_count > LX_MAX_FILES)
		return "package length or file count out of range";
	if (h->strings_off > h->total_len || h->strings_len > h->total_len - h->strings_off)
		return "package strings out of range";
	if (h->files_off > h->total_len ||
	    (uint64_t)h->file_count * sizeof *f > h->total_len - h->files_off)
		return "package file table out of range";
	f = (const struct mv_prog_file *)((const uint8_t *)h + h->files_off);
	for (i = 0; i < h->file_count; i++) {
		if (f[i].data_off > h->total_len || f[i].size > h->total_len - f[i].data_off)
			return "package file data out of range";
		if (!name_ok(f[i].name))
			return "package file name not terminated, empty or with a '/'";
		lx_files[i].name = f[i].name;
		lx_files[i].data = (const uint8_t *)h + f[i].data_off;
		lx_files[i].size = f[i].size;
		lx_files[i].mode = f[i].mode & 07777u;
	}
	lx_nfiles = h->file_count;
	lx_pkg = h;
	return NULL;
}

void lx_fs_std(struct lx_fd *fds)
{
	memset(fds, 0, sizeof(struct lx_fd) * LX_NFD);
	fds[0].kind = LX_FD_STDIN;
	fds[1].kind = LX_FD_OUT;
	fds[1].file = 1;
	fds[2].kind = LX_FD_OUT;
	fds[2].file = 2;
}

static int name_eq(const char *a, const char *b, size_t blen)
{
	size_t i;

	for (i = 0; i < blen; i++)
		if (a[i] != b[i])
			return 0;
	return a[blen] == '\0';
}

/* The file a path names: "/" and "." are the root directory. */
int lx_fs_lookup(const char *path, int *is_dir)
{
	size_t n;
	unsigned i;

	*is_dir = 0;
	while (path[0] == '/' || (path[0] == '.' && path[1] == '/'))
		path += path[0] == '/' ? 1 : 2;
	n = kstrlen(path);
	while (n && path[n - 1] == '/')
		n--;
	if (n == 0 || (n == 1 && path[0] == '.') || (n == 2 && path[0] == '.' && path[1] == '.')) {
		*is_dir = 1;
		return 0;
	}
	for (i = 0; i < n; i++)
		if (path[i] == '/')
			return -LX_ENOENT;
	for (i = 0; i < lx_nfiles; i++)
		if (name_eq(lx_files[i].name, path, n))
			return (int)i;
	return -LX_ENOENT;
}

static void out_chunk(int fd, const uint8_t *p, uint32_t n)
{
	memcpy(out_buf, p, n);
	out_desc.fd = (uint32_t)fd;
	out_desc.len = n;
	out_desc.gpa = (uint64_t)out_buf;
	outl(MV_PORT_PROG_WRITE, (uint32_t)(uint64_t)&out_desc);
	lx_stats.output_bytes += n;
}

int64_t lx_fs_out(int fd, const uint8_t *buf, uint64_t len)
{
	uint64_t limit = lx_pkg->output_limit, i, send;

	if (fd == 1)
		for (i = 0; i < len; i++)
			lx_checksum = (lx_checksum ^ buf[i]) * MV_FNV_PRIME;
	send = out_total >= limit ? 0 : (limit - out_total < len ? limit - out_total : len);
	out_total += len;
	lx_stats.output_dropped += len - send;
	for (i = 0; i < send; i += OUT_CHUNK)
		out_chunk(fd, buf + i, (uint32_t)(send - i < OUT_CHUNK ? send - i : OUT_CHUNK));
	return (int64_t)len;
}
