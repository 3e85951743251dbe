/* folder.h: the files a folder named as an input stands for.
 *
 * A folder given where a program reads JSON Lines means every file under
 * it, at any depth, whose name ends in .jsonl or .json, alone or
 * followed by .zst or .gz, in byte order of the whole path (strcmp), so
 * that the order of the records, and with it keep-first deduplication,
 * sampling and -j output, is the same on every machine and every run.
 * Other files are skipped with a note under -v; so are hidden files and
 * folders (a name starting with '.': .git, a cache, our own temporary
 * files) and links to folders, which are not followed (a link to a file
 * is read). The paths are the folder's name, a '/', and the path below
 * it; a trailing '/' of the folder's name is not doubled.
 */
#ifndef SYNTH_FOLDER_H
#define SYNTH_FOLDER_H

#include <stddef.h>

/* Whether path names a folder (following links). */
int folder_is(const char *path);

/* Whether a file's name is one a folder's listing takes. */
int folder_takes_name(const char *name);

/* List the input files under the folder dir into *files (n of them,
 * sorted; the array and each path are the caller's to free with
 * folder_files_free). With `notes`, each file or folder skipped is
 * noted under -v. A folder that holds none of them is an error.
 * Returns 0, or -1 after printing an error naming the folder (one that
 * cannot be read, at any depth, or holds no input file). */
int folder_list(const char *dir, int notes, char ***files, size_t *n);

void folder_files_free(char **files, size_t n);

#endif
