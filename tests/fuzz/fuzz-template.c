/* fuzz-template.c: libFuzzer target for the prompt templates of
 * synth-gen prompts (template_parse()).
 *
 * The input is a template, any bytes, parsed against a fixed set of
 * slot names. A parse either fails, with a message naming the template
 * and t left empty, or gives parts from which the input is written
 * again exactly: each text part decoded from its JSON escaping, its
 * braces doubled, then the slot's {name}. The slot numbers are within
 * the slots, and the distinct list holds each slot named, once.
 */
#define FUZZ_NAME "fuzz-template"
#include "fuzz-file.h"

#include "json.h"
#include "strbuf.h"
#include "template.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_file_init();
	return 0;
}

static const char *const slots[] = { "a", "b", "name", "x.y", "topic-1", "_", "Q9" };
#define NSLOTS (sizeof(slots) / sizeof(slots[0]))

static void check_parts(const struct template *t, const char *src, size_t n)
{
	struct strbuf back = STRBUF_INIT, quoted = STRBUF_INIT, text = STRBUF_INIT;
	CHECK(t->nparts >= 1 && t->text && t->slot && t->distinct, "a template has a part");
	CHECK(t->ndistinct <= NSLOTS && t->ndistinct <= t->nparts - 1, "the distinct slots");
	int seen[NSLOTS] = { 0 };
	for (size_t d = 0; d < t->ndistinct; d++) {
		CHECK(t->distinct[d] < NSLOTS && !seen[t->distinct[d]], "a distinct slot once");
		seen[t->distinct[d]] = 1;
	}
	for (size_t i = 0; i < t->nparts; i++) {
		strbuf_reset(&quoted);
		strbuf_addc(&quoted, '"');
		strbuf_add(&quoted, t->text[i].buf, t->text[i].len);
		strbuf_addc(&quoted, '"');
		struct json_value v = { quoted.buf, quoted.len, JSON_STRING, 0 };
		strbuf_reset(&text);
		json_decode_string(&v, &text);
		for (size_t k = 0; k < text.len; k++) {
			if (text.buf[k] == '{' || text.buf[k] == '}')
				strbuf_addc(&back, text.buf[k]);
			strbuf_addc(&back, text.buf[k]);
		}
		if (i + 1 == t->nparts)
			break;
		CHECK(t->slot[i] < NSLOTS, "a slot number within the slots");
		CHECK(seen[t->slot[i]], "every slot named is in the distinct list");
		strbuf_addf(&back, "{%s}", slots[t->slot[i]]);
	}
	CHECK(back.len == n && !memcmp(back.buf, src, n), "the parts give the template back");
	strbuf_release(&back);
	strbuf_release(&quoted);
	strbuf_release(&text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *src = malloc(size ? size : 1);
	CHECK(src != NULL, "allocating");
	if (size)
		memcpy(src, data, size);
	struct template t;
	struct strbuf err = STRBUF_INIT;
	int rc = template_parse(&t, src, size, slots, NSLOTS, "t.txt", &err);
	CHECK(rc == 0 || rc == -1, "template_parse returns 0 or -1");
	if (rc < 0) {
		CHECK(!strncmp(err.buf, "t.txt:", 6), "a failure names the template");
		CHECK(t.nparts == 0 && !t.text && !t.slot && !t.distinct, "a failed parse leaves t empty");
	} else {
		CHECK(err.len == 0, "a parse that succeeds says nothing");
		check_parts(&t, src, size);
	}
	template_release(&t);
	strbuf_release(&err);
	free(src);
	return 0;
}
