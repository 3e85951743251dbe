/* test-journal.c: the journal of whole lines: read back in order with
 * their offsets, read again by offset, a cut last line truncated away,
 * appends after a reopen, removal. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bytes.h"
#include "journal.h"
#include "strbuf.h"
#include "unit.h"

/* What the line callback saw: each line, its number and its offset,
 * "N@OFFSET:LINE\n". */
struct seen {
	struct strbuf lines;
	uint64_t stop_at;	/* fail at this line; 0: never */
};

static int collect(void *arg, const char *p, size_t n, uint64_t lineno, uint64_t offset)
{
	struct seen *s = arg;
	if (lineno == s->stop_at)
		return -1;
	strbuf_addf(&s->lines, "%llu@%llu:%.*s\n", (unsigned long long)lineno,
		    (unsigned long long)offset, (int)n, p);
	return 0;
}

/* The file's contents, as a string in a static buffer. */
static const char *contents(const char *path)
{
	static struct strbuf data = STRBUF_INIT;
	strbuf_reset(&data);
	if (file_slurp(path, &data) < 0)
		return "(none)";
	return data.buf;
}

/* Append raw bytes to path, past the journal: a write cut short. */
static void append_raw(const char *path, const char *s)
{
	FILE *f = fopen(path, "ab");
	fputs(s, f);
	fclose(f);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	struct strbuf dir = STRBUF_INIT, path = STRBUF_INIT, to = STRBUF_INIT;
	strbuf_addf(&dir, "%s/synth-test-journal-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir.buf)) {
		perror(dir.buf);
		return 1;
	}
	strbuf_addf(&path, "%s/out.jsonl.partial", dir.buf);
	strbuf_addf(&to, "%s/out.jsonl", dir.buf);
	struct seen s = { STRBUF_INIT, 0 };
	struct journal j;

	/* A missing file holds no line and is made. */
	ok(journal_open(&j, path.buf, collect, &s) == 0, "a missing journal opens");
	ok(j.lines == 0 && s.lines.len == 0, "with no line");
	ok(access(path.buf, F_OK) == 0, "and is created");
	ok(journal_append(&j, "a\n", 2) == 0 && journal_append(&j, "b\nc\n", 4) == 0,
	   "one line, then two at once, appended");
	ok(j.lines == 3, "three lines counted (%llu)", (unsigned long long)j.lines);
	ok(journal_close(&j) == 0, "closed");
	journal_release(&j);
	is_str(contents(path.buf), "a\nb\nc\n", "the file holds the lines");

	/* The lines come back in order, numbered; appends go after them. */
	ok(journal_open(&j, path.buf, collect, &s) == 0, "reopened");
	is_str(s.lines.buf, "1@0:a\n2@2:b\n3@4:c\n", "the lines come back in order, with their offsets");
	ok(j.lines == 3, "three lines read back");
	ok(journal_append(&j, "{\"d\":1}\n", 8) == 0, "one more appended");
	struct strbuf got = STRBUF_INIT;
	strbuf_addstr(&got, "<");
	ok(journal_read(&j, 6, 7, &got) == 0 && journal_read(&j, 2, 1, &got) == 0,
	   "read back by offset, the new line too");
	is_str(got.buf, "<{\"d\":1}b", "after what the buffer held");
	fprintf(stderr, "# an error is expected here:\n");
	ok(journal_read(&j, 10, 8, &got) == -1, "a read past the end fails");
	strbuf_release(&got);
	ok(journal_close(&j) == 0, "closed");
	journal_release(&j);
	is_str(contents(path.buf), "a\nb\nc\n{\"d\":1}\n", "after the others");

	/* A last line cut short is truncated away before the lines are read,
	 * so that the next append starts a line of its own. */
	append_raw(path.buf, "{\"e\":");
	strbuf_reset(&s.lines);
	ok(journal_open(&j, path.buf, collect, &s) == 0, "a journal with a cut line opens");
	is_str(s.lines.buf, "1@0:a\n2@2:b\n3@4:c\n4@6:{\"d\":1}\n", "the cut line is not read");
	is_str(contents(path.buf), "a\nb\nc\n{\"d\":1}\n", "and is gone from the file");
	ok(journal_append(&j, "f\n", 2) == 0 && journal_close(&j) == 0, "appended after it");
	journal_release(&j);
	is_str(contents(path.buf), "a\nb\nc\n{\"d\":1}\nf\n", "a whole line where the cut one was");
	/* A file that is all one cut line holds nothing. */
	append_raw(to.buf, "no newline");
	ok(journal_open(&j, to.buf, collect, &s) == 0 && j.lines == 0, "a file of one cut line holds none");
	is_str(contents(to.buf), "", "and is emptied");
	journal_release(&j);
	unlink(to.buf);

	/* A line the caller refuses fails the open. */
	strbuf_reset(&s.lines);
	s.stop_at = 2;
	ok(journal_open(&j, path.buf, collect, &s) == -1, "a refused line fails the open");
	is_str(s.lines.buf, "1@0:a\n", "after the lines before it");
	ok(j.fd < 0 && !j.path, "and leaves nothing open");
	s.stop_at = 0;
	struct strbuf bad = STRBUF_INIT;
	strbuf_addf(&bad, "%s/no/such/folder", dir.buf);
	fprintf(stderr, "# an error is expected here:\n");
	ok(journal_open(&j, bad.buf, NULL, NULL) == -1, "a journal that cannot be made fails the open");
	strbuf_release(&bad);

	/* The end of a journal: removed. */
	ok(journal_open(&j, path.buf, NULL, NULL) == 0 && j.lines == 5,
	   "reopened without a callback: 5 lines (%llu)", (unsigned long long)j.lines);
	ok(journal_remove(&j) == 0, "removed");
	journal_release(&j);
	ok(access(path.buf, F_OK) != 0, "the journal is gone");
	ok(journal_open(&j, path.buf, NULL, NULL) == 0 && journal_close(&j) == 0 &&
	   journal_remove(&j) == 0, "a new journal, closed and removed");
	journal_release(&j);
	ok(access(path.buf, F_OK) != 0, "it is gone");
	ok(journal_open(&j, path.buf, NULL, NULL) == 0 && journal_append(&j, "g\n", 2) == 0 &&
	   journal_remove(&j) == 0 && j.fd < 0, "an open journal is closed and removed");
	journal_release(&j);
	ok(access(path.buf, F_OK) != 0, "it is gone too");

	unlink(to.buf);
	rmdir(dir.buf);
	strbuf_release(&s.lines);
	strbuf_release(&dir);
	strbuf_release(&path);
	strbuf_release(&to);
	return done_testing();
}
