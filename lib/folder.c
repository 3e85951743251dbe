/* folder.c: a folder's input files, in byte order; see folder.h. */
#include "folder.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"
#include "diag.h"
#include "strbuf.h"

int folder_is(const char *path)
{
	struct stat st;
	return strcmp(path, "-") && !stat(path, &st) && S_ISDIR(st.st_mode);
}

static int ends_with(const char *s, size_t n, const char *suffix)
{
	size_t m = strlen(suffix);
	return n >= m && !memcmp(s + n - m, suffix, m);
}

int folder_takes_name(const char *name)
{
	size_t n = strlen(name);
	if (ends_with(name, n, ".zst"))
		n -= 4;
	else if (ends_with(name, n, ".gz"))
		n -= 3;
	/* A name that is nothing but the suffix (".jsonl") is hidden anyway. */
	return (ends_with(name, n, ".jsonl") && n > 6) || (ends_with(name, n, ".json") && n > 5);
}

struct listing {
	char **files;
	size_t n, cap;
	size_t skipped;
	int notes;
};

/* A file or folder left out: noted under -v, when notes are wanted. */
__attribute__((format(printf, 2, 3)))
static void skip(struct listing *l, const char *fmt, ...)
{
	l->skipped++;
	if (!l->notes)
		return;
	char msg[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	info("%s", msg);
}

static int by_bytes(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Add the input files under the folder at path (path->buf, which is
 * restored before returning) to l. Returns 0, or -1 after an error. */
static int walk(struct strbuf *path, struct listing *l)
{
	DIR *d = opendir(path->buf);
	if (!d)
		return error_errno("%s", path->buf);
	size_t base = path->len;
	int rc = 0;
	struct dirent *e;
	for (errno = 0; (e = readdir(d)); errno = 0) {
		const char *name = e->d_name;
		if (!strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		strbuf_setlen(path, base);
		if (base && path->buf[base - 1] != '/')
			strbuf_addc(path, '/');
		strbuf_addstr(path, name);
		if (name[0] == '.') {
			skip(l, "%s: skipped (hidden)", path->buf);
			continue;
		}
		struct stat st;
		if (lstat(path->buf, &st) < 0) {
			rc = error_errno("%s", path->buf);
			break;
		}
		int link = S_ISLNK(st.st_mode);
		if (link && stat(path->buf, &st) < 0) {
			skip(l, "%s: skipped (a broken link)", path->buf);
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			if (link) {
				skip(l, "%s: skipped (a link to a folder is not followed)", path->buf);
				continue;
			}
			if (walk(path, l) < 0) {
				rc = -1;
				break;
			}
			continue;
		}
		if (!folder_takes_name(name)) {
			skip(l, "%s: skipped (not .jsonl or .json, with or without .zst or .gz)",
			     path->buf);
			continue;
		}
		if (l->n == l->cap) {
			l->cap = grow_capacity(l->cap, l->n + 1, 16);
			l->files = xreallocarray(l->files, l->cap, sizeof(*l->files));
		}
		l->files[l->n++] = xstrdup(path->buf);
	}
	if (!rc && errno)
		rc = error_errno("%s", path->buf);
	strbuf_setlen(path, base);
	closedir(d);
	return rc;
}

int folder_list(const char *dir, int notes, char ***files, size_t *n)
{
	struct strbuf path = STRBUF_INIT;
	struct listing l = { NULL, 0, 0, 0, notes };
	strbuf_addstr(&path, dir);
	/* "data/" lists "data/a.jsonl", not "data//a.jsonl". */
	while (path.len > 1 && path.buf[path.len - 1] == '/')
		strbuf_setlen(&path, path.len - 1);
	int rc = walk(&path, &l);
	strbuf_release(&path);
	if (!rc && !l.n)
		rc = error("%s: a folder with no .jsonl or .json file (with or without .zst or .gz)%s",
			   dir, l.skipped ? "; -v lists what it holds" : "");
	if (rc < 0) {
		folder_files_free(l.files, l.n);
		*files = NULL;
		*n = 0;
		return -1;
	}
	qsort(l.files, l.n, sizeof(*l.files), by_bytes);
	*files = l.files;
	*n = l.n;
	return 0;
}

void folder_files_free(char **files, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(files[i]);
	free(files);
}
