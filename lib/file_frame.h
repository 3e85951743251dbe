/* file_frame.h: the frame every binary file of synth is written in.
 *
 * The dedup index, a shard index and its verdicts, the n-gram model and
 * the synth-stats state are each laid out as
 *
 *   0		magic		8 bytes that name the kind of file
 *   8		version		u32, of the kind's format
 *   12		byte order	u32, BYTE_ORDER_MARK (bytes.h) as written
 *   16		the kind's own header fields, up to its header size
 *   header	the body
 *   n - 8	checksum	hash64 (hash.h, seed 0) of every byte before it
 *
 * with every number in the byte order of the machine that wrote it; a
 * reader refuses the other order rather than swap. A kind is described
 * by a struct file_frame; its writer starts the file with
 * file_frame_begin() (which stamps the first 16 bytes of its header),
 * writes the body through file_frame_write() and ends with
 * file_frame_end(). Its parser calls file_frame_check() before reading
 * any field of its own, and its loader hands the parser to
 * file_frame_load(), which reads the file and names it in any message.
 */
#ifndef SYNTH_FILE_FRAME_H
#define SYNTH_FILE_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

struct output;
struct hash_stream;

/* A kind of file. */
struct file_frame {
	const char *magic;	/* its first 8 bytes */
	uint32_t version;	/* the format this build writes and reads */
	size_t header;		/* bytes of its header, these 16 included */
	const char *kind;	/* what it is, with its article: a file
				 * without the magic is "not " kind */
};

/* Where a kind's own header fields start, and the checksum's size. */
#define FILE_FRAME_FIELDS 16
#define FILE_FRAME_CHECKSUM 8

/* --- Writing ------------------------------------------------------------ */

struct file_frame_writer {
	struct output *out;
	struct hash_stream *sum;	/* of every byte written so far */
};

/* Start a file of kind f on out: stamp magic, version and byte-order mark
 * into header[0..16), whose other f->header - 16 bytes the caller has
 * filled with its fields, and write the whole header. */
void file_frame_begin(struct file_frame_writer *w, const struct file_frame *f,
		      unsigned char *header, struct output *out);
/* Write p[0..n) of the body, adding it to the checksum. */
void file_frame_write(struct file_frame_writer *w, const void *p, size_t n);
/* Write the checksum that ends the file. Errors are out's, reported by
 * output_close(). */
void file_frame_end(struct file_frame_writer *w);

/* --- Reading ------------------------------------------------------------ */

/* The length of a file whose header says nothing of it (see
 * file_frame_check()). */
#define FILE_FRAME_ANY_LENGTH 0

/* The whole length of a file of kind f whose header promises body bytes
 * between it and the checksum: UINT64_MAX (longer than any file) when
 * that passes 64 bits or overflow is set. */
uint64_t file_frame_length(const struct file_frame *f, uint64_t body, int overflow);

/* Check that buf[0..n) is a whole file of kind f: its magic (else "not
 * KIND"), a whole header ("truncated"), its version ("format version 3;
 * this build reads version 2"), its byte order ("written on a machine
 * of the other byte order"), the length its header promises, when
 * length is not FILE_FRAME_ANY_LENGTH ("truncated", "corrupt: bytes
 * after the end"), and its checksum ("corrupt: the checksum does not
 * match"), in that order. Returns 0, or -1 with the reason added to err.
 *
 * The caller works out length from the header's fields before the
 * check, and so only when n >= f->header; it passes
 * FILE_FRAME_ANY_LENGTH when the fields are not ones it could have
 * written (the check of the checksum then tells a damaged file), and a
 * file cut short is "truncated" only when a length is given. */
int file_frame_check(const struct file_frame *f, const unsigned char *buf, size_t n,
		     uint64_t length, struct strbuf *err);

/* A parser of a kind of file: reads buf[0..n) into obj. Returns 0, or
 * -1 with the reason in err. */
typedef int file_frame_parse_fn(void *obj, const unsigned char *buf, size_t n,
				struct strbuf *err);

/* What loading a file came to. */
enum file_load {
	FILE_LOADED,	/* read and parsed */
	FILE_ABSENT,	/* no such file, and that was allowed: nothing printed */
	FILE_FAILED,	/* not read, or refused; an error naming it was printed */
};

/* Whether a file may be missing: an index that a first run will create,
 * or an input that must be there. */
enum file_need { FILE_REQUIRED, FILE_OPTIONAL };

/* Read the whole file at path (in huge pages where it is large) and
 * hand its bytes to parse(obj, ...); the bytes are freed before this
 * returns, so the parser copies what it keeps. A missing file is
 * FILE_ABSENT when need is FILE_OPTIONAL, and an error otherwise. The
 * errors read "PATH: REASON", with the system's reason or the parser's. */
enum file_load file_frame_load(const char *path, enum file_need need,
			       file_frame_parse_fn *parse, void *obj);

/* --- Reading in pieces --------------------------------------------------
 *
 * A file too large to hold (the step-1 files of a sharded dedup, read by
 * every node of a merge split by band) is read from its start to its end
 * through a buffer: file_frame_open() reads and checks the header (magic,
 * version, byte order) and takes the file's size, the caller checks its
 * own fields and the length they promise against r->size, reads the body
 * with file_frame_read() and ends with file_frame_close(), which checks
 * the checksum. The messages name the file; each returns 0 or -1 after
 * printing one. r->fd stays open until file_frame_close() and may be read
 * at any offset with pread() beside it. */
struct file_frame_reader {
	const struct file_frame *f;
	const char *path;
	int fd;
	uint64_t size;			/* of the whole file */
	uint64_t at;			/* bytes read */
	struct hash_stream *sum;	/* of those bytes */
	unsigned char *buf;		/* FILE_FRAME_READ_BUF bytes */
	size_t have, used;		/* buf[used..have) not yet handed out */
};

#define FILE_FRAME_READ_BUF (1u << 20)

/* Open path, a file of kind f, and read its header into header[0..f->header). */
int file_frame_open(struct file_frame_reader *r, const struct file_frame *f, const char *path,
		    unsigned char *header);
/* The next n bytes of the body into p (NULL: passed over, still summed). */
int file_frame_read(struct file_frame_reader *r, void *p, uint64_t n);
/* Check that the checksum comes next and ends the file, and close it.
 * check == 0: only close (after an error). */
int file_frame_close(struct file_frame_reader *r, int check);
/* Report "PATH: why" for a file being read, close it; -1. */
int file_frame_fail(struct file_frame_reader *r, const char *why);

#endif
