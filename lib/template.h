/* template.h: the prompt templates of synth-gen prompts.
 *
 * A template is text with slots: {name} stands for a value of the slot
 * of that name, '{{' and '}}' for a brace. A slot name is letters,
 * digits, '_', '-' and '.', starting with a letter or '_'. The parsed
 * template is literal text and slots in turn, the text kept escaped for
 * a JSON string (without its quotes), so that a prompt is built by
 * concatenation, values being kept escaped too.
 */
#ifndef SYNTH_TEMPLATE_H
#define SYNTH_TEMPLATE_H

#include <stddef.h>

#include "strbuf.h"

/* Part i is text[i], then (for i < nparts - 1) the value of slot[i]. */
struct template {
	char *name;		/* the caller's, NULL or allocated; freed with the rest */
	struct strbuf *text;	/* nparts pieces of literal text, escaped */
	size_t *slot;		/* nparts - 1 slot numbers */
	size_t nparts;
	size_t *distinct;	/* the slots it names, each once, in order of first use */
	size_t ndistinct;
};

/* Can c be in a slot name; first: as its first character. */
int template_slot_char(char c, int first);

/* Parse the template src[0..n) (any bytes) into t, which it fills from
 * scratch, against the slots named slots[0..nslots): a slot number is
 * an index into them. Returns 0, or -1 with "NAME: reason" or
 * "NAME:LINE: reason" in err, NAME being the template's for messages,
 * and t empty: the text is not UTF-8, a lone brace, or a slot no name
 * in slots gives. */
int template_parse(struct template *t, const char *src, size_t n, const char *const *slots,
		   size_t nslots, const char *name, struct strbuf *err);

/* Free what t holds, its name too, and leave it empty. */
void template_release(struct template *t);

#endif
