/* json_writer.c: JSON text written a piece at a time; see json_writer.h. */
#include "json_writer.h"

#include <math.h>
#include <string.h>

#include "diag.h"
#include "json.h"

void jw_init(struct json_writer *w, struct strbuf *out)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
}

/* Before a value: its comma, or the key it follows. */
static void before_value(struct json_writer *w)
{
	uint32_t bit = w->depth ? 1u << (w->depth - 1) : 0;
	if (w->keyed) {
		w->keyed = 0;
		return;
	}
	if (w->depth && !(w->in_array & bit))
		BUG("json_writer: a value in an object without its key");
	if (w->has_items & bit)
		strbuf_addc(w->out, ',');
	w->has_items |= bit;
}

static void begin(struct json_writer *w, char open, int array)
{
	before_value(w);
	if (w->depth == JW_MAX_DEPTH)
		BUG("json_writer: nested deeper than %d", JW_MAX_DEPTH);
	uint32_t bit = 1u << w->depth++;
	w->has_items &= ~bit;
	if (array)
		w->in_array |= bit;
	else
		w->in_array &= ~bit;
	strbuf_addc(w->out, open);
}

static void end(struct json_writer *w, char close, int array)
{
	if (!w->depth || w->keyed || !(w->in_array & (1u << (w->depth - 1))) != !array)
		BUG("json_writer: %c does not close what is open", close);
	w->depth--;
	strbuf_addc(w->out, close);
}

void jw_object_begin(struct json_writer *w) { begin(w, '{', 0); }
void jw_object_end(struct json_writer *w) { end(w, '}', 0); }
void jw_array_begin(struct json_writer *w) { begin(w, '[', 1); }
void jw_array_end(struct json_writer *w) { end(w, ']', 1); }

void jw_key(struct json_writer *w, const char *key)
{
	uint32_t bit = w->depth ? 1u << (w->depth - 1) : 0;
	if (!w->depth || (w->in_array & bit) || w->keyed)
		BUG("json_writer: key \"%s\" outside an object", key);
	if (w->has_items & bit)
		strbuf_addc(w->out, ',');
	w->has_items |= bit;
	json_add_cstr(w->out, key);
	strbuf_addc(w->out, ':');
	w->keyed = 1;
}

void jw_u64(struct json_writer *w, uint64_t v)
{
	before_value(w);
	json_add_u64(w->out, v);
}

void jw_int(struct json_writer *w, int v)
{
	before_value(w);
	strbuf_addf(w->out, "%d", v);
}

void jw_double(struct json_writer *w, double v, int decimals)
{
	static const double scale[] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9 };
	if (decimals < 0 || decimals > 9)
		BUG("json_writer: %d decimals", decimals);
	before_value(w);
	json_add_double(w->out, round(v * scale[decimals]) / scale[decimals]);
}

void jw_string(struct json_writer *w, const char *s, size_t n)
{
	before_value(w);
	json_add_string(w->out, s, n);
}

void jw_cstr(struct json_writer *w, const char *s)
{
	jw_string(w, s, strlen(s));
}

void jw_null(struct json_writer *w)
{
	before_value(w);
	strbuf_addstr(w->out, "null");
}

void jw_raw(struct json_writer *w, const char *json, size_t n)
{
	before_value(w);
	strbuf_add(w->out, json, n);
}
