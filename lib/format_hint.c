/* format_hint.c: naming the format of an input that is not JSON Lines;
 * see format_hint.h. */
#include "format_hint.h"

#include <stdio.h>
#include <string.h>

#include "json.h"

/* Formats known by their first bytes. gzip and zstd input is decoded
 * before a line is seen: their magic here means data compressed twice. */
static const struct {
	const char *magic;
	size_t len;
	const char *looks;
} magics[] = {
	{ "PAR1", 4, "Parquet (convert it first, with pandas or duckdb)" },
	{ "ARROW1", 6, "an Arrow file" },
	{ "Obj\x01", 4, "Avro" },
	{ "SQLite format 3", 16, "an SQLite database" },
	{ "PK\x03\x04", 4, "a zip archive (unzip it first)" },
	{ "BZh", 3, "bzip2-compressed data (bzip2 -dc FILE | ...)" },
	{ "\xfd" "7zXZ", 6, "xz-compressed data (xz -dc FILE | ...)" },
	{ "\x04\x22\x4d\x18", 4, "lz4-compressed data (lz4 -dc FILE | ...)" },
	{ "7z\xbc\xaf\x27\x1c", 6, "a 7-Zip archive" },
	{ "\x1f\x8b", 2, "gzip-compressed data inside compressed data" },
	{ "\x28\xb5\x2f\xfd", 4, "zstd-compressed data inside compressed data" },
	{ "\xff\xfe", 2, "UTF-16 text (synth reads UTF-8: iconv -f UTF-16 -t UTF-8)" },
	{ "\xfe\xff", 2, "UTF-16 text (synth reads UTF-8: iconv -f UTF-16 -t UTF-8)" },
};

const char *format_hint(const char *p, size_t n, const struct json_error *err)
{
	for (size_t k = 0; k < sizeof(magics) / sizeof(*magics); k++)
		if (n >= magics[k].len && !memcmp(p, magics[k].magic, magics[k].len))
			return magics[k].looks;
	size_t i = 0;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	size_t end = n;
	while (end > i && (p[end - 1] == ' ' || p[end - 1] == '\t'))
		end--;
	if (i == end)
		return NULL;
	char first = p[i];
	if (first == '{' || first == '[') {
		/* Valid JSON, not an object: an array of objects is a JSON
		 * array file; anything else the scanner names well. */
		if (err->offset == (size_t)-1) {
			size_t j = i + 1;
			while (j < end && (p[j] == ' ' || p[j] == '\t'))
				j++;
			return first == '[' && j < end && p[j] == '{'
				       ? "a JSON array (jq -c '.[]' FILE writes one object per line)"
				       : NULL;
		}
		/* Broken before the end of the line: a broken record. */
		if (err->offset < end)
			return NULL;
		if (first == '[')
			return "a JSON array (jq -c '.[]' FILE writes one object per line)";
		return "JSON spread over several lines (jq -c . FILE writes one object per line)";
	}
	if (memchr(p, '\0', n))
		return "binary data";
	if (!utf8_valid(p, n))
		return "text that is not UTF-8, or binary data";
	if (first == '<')
		return "XML or HTML";
	if (memchr(p + i, '\t', end - i))
		return "TSV (tab-separated values)";
	/* A CSV header ("id,text,source") has commas and no spaces; a
	 * sentence with commas is plain text. */
	if (memchr(p + i, ',', end - i) && (!memchr(p + i, ' ', end - i) || first == '"'))
		return "CSV";
	/* A JSON string or number alone on the line: the scanner says so. */
	if (err->offset == (size_t)-1)
		return NULL;
	return "plain text";
}

void format_hint_message(char *buf, size_t size, const struct json_error *err, const char *looks)
{
	/* The scanner's message up to its position: "invalid JSON". */
	const char *msg = err->msg;
	size_t len = strlen(msg);
	if (err->offset != (size_t)-1) {
		const char *colon = strchr(msg, ':');
		if (!colon) {
			/* "NUL byte in record", "invalid UTF-8": not JSON. */
			msg = "invalid JSON";
			colon = msg + strlen(msg);
		}
		len = (size_t)(colon - msg);
	}
	snprintf(buf, size,
		 "%.*s: this looks like %s; synth reads one JSON object per line, plain or "
		 "compressed with zstd or gzip",
		 (int)len, msg, looks);
}
