/* langid.c: the language (by CLD2) and the script of a text. */
#include <string.h>

#include "langid.h"
#include "utf8.h"

enum script {
	LATN, GREK, CYRL, ARMN, HEBR, ARAB, DEVA, BENG, GURU, GUJR, ORYA, TAML, TELU, KNDA, MLYM,
	SINH, THAI, LAOO, TIBT, MYMR, GEOR, HANG, ETHI, KHMR, MONG, HIRA, KANA, HANI, NSCRIPTS
};

static const char script_code[NSCRIPTS][5] = {
	"Latn", "Grek", "Cyrl", "Armn", "Hebr", "Arab", "Deva", "Beng", "Guru", "Gujr", "Orya",
	"Taml", "Telu", "Knda", "Mlym", "Sinh", "Thai", "Laoo", "Tibt", "Mymr", "Geor", "Hang",
	"Ethi", "Khmr", "Mong", "Hira", "Kana", "Hani",
};

/* The blocks of each script's letters (and their marks), in order of
 * code point; from the Unicode blocks of the same names. */
static const struct {
	int first, last;
	enum script script;
} blocks[] = {
	{ 0x0041, 0x005A, LATN }, { 0x0061, 0x007A, LATN }, { 0x00C0, 0x00D6, LATN },
	{ 0x00D8, 0x00F6, LATN }, { 0x00F8, 0x02AF, LATN }, { 0x0370, 0x03FF, GREK },
	{ 0x0400, 0x052F, CYRL }, { 0x0531, 0x058F, ARMN }, { 0x0591, 0x05FF, HEBR },
	{ 0x0600, 0x06FF, ARAB }, { 0x0750, 0x077F, ARAB }, { 0x08A0, 0x08FF, ARAB },
	{ 0x0900, 0x097F, DEVA }, { 0x0980, 0x09FF, BENG }, { 0x0A00, 0x0A7F, GURU },
	{ 0x0A80, 0x0AFF, GUJR }, { 0x0B00, 0x0B7F, ORYA }, { 0x0B80, 0x0BFF, TAML },
	{ 0x0C00, 0x0C7F, TELU }, { 0x0C80, 0x0CFF, KNDA }, { 0x0D00, 0x0D7F, MLYM },
	{ 0x0D80, 0x0DFF, SINH }, { 0x0E00, 0x0E7F, THAI }, { 0x0E80, 0x0EFF, LAOO },
	{ 0x0F00, 0x0FFF, TIBT }, { 0x1000, 0x109F, MYMR }, { 0x10A0, 0x10FF, GEOR },
	{ 0x1100, 0x11FF, HANG }, { 0x1200, 0x137F, ETHI }, { 0x1780, 0x17FF, KHMR },
	{ 0x1800, 0x18AF, MONG }, { 0x1C80, 0x1C8F, CYRL }, { 0x1E00, 0x1EFF, LATN },
	{ 0x1F00, 0x1FFF, GREK }, { 0x2DE0, 0x2DFF, CYRL }, { 0x3040, 0x309F, HIRA },
	{ 0x30A0, 0x30FF, KANA }, { 0x3130, 0x318F, HANG }, { 0x31F0, 0x31FF, KANA },
	{ 0x3400, 0x4DBF, HANI }, { 0x4E00, 0x9FFF, HANI }, { 0xA640, 0xA69F, CYRL },
	{ 0xA720, 0xA7FF, LATN }, { 0xAC00, 0xD7AF, HANG }, { 0xF900, 0xFAFF, HANI },
	{ 0xFF21, 0xFF3A, LATN }, { 0xFF41, 0xFF5A, LATN }, { 0xFF66, 0xFF9F, KANA },
	{ 0xFFA0, 0xFFDC, HANG }, { 0x20000, 0x3134F, HANI },
};

static int script_of(int cp)
{
	size_t lo = 0, hi = sizeof(blocks) / sizeof(*blocks);
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (cp < blocks[mid].first)
			hi = mid;
		else if (cp > blocks[mid].last)
			lo = mid + 1;
		else
			return (int)blocks[mid].script;
	}
	return -1;
}

const char *langid_script(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t count[NSCRIPTS] = { 0 };
	int prev = -1;
	for (size_t i = 0, k; i < n; i += k) {
		/* A sequence cut at the end is left out. */
		int script;
		if (u[i] < 0x80) {
			k = 1;
			script = ((u[i] | 0x20) >= 'a' && (u[i] | 0x20) <= 'z') ? LATN : -1;
		} else {
			size_t need = u[i] < 0xE0 ? 2 : u[i] < 0xF0 ? 3 : 4;
			if (need > n - i)
				break;
			script = script_of(utf8_decode(u + i, &k));
		}
		/* Words are counted roughly: a run of letters of one
		 * script, or a single Han or kana character (no dictionary
		 * is asked for the script). */
		if (script >= 0 && (script != prev || script >= HIRA))
			count[script]++;
		prev = script;
	}
	/* Kana beside Han is Japanese. */
	size_t kana = count[HIRA] + count[KANA];
	size_t best = 0;
	int top = -1;
	for (int i = 0; i < NSCRIPTS; i++)
		if (count[i] > best) {
			best = count[i];
			top = i;
		}
	if (top < 0)
		return "Zyyy";
	if (kana && kana + count[HANI] >= best)
		return "Jpan";
	return script_code[top];
}

void langid_detect(const char *s, size_t n, struct langid *out)
{
	/* The opening, cut before a sequence that would cross the bound. */
	if (n > LANGID_BYTES) {
		n = LANGID_BYTES;
		while (n && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	int percent = 0, reliable = 0;
	langid_cld2(s, n, out->lang, sizeof(out->lang), &percent, &reliable);
	out->score = percent / 100.0;
	out->reliable = reliable;
	memcpy(out->script, langid_script(s, n), sizeof(out->script));
}
