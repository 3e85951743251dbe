/* input.h: reading JSON Lines input in blocks of whole lines.
 *
 * An input is a file named on the command line, standard input for "-",
 * or a folder, which stands for the files folder.h lists under it, read
 * one after another as one input: each block comes from one file and is
 * named for it, and lines are numbered from 1 in each file. Compressed
 * input is recognised by its magic number, never by the name: zstd (a
 * frame's or a skippable frame's magic) and gzip (1f 8b), each of any
 * number of concatenated frames or members. The reader hands out blocks:
 * buffers that hold whole lines (a final line without a newline counts),
 * so that a block can be given to a worker thread and split there. A
 * line may be of any length: the buffer grows until it holds one. A
 * UTF-8 byte-order mark at the start of a file is removed.
 */
#ifndef SYNTH_INPUT_H
#define SYNTH_INPUT_H

#include <stddef.h>
#include <stdint.h>

struct input {
	const char *name;	/* for messages: the path of the file being read
				 * (a folder's: one of its files), or "<stdin>" */
	const char *path;	/* as opened, NULL for standard input; the caller's,
				 * or for a folder one of its files' */
	int fd;
	int close_fd;
	int suspended;		/* fd closed until the next read (input_suspend) */
	int eof;		/* the source has no more bytes */
	int started;		/* the first block was handed out */
	struct ZSTD_DCtx_s *zd;	/* non-NULL for zstd input */
	struct z_stream_s *gz;	/* non-NULL for gzip input */
	int gz_ended;		/* a gzip member ended; another may follow */
	unsigned char *zbuf;	/* compressed bytes not yet decoded */
	size_t zpos, zlen, zcap;
	size_t zret;		/* last ZSTD_decompressStream() hint; 0 at a frame's end */
	char *carry;		/* the start of a line that did not fit the last block */
	size_t carry_len, carry_cap;
	uint64_t lineno;	/* lines of this file handed out so far */
	uint64_t bytes_read;	/* bytes read from the file (compressed when zstd
				 * or gzip) */
	int file_done;		/* the file was read to its end or given up: the
				 * next read goes on with a folder's next file */
	char **files;		/* a folder's files, nfiles of them; their names
				 * outlive the input (see input_close) */
	size_t nfiles, next_file;
};

/* A buffer of whole lines, owned by whoever holds the block. */
struct block {
	char *buf;
	size_t len, cap;
	const char *name;	/* the input's name, valid while the input is open */
	uint64_t first_line;	/* number of the block's first line, from 1 */
	uint64_t nlines;
	uint32_t *eol;		/* offsets of the newlines, when eol_valid */
	size_t neol, eolcap;
	int eol_valid;
};

#define BLOCK_SIZE (1u << 20)

/* Open path ("-" for standard input). Returns 0, or -1 after printing
 * "PROGRAM: path: reason" (a folder with no input file is one such). */
int input_open(struct input *in, const char *path);

/* Fill b with the next whole lines, about `target` bytes of them (more
 * when one line is longer). b's buffer is reused or grown. Returns 1 when
 * b holds lines, 0 at the end of the input, -1 after printing an error:
 * a read error ("FILE: reason"), or corrupt or truncated compressed data
 * ("FILE:LINE: truncated gzip input", LINE the line it cut or spoiled).
 * After an error the file is given up; a folder's next read goes on
 * with its next file, another input's next read returns 0. */
int input_read_block(struct input *in, struct block *b, size_t target);

/* The short name of an input file, for labels: its base name without a
 * final .zst or .gz, then .jsonl or .json ("data/gen-3.jsonl.zst" is
 * "gen-3"; a folder "data/gen-4/" is "gen-4"). Sets *base to where it
 * starts in path and returns its length. */
size_t input_short_name(const char *path, const char **base);

/* Close the input's file but keep its place and what it holds: the next
 * read opens the path again and seeks back to where reading stopped
 * (bytes_read: the compressed offset for zstd, whose decoder keeps its
 * state). A program that holds many inputs at once (synth-mix's
 * sources) so needs a file descriptor only while it reads one. For a
 * file opened by name, seekable, that does not change meanwhile; on
 * standard input it does nothing. A failure to open or seek again is an
 * error of that read. */
void input_suspend(struct input *in);

/* Close the input and free what it holds. The names of a folder's files,
 * which blocks carry, are kept until the program exits: the record loop's
 * workers still hold blocks of an input its reader has closed. */
void input_close(struct input *in);

void block_release(struct block *b);

/* One line of a block, without its newline and without a CR before it. */
struct line {
	const char *p;
	size_t len;
	uint64_t lineno;
};

/* A position in a block's lines. */
struct block_cursor {
	size_t pos;
	size_t next_eol;	/* index into the block's eol */
	uint64_t lineno;
};

void block_cursor_init(struct block_cursor *c, const struct block *b);

/* The next line of the block: returns 1 with *l set, or 0 after the last
 * line. Blank lines (nothing but spaces, tabs or a CR) are skipped. */
int block_next_line(const struct block *b, struct block_cursor *c, struct line *l);

#endif
