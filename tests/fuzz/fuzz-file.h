/* fuzz-file.h: what the targets for synth's binary files share.
 *
 * Every such file ends with a checksum of the bytes before it, so nearly
 * every mutation of a good file is turned away at the checksum and the
 * code behind it is never reached. Each target therefore reads an input
 * twice: as it is, which tries the checksum test itself, and as a copy
 * whose last 8 bytes are replaced by the checksum of the bytes before
 * them (fuzz_resealed()), which takes a mutated file past it to the
 * checks of its structure. Seeds are real files, written by the programs.
 *
 * The parsers report nothing on stderr, but the targets are run with
 * -close_fd_mask=2 like the others; a violated property is reported on a
 * copy of stderr made before that, then abort() makes libFuzzer save the
 * input.
 */
#ifndef SYNTH_FUZZ_FILE_H
#define SYNTH_FUZZ_FILE_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "hash.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fuzz_report_fd = 2;

/* Keep a copy of stderr for reports; call from LLVMFuzzerInitialize(). */
static void fuzz_file_init(void)
{
	int fd = fcntl(2, F_DUPFD_CLOEXEC, 3);
	if (fd >= 0)
		fuzz_report_fd = fd;
}

#define CHECK(cond, what)                                                        \
	do {                                                                     \
		if (!(cond)) {                                                   \
			dprintf(fuzz_report_fd, "%s: property violated: %s (%s:%d)\n", \
				FUZZ_NAME, (what), __FILE__, __LINE__);          \
			abort();                                                 \
		}                                                                \
	} while (0)

/* A copy of data[0..size) that ends with the right checksum, to free; NULL
 * when the input is shorter than a checksum or already ends with it. */
static unsigned char *fuzz_resealed(const uint8_t *data, size_t size)
{
	if (size < 8)
		return NULL;
	uint64_t sum = hash64(data, size - 8, 0);
	if (get64(data + size - 8) == sum)
		return NULL;
	unsigned char *copy = malloc(size);
	CHECK(copy != NULL, "allocating");
	memcpy(copy, data, size);
	put64(copy + size - 8, sum);
	return copy;
}

#endif
