/* Unit tests: the prompt templates of synth-gen prompts (template_parse). */
#include <string.h>

#include "diag.h"
#include "template.h"
#include "unit.h"

static const char *const slots[] = { "topic", "style", "x.y" };
static struct template t;
static struct strbuf err = STRBUF_INIT;

static int parse(const char *src)
{
	template_release(&t);
	strbuf_reset(&err);
	return template_parse(&t, src, strlen(src), slots, 3, "t.txt", &err);
}

static void test_good(void)
{
	ok(parse("Write a {style} about {topic}.\nAgain {style}, {{not}} a {x.y}") == 0,
	   "a template: %s", err.buf);
	ok(t.nparts == 5, "five text parts around four slots");
	is_str(t.text[0].buf, "Write a ", "text before the first slot");
	is_str(t.text[2].buf, ".\\nAgain ", "text kept escaped for JSON");
	is_str(t.text[3].buf, ", {not} a ", "'{{' and '}}' are braces");
	ok(t.slot[0] == 1 && t.slot[1] == 0 && t.slot[2] == 1 && t.slot[3] == 2, "slot numbers");
	ok(t.ndistinct == 3 && t.distinct[0] == 1 && t.distinct[1] == 0 && t.distinct[2] == 2,
	   "distinct slots in order of first use");
	ok(parse("caf\xc3\xa9 \"q\" \t") == 0 && t.nparts == 1, "no slot: %s", err.buf);
	is_str(t.text[0].buf, "caf\xc3\xa9 \\\"q\\\" \\t", "UTF-8 kept, quotes and tab escaped");
	ok(parse("") == 0 && t.nparts == 1 && t.text[0].len == 0, "an empty template");
	ok(template_slot_char('_', 1) && !template_slot_char('1', 1) && template_slot_char('1', 0) &&
	   template_slot_char('.', 0) && !template_slot_char('.', 1), "slot name characters");
}

static void test_bad(void)
{
	ok(parse("a\nb }") < 0, "a lone '}'");
	is_str(err.buf, "t.txt:2: a '}' that closes no slot (write '}}' for a brace)", "names the line");
	ok(t.nparts == 0 && !t.text, "a failed parse leaves the template empty");
	parse("{topic");
	is_str(err.buf, "t.txt:1: a '{' that opens no slot: write {name} for a slot, '{{' for a brace",
	       "an unclosed slot");
	parse("{}");
	is_str(err.buf, "t.txt:1: a '{' that opens no slot: write {name} for a slot, '{{' for a brace",
	       "an empty slot");
	parse("{1a}");
	is_str(err.buf, "t.txt:1: a '{' that opens no slot: write {name} for a slot, '{{' for a brace",
	       "a name starting with a digit");
	parse("\n\n{colour}");
	is_str(err.buf, "t.txt:3: no --slot gives the values of {colour}", "an unknown slot");
	parse("bad \xff byte");
	is_str(err.buf, "t.txt: invalid UTF-8", "not UTF-8");
}

int main(void)
{
	diag_init("test-template");
	test_good();
	test_bad();
	template_release(&t);
	strbuf_release(&err);
	return done_testing();
}
