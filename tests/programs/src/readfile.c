/*
 * tests/programs/src/readfile.c — reads a file given by name (under
 * memvirt, one passed with --file, found in the working directory "/"):
 * with stdio (fgets), with open/read/lseek/pread, and with fstat and
 * mmap; prints its size, lines, words and an FNV-1a hash of its bytes.
 * Usage: readfile FILE
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: readfile FILE\n");
		return 2;
	}
	FILE *f = fopen(argv[1], "r");
	if (!f) {
		perror(argv[1]);
		return 3;
	}
	char line[4096];
	unsigned long lines = 0, words = 0;
	while (fgets(line, sizeof(line), f)) {
		lines += strchr(line, '\n') != NULL;
		for (char *p = strtok(line, " \t\n"); p; p = strtok(NULL, " \t\n"))
			words++;
	}
	fclose(f);

	int fd = open(argv[1], O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st))
		return 4;
	uint64_t h = 0xcbf29ce484222325ull;
	unsigned char buf[1000];
	ssize_t n;
	off_t total = 0;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			h = (h ^ buf[i]) * 0x100000001b3ull;
		total += n;
	}
	off_t end = lseek(fd, 0, SEEK_END);
	unsigned char mid = 0;
	ssize_t pr = pread(fd, &mid, 1, st.st_size / 2);
	unsigned long mapsum = 0;
	if (st.st_size > 0) {
		unsigned char *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m == MAP_FAILED)
			return 5;
		for (off_t i = 0; i < st.st_size; i++)
			mapsum += m[i];
		munmap(m, (size_t)st.st_size);
	}
	close(fd);
	printf("%s: %lld bytes (read %lld, lseek %lld), %lu lines, %lu words\n", argv[1], (long long)st.st_size,
	       (long long)total, (long long)end, lines, words);
	printf("fnv %016llx, middle byte %d (pread %zd), mmap byte sum %lu\n", (unsigned long long)h, mid, pr,
	       mapsum);
	int bad = total != st.st_size || end != st.st_size || (st.st_size && pr != 1);
	f = fopen("no-such-file", "r");
	printf("missing file: %s\n", f ? "opened?" : "ENOENT as expected");
	return bad || f;
}
