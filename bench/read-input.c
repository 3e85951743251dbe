/* read-input: lib/input alone, for benchmarks.
 *
 * Reads every file named (a folder, "-", plain, zstd or gzip) in blocks
 * of whole lines, as the record loop's reader thread does, and prints
 * the bytes and lines it read: the cost of reading, decompressing and
 * finding the lines, without a record looked at. bench/gzip times it
 * against zcat.
 */
#include <inttypes.h>
#include <stdio.h>

#include "diag.h"
#include "input.h"

int main(int argc, char **argv)
{
	diag_init("read-input");
	if (argc < 2) {
		fprintf(stderr, "usage: read-input FILE...\n");
		return 2;
	}
	uint64_t bytes = 0, lines = 0;
	int rc = 0;
	struct block b = { 0 };
	for (int i = 1; i < argc; i++) {
		struct input in;
		if (input_open(&in, argv[i]) < 0) {
			rc = 1;
			continue;
		}
		int r;
		while ((r = input_read_block(&in, &b, BLOCK_SIZE)) != 0) {
			if (r < 0) {
				rc = 1;
				continue;
			}
			bytes += b.len;
			lines += b.nlines;
		}
		input_close(&in);
	}
	block_release(&b);
	printf("%" PRIu64 " bytes, %" PRIu64 " lines\n", bytes, lines);
	return rc;
}
