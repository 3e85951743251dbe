/* quality.c: quality signals; see quality.h and synth-score(1). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "quality.h"

#include <math.h>
#include <pcre2.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "alloc.h"
#include "diag.h"
#include "hash.h"
#include "rules.h"
#include "text.h"

const char *const quality_names[Q_COUNT] = {
	"words", "mean_word_length", "hash_word_ratio", "ellipsis_word_ratio",
	"bullet_lines_frac", "ellipsis_lines_frac", "alpha_words_frac", "stop_words",
	"dup_line_frac", "dup_para_frac", "dup_line_char_frac", "dup_para_char_frac",
	"top_2gram_char_frac", "top_3gram_char_frac", "top_4gram_char_frac",
	"dup_5gram_char_frac", "dup_6gram_char_frac", "dup_7gram_char_frac",
	"dup_8gram_char_frac", "dup_9gram_char_frac", "dup_10gram_char_frac",
	"terminal_punct_lines_frac", "short_lines_frac", "newline_word_ratio", "lorem_ipsum",
	"curly_brace", "javascript_lines", "policy_lines",
	"boilerplate", "prompt_echo", "truncated", "max_repeat_run",
};

int quality_find(const char *name, size_t n)
{
	for (int i = 0; i < Q_COUNT; i++)
		if (strlen(quality_names[i]) == n && !memcmp(quality_names[i], name, n))
			return i;
	return -1;
}

/* --- Boilerplate patterns ------------------------------------------------ */

/* Assistant phrases, refusals and apologies in the twelve languages of
 * quality_lang_codes, ours: what chat models say of themselves ("as an
 * AI language model"), when they refuse ("I'm sorry, but I can't") and
 * when they close ("I hope this helps", "feel free to ask"); matched
 * without regard to case, in any text whatever its language. \b is
 * ASCII's, so patterns that start or end outside ASCII go without. */
static const struct phrase_of {
	int lang;
	const char *text;
} boilerplate_patterns[] = {
	/* English */
	{ QL_EN, "\\bas an ai(?: language)? model\\b" },
	{ QL_EN, "\\bi(?:'m|’m| am) (?:sorry|afraid),? (?:but )?i (?:can(?:'t|’t|not)|am unable to|won(?:'t|’t))\\b" },
	{ QL_EN, "\\bi can(?:'t|’t|not) (?:help|assist) with (?:that|this)\\b" },
	{ QL_EN, "\\bi(?:'m|’m| am) (?:just )?an ai\\b" },
	{ QL_EN, "\\b(?:certainly|sure|of course|absolutely)[!,.] here(?:'s|’s| is| are)\\b" },
	{ QL_EN, "\\bi hope this helps\\b" },
	{ QL_EN, "\\bfeel free to ask\\b" },
	{ QL_EN, "\\bas of my (?:last )?knowledge cut-?off\\b" },
	{ QL_EN, "\\bi don(?:'t|’t) have (?:personal|real-time|access to)\\b" },
	{ QL_EN, "\\bgreat question\\b" },
	/* German */
	{ QL_DE, "\\bals (?:eine )?ki(?:-sprachmodell)?\\b" },
	{ QL_DE, "\\bals künstliche intelligenz\\b" },
	{ QL_DE, "\\b(?:es tut mir leid|leider),? (?:aber )?(?:ich kann|kann ich) (?:nicht|keine)\\b" },
	{ QL_DE, "\\bich hoffe,? (?:das|dies) hilft\\b" },
	{ QL_DE, "\\bich bin (?:nur |lediglich )?(?:eine ki|ein ki-sprachmodell|ein sprachmodell|ein ki-assistent)\\b" },
	{ QL_DE, "\\bz(?:ö|o|oe)gern sie nicht,? (?:mich )?zu (?:fragen|kontaktieren)\\b" },
	/* French */
	{ QL_FR, "\\ben tant qu(?:e |'|’)(?:ia|intelligence artificielle|modèle de langage|assistant virtuel)\\b" },
	{ QL_FR, "\\bje suis désolée?,? (?:mais )?je ne (?:peux|pourrai|suis pas en mesure)" },
	{ QL_FR, "\\bje ne (?:peux pas|suis pas en mesure de) (?:vous |t['’])?aider (?:avec|pour|sur|à) (?:cela|ça|ceci|cette)" },
	{ QL_FR, "\\bj['’]esp[èe]re que (?:cela|ceci|ça) (?:vous |t['’])?(?:aide|aidera|sera utile)" },
	{ QL_FR, "\\bn['’]h[ée]sitez pas à (?:me )?(?:poser|demander|contacter)" },
	{ QL_FR, "\\bje (?:ne )?suis (?:qu['’])?(?:juste |seulement )?une ia\\b" },
	/* Spanish */
	{ QL_ES, "\\bcomo (?:un )?modelo de (?:lenguaje (?:de |basado en )?)?(?:ia|inteligencia artificial)\\b" },
	{ QL_ES, "\\bcomo (?:un )?modelo de lenguaje,? no (?:puedo|tengo|soy)\\b" },
	{ QL_ES, "\\bsoy (?:solo |sólo |simplemente )?una? (?:ia|inteligencia artificial|modelo de lenguaje)\\b" },
	{ QL_ES, "\\blo siento,? (?:pero )?no (?:puedo|me es posible|estoy en condiciones)" },
	{ QL_ES, "\\bno puedo ayudar(?:te|le|les)? con (?:eso|esto|esa|esta)\\b" },
	{ QL_ES, "\\bespero que (?:esto|eso|esta información) (?:te |le |les )?(?:ayude|sirva|sea útil|haya ayudado)" },
	{ QL_ES, "\\bno dud(?:es|e|en) en (?:preguntar|consultar|contactar|escribir)" },
	/* Italian */
	{ QL_IT, "\\bcome (?:un )?modello (?:di linguaggio|linguistico)(?: (?:di |basato sull['’])?(?:ia|ai|intelligenza artificiale)\\b|,? non (?:posso|ho|sono)\\b)" },
	{ QL_IT, "\\bin quanto (?:ia|intelligenza artificiale|modello (?:di linguaggio|linguistico)|assistente virtuale)\\b" },
	{ QL_IT, "\\bmi dispiace,? ma non (?:posso|sono in grado)\\b" },
	{ QL_IT, "\\bnon posso aiutar(?:ti|la|vi) (?:con|in|su) (?:questo|questa|ciò)" },
	{ QL_IT, "\\bspero che (?:questo|queste informazioni|ciò) (?:ti |le |vi )?(?:sia|siano|possa|possano) (?:utile|utili|d['’]aiuto|aiutare|esserti utile)" },
	{ QL_IT, "\\bnon esit(?:are|ate|i) a (?:chiedere|contattarmi|fare (?:altre )?domande|scrivere)" },
	{ QL_IT, "\\bsono (?:solo |soltanto )?un['’](?:ia|intelligenza artificiale)\\b" },
	/* Portuguese */
	{ QL_PT, "\\bcomo (?:um )?modelo de linguagem(?: de ia)?,? (?:eu )?não (?:posso|tenho|sou|consigo)" },
	{ QL_PT, "\\bsou (?:apenas |só |somente )?uma? (?:ia|inteligência artificial|modelo de linguagem)\\b" },
	{ QL_PT, "\\b(?:sinto muito|desculpe|lamento),? mas não (?:posso|consigo|sou capaz)" },
	{ QL_PT, "\\bnão posso ajudar com (?:isso|isto)" },
	{ QL_PT, "\\bespero que (?:isso|isto) (?:te |lhe )?(?:ajude|tenha ajudado|seja útil)" },
	{ QL_PT, "\\b(?:fique|sinta-se) à vontade para (?:perguntar|fazer (?:outras )?perguntas|entrar em contato)" },
	/* Dutch */
	{ QL_NL, "\\bals (?:een )?(?:ai-taalmodel\\b|taalmodel,? (?:kan|heb|ben) ik\\b)" },
	{ QL_NL, "\\bik ben (?:maar |slechts |gewoon )?een (?:ai|kunstmatige intelligentie|taalmodel)\\b" },
	{ QL_NL, "\\bhet spijt me,? (?:maar )?ik kan (?:dat |dit |het )?(?:niet|geen|je|u)\\b" },
	{ QL_NL, "\\bik kan (?:je|u) (?:daar |hier |hierbij |daarbij )?niet (?:mee |bij )?helpen\\b" },
	{ QL_NL, "\\bik hoop dat dit (?:je |u )?(?:helpt|heeft geholpen|nuttig is)\\b" },
	{ QL_NL, "\\baarzel niet om (?:te vragen|contact op te nemen|meer vragen te stellen|het te vragen)\\b" },
	/* Russian */
	{ QL_RU, "как (?:языковая )?модель (?:ии|искусственного интеллекта)" },
	{ QL_RU, "я не могу (?:помочь|выполнить|предоставить)" },
	{ QL_RU, "извините,? но я не могу" },
	{ QL_RU, "к сожалению,? я не могу" },
	{ QL_RU, "надеюсь,? это (?:поможет|помогло)" },
	{ QL_RU, "не стесняйтесь (?:спрашивать|задавать|обращаться)" },
	{ QL_RU, "я (?:всего лишь |просто )?(?:языковая модель|искусственный интеллект)" },
	/* Polish */
	{ QL_PL, "\\bjako model językowy(?: ai)?,? nie (?:mam|mogę|jestem)" },
	{ QL_PL, "\\bjako sztuczna inteligencja,? nie (?:mam|mogę|jestem)" },
	{ QL_PL, "\\bprzykro mi,? ale nie (?:mogę|jestem w stanie|mam możliwości)" },
	{ QL_PL, "\\bnie mogę (?:ci |pani |panu |wam )?pomóc (?:w tym|z tym)" },
	{ QL_PL, "mam nadziej[ęe],? że (?:to|ta informacja|te informacje) (?:pomoże|pomogło|pomogła|pomogą|się przyda)" },
	{ QL_PL, "\\bnie wahaj(?:cie)? się (?:zapytać|pytać|pisać|skontaktować)" },
	{ QL_PL, "śmiało (?:pytaj|zadawaj)" },
	{ QL_PL, "\\bjestem (?:tylko |jedynie )?(?:modelem językowym|sztuczną inteligencją)" },
	/* Ukrainian */
	{ QL_UK, "як (?:мовна модель|модель штучного інтелекту|штучний інтелект),? я" },
	{ QL_UK, "(?:вибачте|на жаль),? (?:але )?я не можу" },
	{ QL_UK, "я не можу (?:допомогти|виконати|надати)" },
	{ QL_UK, "сподіва(?:юся|юсь),? (?:що )?це (?:допоможе|допомогло|буде корисним)" },
	{ QL_UK, "не соромтеся (?:запитувати|питати|звертатися|ставити)" },
	{ QL_UK, "я (?:лише |просто )?(?:мовна модель|штучний інтелект)" },
	/* Chinese, simplified and traditional */
	{ QL_ZH, "作[为為](?:一[个個名])?(?:ai|人工智能)?(?:语言模型|語言模型|助手|助理)" },
	{ QL_ZH, "(?:很|非常)?抱歉[，,]?\\s*(?:但是?)?我(?:无法|無法|不能)" },
	{ QL_ZH, "我(?:无法|無法|不能)(?:帮助|幫助|协助|協助|帮|幫)(?:你|您)(?:完成|处理|處理|回答)?(?:这|這|此)" },
	{ QL_ZH, "希望(?:这|這|以上)(?:些)?(?:信息|資訊|内容|內容|回答)?(?:对|對)(?:你|您)有(?:所)?(?:帮助|幫助)" },
	{ QL_ZH, "(?:随时|隨時)(?:提问|提問|问我|問我|告诉我|告訴我)" },
	{ QL_ZH, "我(?:只)?是一[个個](?:ai|人工智能)(?:语言模型|語言模型|助手|模型)?[，,。]" },
	/* Japanese */
	{ QL_JA, "(?:ai|人工知能|言語)(?:言語)?(?:モデル|アシスタント)として" },
	{ QL_JA, "申し訳(?:ありません|ございません)が[、,]?[^。]{0,30}?(?:できません|いたしかねます)" },
	{ QL_JA, "お役に立て(?:れば|たら|ましたら)(?:幸い|嬉しい|うれしい)です" },
	{ QL_JA, "(?:お気軽に|遠慮なく)(?:お尋ね|ご質問|お聞き|質問して|お問い合わせ)(?:ください|下さい)" },
	{ QL_JA, "私は(?:単なる|ただの)?(?:ai|人工知能)(?:言語モデル|アシスタント)?(?:です|であり|なので)" },
};
#define NPATTERNS (sizeof(boilerplate_patterns) / sizeof(*boilerplate_patterns))

/* What each pattern cannot match without, in lower case: a text with
 * none of these is not scanned. (Words outside ASCII that may start
 * with a capital lose their first letter.) */
static const struct phrase_of required[] = {
	{ QL_EN, "an ai" }, { QL_EN, "sorry" }, { QL_EN, "afraid" }, { QL_EN, "help with" },
	{ QL_EN, "assist with" }, { QL_EN, "certainly" }, { QL_EN, "sure" }, { QL_EN, "of course" },
	{ QL_EN, "absolutely" }, { QL_EN, "hope this helps" }, { QL_EN, "feel free to ask" },
	{ QL_EN, "knowledge cut" }, { QL_EN, "don't have" }, { QL_EN, "don’t have" },
	{ QL_EN, "great question" },
	{ QL_DE, "als ki" }, { QL_DE, "als eine ki" }, { QL_DE, "künstliche intelligenz" },
	{ QL_DE, "leid" }, { QL_DE, "hoffe" }, { QL_DE, "eine ki" }, { QL_DE, "ein ki-" },
	{ QL_DE, "ein sprachmodell" }, { QL_DE, "gern sie nicht" },
	{ QL_FR, "en tant qu" }, { QL_FR, "je suis d" }, { QL_FR, "je ne peux pas" },
	{ QL_FR, "je ne suis pas en mesure" }, { QL_FR, "j'esp" }, { QL_FR, "j’esp" },
	{ QL_FR, "sitez pas" }, { QL_FR, "une ia" },
	{ QL_ES, "modelo de" }, { QL_ES, "soy un" }, { QL_ES, "soy solo un" }, { QL_ES, "soy sólo un" },
	{ QL_ES, "soy simplemente un" }, { QL_ES, "lo siento" }, { QL_ES, "no puedo ayudar" },
	{ QL_ES, "espero que es" }, { QL_ES, "no dud" },
	{ QL_IT, "guaggio" }, { QL_IT, "guistico" }, { QL_IT, "quanto " }, { QL_IT, "spiace" },
	{ QL_IT, "non posso aiutar" }, { QL_IT, "spero che" }, { QL_IT, "non esit" },
	{ QL_IT, "un'ia" }, { QL_IT, "un’ia" }, { QL_IT, "un'intelligenza" }, { QL_IT, "un’intelligenza" },
	{ QL_PT, "modelo de" }, { QL_PT, "sou um" }, { QL_PT, "sou apenas um" }, { QL_PT, "sou só um" },
	{ QL_PT, "sou somente um" }, { QL_PT, "sinto muito" }, { QL_PT, "desculpe" },
	{ QL_PT, "lamento" }, { QL_PT, "posso ajudar com" }, { QL_PT, "espero que is" },
	{ QL_PT, "vontade para" },
	{ QL_NL, "taalmodel" }, { QL_NL, "een ai" }, { QL_NL, "een kunstmatige" }, { QL_NL, "spijt me" },
	{ QL_NL, "helpen" }, { QL_NL, "hoop dat dit" }, { QL_NL, "aarzel niet" },
	{ QL_RU, "модел" }, { QL_RU, "не могу" }, { QL_RU, "звините" }, { QL_RU, "адеюсь" },
	{ QL_RU, "стесняйт" }, { QL_RU, "скусственный интеллект" },
	{ QL_PL, "model język" }, { QL_PL, "jako sztuczna" }, { QL_PL, "przykro mi" },
	{ QL_PL, "nie mog" }, { QL_PL, "nadziej" }, { QL_PL, "nie wahaj" }, { QL_PL, "miało pyta" },
	{ QL_PL, "miało zadaw" }, { QL_PL, "modelem język" }, { QL_PL, "sztuczną intel" },
	{ QL_UK, "модел" }, { QL_UK, "штучн" }, { QL_UK, "не можу" }, { QL_UK, "подіва" },
	{ QL_UK, "соромте" },
	{ QL_ZH, "作为" }, { QL_ZH, "作為" }, { QL_ZH, "抱歉" }, { QL_ZH, "我无法" }, { QL_ZH, "我無法" },
	{ QL_ZH, "我不能" }, { QL_ZH, "希望" }, { QL_ZH, "随时" }, { QL_ZH, "隨時" }, { QL_ZH, "是一个" },
	{ QL_ZH, "是一個" },
	{ QL_JA, "モデルとして" }, { QL_JA, "アシスタントとして" }, { QL_JA, "申し訳" },
	{ QL_JA, "お役に立て" }, { QL_JA, "気軽に" }, { QL_JA, "遠慮なく" }, { QL_JA, "私は" },
};

/* The same for a text of nothing but ASCII, where the patterns' curly
 * apostrophes and non-ASCII words cannot match: longer literals that
 * common words ("ensure", "help with") do not set off. Each holds one of
 * the literals above of its language, so that a text scanned for these
 * would have been scanned before, and each match of a language's
 * patterns in ASCII text holds one of its literals here (ASCII text
 * matches the caseless patterns as its lower-case form does). Russian,
 * Ukrainian, Chinese and Japanese have none: no match of theirs is
 * ASCII. */
static const struct phrase_of required_ascii[] = {
	{ QL_EN, "as an ai" }, { QL_EN, "i'm an ai" }, { QL_EN, "i am an ai" },
	{ QL_EN, "i'm just an ai" }, { QL_EN, "i am just an ai" }, { QL_EN, "i'm sorry" },
	{ QL_EN, "i am sorry" }, { QL_EN, "i'm afraid" }, { QL_EN, "i am afraid" },
	{ QL_EN, "can't help with" }, { QL_EN, "cannot help with" }, { QL_EN, "can't assist with" },
	{ QL_EN, "cannot assist with" }, { QL_EN, "certainly! here" }, { QL_EN, "certainly, here" },
	{ QL_EN, "certainly. here" }, { QL_EN, "sure! here" }, { QL_EN, "sure, here" },
	{ QL_EN, "sure. here" }, { QL_EN, "of course! here" }, { QL_EN, "of course, here" },
	{ QL_EN, "of course. here" }, { QL_EN, "absolutely! here" }, { QL_EN, "absolutely, here" },
	{ QL_EN, "absolutely. here" }, { QL_EN, "hope this helps" }, { QL_EN, "feel free to ask" },
	{ QL_EN, "knowledge cut" }, { QL_EN, "don't have personal" }, { QL_EN, "don't have real-time" },
	{ QL_EN, "don't have access to" }, { QL_EN, "great question" },
	{ QL_DE, "als ki" }, { QL_DE, "als eine ki" }, { QL_DE, "tut mir leid" }, { QL_DE, "leider" },
	{ QL_DE, "ich hoffe" }, { QL_DE, "eine ki" }, { QL_DE, "ein ki-" }, { QL_DE, "ein sprachmodell" },
	{ QL_DE, "gern sie nicht" },
	{ QL_FR, "en tant qu" }, { QL_FR, "je ne peux pas" }, { QL_FR, "je ne suis pas en mesure" },
	{ QL_FR, "j'espere que" }, { QL_FR, "une ia" },
	{ QL_ES, "modelo de" }, { QL_ES, "soy un" }, { QL_ES, "soy solo un" },
	{ QL_ES, "soy simplemente un" }, { QL_ES, "lo siento" }, { QL_ES, "no puedo ayudar" },
	{ QL_ES, "espero que es" }, { QL_ES, "no dud" },
	{ QL_IT, "guaggio" }, { QL_IT, "guistico" }, { QL_IT, "quanto " }, { QL_IT, "spiace" },
	{ QL_IT, "non posso aiutar" }, { QL_IT, "spero che" }, { QL_IT, "non esit" },
	{ QL_IT, "o un'ia" }, { QL_IT, "o un'intelligenza" },
	{ QL_PT, "modelo de" }, { QL_PT, "sou um" }, { QL_PT, "sou apenas um" },
	{ QL_PT, "sou somente um" }, { QL_PT, "espero que is" },
	{ QL_NL, "taalmodel" }, { QL_NL, "een ai" }, { QL_NL, "een kunstmatige" }, { QL_NL, "spijt me" },
	{ QL_NL, "helpen" }, { QL_NL, "hoop dat dit" }, { QL_NL, "aarzel niet" },
	{ QL_PL, "jako sztuczna" }, { QL_PL, "przykro mi" },
};

/* The phrases looked for in the text without regard to ASCII case, in
 * one pass: the required literals above, then these. */
enum { PH_REQUIRED = 1, PH_REQUIRED_ASCII, PH_JAVASCRIPT, PH_POLICY, PH_LOREM };
static const struct {
	const char *text;
	int kind;
} line_phrases[] = {
	{ "javascript", PH_JAVASCRIPT }, { "terms of use", PH_POLICY }, { "privacy policy", PH_POLICY },
	{ "cookie policy", PH_POLICY }, { "use of cookies", PH_POLICY }, { "use cookies", PH_POLICY },
	{ "uses cookies", PH_POLICY }, { "lorem ipsum", PH_LOREM },
};

#define NREQUIRED (sizeof(required) / sizeof(*required))
#define NREQUIRED_ASCII (sizeof(required_ascii) / sizeof(*required_ascii))
#define NPHRASES (NREQUIRED + NREQUIRED_ASCII + sizeof(line_phrases) / sizeof(*line_phrases))
static const char *phrase[NPHRASES];
static size_t phrase_len[NPHRASES];
static int phrase_kind[NPHRASES];
static unsigned char phrase_lang[NPHRASES];	/* the language of a required phrase */
static unsigned phrase_pair[NPHRASES];	/* its first two bytes */
/* For each two bytes of text (the first in the low byte), the first of
 * the phrases that start so in lower case (the phrases are sorted by
 * their first two bytes), plus 1; 0 for none. Every case of an ASCII
 * letter has its entry, so that the text need not be put in lower case
 * to be looked up. */
static unsigned char pair_first[65536];
/* A filter that passes the first four bytes of every phrase, and rules
 * out nearly every four bytes of text at less cost than pair_first: one
 * bit for each value of a hash of four bytes with bit 5 set in each,
 * which puts ASCII letters in lower case. (Every phrase is four bytes or
 * longer.) */
static uint64_t quad_filter[65536 / 64];
/* The same for bytes 0 to 3, 1 to 4 and 2 to 5 of the phrases an ASCII
 * text is searched for, all but required[]: see find_phrases(). */
static uint64_t quad_filter_ascii[65536 / 64];

static unsigned quad_key(const char *p)
{
	uint32_t x;
	memcpy(&x, p, 4);
	return ((x | 0x20202020u) * 0x9e3779b1u) >> 16;
}

static unsigned char ascii_lower(unsigned char c)
{
	return (unsigned char)(c + ((unsigned)(c - 'A') < 26u) * 32);
}

/* Each byte that ascii_lower() takes to c: c itself, and its capital. */
static size_t ascii_cases(unsigned char c, unsigned char out[2])
{
	out[0] = c;
	if (c >= 'a' && c <= 'z') {
		out[1] = (unsigned char)(c - 32);
		return 2;
	}
	return 1;
}

static void index_phrases(void)
{
	size_t k = 0;
	for (size_t i = 0; i < NREQUIRED; i++, k++) {
		phrase[k] = required[i].text;
		phrase_kind[k] = PH_REQUIRED;
		phrase_lang[k] = (unsigned char)required[i].lang;
	}
	for (size_t i = 0; i < NREQUIRED_ASCII; i++, k++) {
		phrase[k] = required_ascii[i].text;
		phrase_kind[k] = PH_REQUIRED_ASCII;
		phrase_lang[k] = (unsigned char)required_ascii[i].lang;
	}
	for (size_t i = 0; i < sizeof(line_phrases) / sizeof(*line_phrases); i++, k++) {
		phrase[k] = line_phrases[i].text;
		phrase_kind[k] = line_phrases[i].kind;
	}
	for (size_t i = 0; i < NPHRASES; i++)
		phrase_pair[i] = (unsigned char)phrase[i][0] << 8 | (unsigned char)phrase[i][1];
	/* Sort by pair (insertion; a few dozen phrases). */
	for (size_t i = 1; i < NPHRASES; i++)
		for (size_t j = i; j && phrase_pair[j - 1] > phrase_pair[j]; j--) {
			const char *t = phrase[j];
			phrase[j] = phrase[j - 1];
			phrase[j - 1] = t;
			int kd = phrase_kind[j];
			phrase_kind[j] = phrase_kind[j - 1];
			phrase_kind[j - 1] = kd;
			unsigned char lg = phrase_lang[j];
			phrase_lang[j] = phrase_lang[j - 1];
			phrase_lang[j - 1] = lg;
			unsigned pr = phrase_pair[j];
			phrase_pair[j] = phrase_pair[j - 1];
			phrase_pair[j - 1] = pr;
		}
	_Static_assert(NPHRASES < 255, "phrase numbers fit pair_first");
	for (size_t i = NPHRASES; i-- > 0;) {
		phrase_len[i] = strlen(phrase[i]);
		unsigned char c0[2], c1[2];
		size_t n0 = ascii_cases((unsigned char)phrase[i][0], c0);
		size_t n1 = ascii_cases((unsigned char)phrase[i][1], c1);
		for (size_t a = 0; a < n0; a++)
			for (size_t b = 0; b < n1; b++)
				pair_first[c0[a] | c1[b] << 8] = (unsigned char)(i + 1);
		if (phrase_len[i] < 4 || (phrase_kind[i] != PH_REQUIRED && phrase_len[i] < 6))
			BUG("phrase '%s' is too short for the filters", phrase[i]);
		unsigned key = quad_key(phrase[i]);
		quad_filter[key / 64] |= 1ull << key % 64;
		for (size_t at = 0; phrase_kind[i] != PH_REQUIRED && at < 3; at++) {
			key = quad_key(phrase[i] + at);
			quad_filter_ascii[key / 64] |= 1ull << key % 64;
		}
	}
}

static void index_stop_words(void);

/* The patterns of each language as one alternation, so that a text is
 * scanned once for each language whose required phrases it holds (one
 * alternation of all would try every pattern at every position). */
static pcre2_code *compiled[QL_COUNT];
static pthread_once_t compile_once = PTHREAD_ONCE_INIT;

static void compile_patterns(void)
{
	for (int l = 0; l < QL_COUNT; l++) {
		struct strbuf all = STRBUF_INIT;
		for (size_t i = 0; i < NPATTERNS; i++)
			if (boilerplate_patterns[i].lang == l)
				strbuf_addf(&all, "%s(?:%s)", all.len ? "|" : "", boilerplate_patterns[i].text);
		int code;
		PCRE2_SIZE at;
		compiled[l] = pcre2_compile((PCRE2_SPTR)all.buf, all.len, PCRE2_CASELESS | PCRE2_UTF,
					    &code, &at, NULL);
		if (!compiled[l] || !all.len)
			BUG("the boilerplate patterns of %s do not compile (error %d at %zu)",
			    quality_lang_codes[l], code, (size_t)at);
		pcre2_jit_compile(compiled[l], PCRE2_JIT_COMPLETE);
		strbuf_release(&all);
	}
	index_phrases();
	index_stop_words();
}

/* --- Scratch ------------------------------------------------------------- */

struct slot {
	uint64_t key;
	uint32_t count, gen;
};

struct quality_scratch {
	struct words ws;	/* the text's words (text_words()) */
	struct words pws;	/* the prompt's words */
	uint32_t *wlen;		/* code points of each word */
	uint64_t *wh;		/* hash of each word */
	uint32_t *wh_low;	/* its low 32 bits, for comparing four at a time */
	uint64_t *gh;		/* n-gram hashes, by position */
	size_t *at;		/* the positions of the n-grams that may repeat */
	size_t *slot_of;	/* the count table's slot of each of those */
	uint64_t *pre;		/* code points of words [0, i) */
	size_t wcap;
	struct slot *set;	/* an open-addressing count table; a slot is in */
	uint32_t gen;		/* use when its generation is the table's */
	size_t set_cap;
	pcre2_match_data *md;
};

struct quality_scratch *quality_scratch_new(void)
{
	pthread_once(&compile_once, compile_patterns);
	struct quality_scratch *s = xcalloc(1, sizeof(*s));
	words_init(&s->ws);
	words_init(&s->pws);
	s->md = pcre2_match_data_create(4, NULL);
	return s;
}

void quality_scratch_free(struct quality_scratch *s)
{
	if (!s)
		return;
	words_release(&s->ws);
	words_release(&s->pws);
	free(s->wlen);
	free(s->wh);
	free(s->wh_low);
	free(s->gh);
	free(s->at);
	free(s->slot_of);
	free(s->pre);
	free(s->set);
	pcre2_match_data_free(s->md);
	free(s);
}

/* Room in the per-word arrays for n words. */
static void reserve_words(struct quality_scratch *s, size_t n)
{
	if (n + 1 <= s->wcap)
		return;
	s->wcap = grow_capacity(s->wcap, n + 1, 1024);
	s->wlen = xreallocarray(s->wlen, s->wcap, sizeof(*s->wlen));
	s->wh = xreallocarray(s->wh, s->wcap, sizeof(*s->wh));
	s->wh_low = xreallocarray(s->wh_low, s->wcap, sizeof(*s->wh_low));
	s->gh = xreallocarray(s->gh, s->wcap, sizeof(*s->gh));
	s->at = xreallocarray(s->at, s->wcap, sizeof(*s->at));
	s->slot_of = xreallocarray(s->slot_of, s->wcap, sizeof(*s->slot_of));
	s->pre = xreallocarray(s->pre, s->wcap + 1, sizeof(*s->pre));
}

static inline uint64_t word_hash(const struct words *ws, size_t i)
{
	uint64_t pre[2];
	words_prefix(ws, i, pre);
	return words_hash(ws, i, pre);
}

/* The count table, emptied (a new generation) and big enough for n
 * keys; the table is sized for the largest text seen. */
static void set_reset(struct quality_scratch *s, size_t n)
{
	size_t cap = 64;
	while (cap < 2 * n)
		cap *= 2;
	if (cap > s->set_cap) {
		free(s->set);
		s->set = xcalloc(cap, sizeof(*s->set));
		s->set_cap = cap;
		s->gen = 0;
	}
	if (++s->gen == 0) {
		memset(s->set, 0, s->set_cap * sizeof(*s->set));
		s->gen = 1;
	}
}

/* Count one more of key; returns its slot, which holds the count now. */
static inline size_t set_add(struct quality_scratch *s, uint64_t key)
{
	struct slot *t = s->set;
	size_t i = hash_slot(key, s->set_cap);
	while (t[i].gen == s->gen && t[i].key != key)
		i = hash_next_slot(i, s->set_cap);
	if (t[i].gen != s->gen)
		t[i] = (struct slot){ key, 0, s->gen };
	t[i].count++;
	return i;
}

static uint32_t set_get(const struct quality_scratch *s, uint64_t key)
{
	const struct slot *t = s->set;
	for (size_t i = hash_slot(key, s->set_cap); t[i].gen == s->gen; i = hash_next_slot(i, s->set_cap))
		if (t[i].key == key)
			return t[i].count;
	return 0;
}

/* --- Pieces -------------------------------------------------------------- */

static int is_space_line(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\f' && p[i] != '\v')
			return 0;
	return 1;
}

static int is_ascii_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* ASCII punctuation, which a stop word may carry on either side:
 * "(with)," and "**the**" are stop words. */
static int is_wrapping(char c)
{
	return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') ||
	       (c >= '{' && c <= '~');
}

/* p[0..n) without white space at either end (ASCII white space). */
static void trim(const char **p, size_t *n)
{
	while (*n && is_ascii_space((*p)[0]))
		(*p)++, (*n)--;
	while (*n && is_ascii_space((*p)[*n - 1]))
		(*n)--;
}

/* Does p[0..n) end with one of the three-byte marks? */
static int ends_with_wide(const char *p, size_t n, const char (*marks)[4], size_t count)
{
	for (size_t i = 0; n >= 3 && i < count; i++)
		if (!memcmp(p + n - 3, marks[i], 3))
			return 1;
	return 0;
}

/* Does the (trimmed) line end a sentence: . ! ? " ' … ” ’ 。！？
 * Looked at by its last byte first, since every line is. */
static int ends_sentence(const char *p, size_t n)
{
	static const char wide[][4] = { "…", "”", "’", "。", "！", "？" };
	if (!n)
		return 0;
	char c = p[n - 1];
	if (!(c & 0x80))
		return c == '.' || c == '!' || c == '?' || c == '"' || c == '\'';
	return ends_with_wide(p, n, wide, sizeof(wide) / sizeof(*wide));
}

static int ends_ellipsis(const char *p, size_t n)
{
	return n >= 3 && (!memcmp(p + n - 3, "...", 3) || !memcmp(p + n - 3, "…", 3));
}

static int is_bullet_line(const char *p, size_t n)
{
	static const char wide[][4] = { "•", "‣", "◦", "⁃", "●", "▪", "–" };
	if (!n)
		return 0;
	if (!(p[0] & 0x80))
		return p[0] == '-' || p[0] == '*';
	for (size_t i = 0; n >= 3 && i < sizeof(wide) / sizeof(*wide); i++)
		if (!memcmp(p, wide[i], 3))
			return 1;
	return 0;
}

static size_t count_substr(const char *p, size_t n, const char *w)
{
	size_t k = strlen(w), c = 0;
	for (const char *q = p; (q = memmem(q, (size_t)(p + n - q), w, k)); q += k)
		c++;
	return c;
}

static int has_alpha(const char *p, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)p[i];
		if (c < 0x80) {
			if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
				return 1;
			i++;
			continue;
		}
		utf8proc_int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)p + i,
						      (utf8proc_ssize_t)(n - i), &cp);
		if (k <= 0)
			return 0;
		utf8proc_category_t cat = utf8proc_category(cp);
		if (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO)
			return 1;
		i += (size_t)k;
	}
	return 0;
}

/* Gopher's stop words, each as its bytes in the order of a 32-bit
 * number (first byte lowest), for comparing a word with one compare. */
static const char *const stop_words[] = { "the", "be", "to", "of", "and", "that", "have", "with" };
#define NSTOP_WORDS (sizeof(stop_words) / sizeof(*stop_words))
static uint32_t stop_packed[NSTOP_WORDS];
static unsigned char wrapping[256];	/* is_wrapping() of each byte */

/* The stop words of each language: English's are Gopher's; the others
 * are ours, sixteen function words of each language (articles,
 * prepositions, conjunctions, pronouns, forms of "to be"), picked by
 * hand from the words found in the most records of the Debian package
 * descriptions (apt's Translation files) and man pages of that language
 * in bench/real-corpus, leaving out the words of the subject matter
 * ("package", "library", "file") and English words among them. '|'
 * joins two spellings of one word (simplified and traditional Chinese),
 * which count as one. Chinese and Japanese are found anywhere in the
 * text: there are no spaces to find them between. */
const char *const quality_lang_codes[QL_COUNT] = {
	"en", "de", "fr", "es", "it", "pt", "nl", "ru", "pl", "uk", "zh", "ja",
};
static const char *const stop_lists[QL_COUNT] = {
	[QL_EN] = "the be to of and that have with",
	[QL_DE] = "der die das und ist von für mit ein eine den zu auf sich nicht auch",
	[QL_FR] = "de la le les et des un une du est pour dans que qui à avec",
	[QL_ES] = "de la el en y que los las un una es para con del por se",
	[QL_IT] = "di e il la che per un una è con del della non si da sono",
	[QL_PT] = "de e o a que para um uma é em do da com não os por",
	[QL_NL] = "de het een en van is voor op met dat die te niet zijn ook door",
	[QL_RU] = "и в не на с что для это как по из к от или также но",
	[QL_PL] = "i w z na się nie do jest to że dla lub oraz przez jak od",
	[QL_UK] = "і й в у та на з що не до для це як від або також",
	[QL_ZH] = "的 是 在 和 了 有 与|與 为|為 于|於 这|這 其 或 不 也 而 被",
	[QL_JA] = "の は に を が で と て も へ や から まで です ます こと",
};

/* A language's stop words, parsed: each spelling with the number of
 * its word. */
#define STOP_BYTES 16
struct stop_entry {
	unsigned char len, word;
	char bytes[STOP_BYTES];
};
static struct stop_list {
	struct stop_entry e[40];
	size_t n;
	unsigned lengths;	/* bit k: a spelling of k bytes */
} stop_index[QL_COUNT];

int quality_follows_language(enum quality_signal i)
{
	return i == Q_WORDS || i == Q_MEAN_WORD_LENGTH || i == Q_HASH_WORD_RATIO ||
	       i == Q_ELLIPSIS_WORD_RATIO || i == Q_ALPHA_WORDS_FRAC || i == Q_STOP_WORDS ||
	       i == Q_NEWLINE_WORD_RATIO;
}

const char *quality_stop_words(enum quality_lang lang)
{
	return stop_lists[lang];
}

int quality_lang_find(const char *code, size_t n)
{
	size_t len = 0;
	while (len < n && code[len] != '-' && code[len] != '_')
		len++;
	char low[3];
	for (size_t i = 0; i < len && i < 3; i++)
		low[i] = (char)ascii_lower((unsigned char)code[i]);
	if (!len || (len == 3 && !memcmp(low, "und", 3)))
		return QUALITY_LANG_UNKNOWN;
	for (int i = 0; i < QL_COUNT; i++)
		if (len == 2 && !memcmp(low, quality_lang_codes[i], 2))
			return i;
	return QUALITY_LANG_UNLISTED;
}

static void index_stop_words(void)
{
	for (size_t i = 0; i < NSTOP_WORDS; i++)
		for (size_t j = 0; stop_words[i][j]; j++)
			stop_packed[i] |= (uint32_t)(unsigned char)stop_words[i][j] << 8 * j;
	for (int c = 0; c < 256; c++)
		wrapping[c] = (unsigned char)is_wrapping((char)c);
	for (int l = 0; l < QL_COUNT; l++) {
		struct stop_list *sl = &stop_index[l];
		unsigned word = 0;
		for (const char *p = stop_lists[l]; *p; word++) {
			size_t k = strcspn(p, " ");
			for (const char *q = p; q < p + k;) {
				size_t m = strcspn(q, "| ");
				if (m >= STOP_BYTES || sl->n == sizeof(sl->e) / sizeof(*sl->e) || word >= 32)
					BUG("stop word list of %s is too long", quality_lang_codes[l]);
				struct stop_entry *e = &sl->e[sl->n++];
				e->len = (unsigned char)m;
				e->word = (unsigned char)word;
				memcpy(e->bytes, q, m);
				sl->lengths |= 1u << m;
				q += m + (q[m] == '|');
			}
			p += k + (p[k] == ' ');
		}
	}
}

/* Is the word, without ASCII punctuation around it and in lower case,
 * one of Gopher's stop words? Returns its number, or -1. */
static int stop_word(const char *p, size_t n)
{
	const unsigned char *u = (const unsigned char *)p;
	/* Most words are longer than any stop word and start and end
	 * with a letter. */
	if (n > 4 && !wrapping[u[0]] && !wrapping[u[n - 1]])
		return -1;
	while (n && wrapping[u[0]])
		u++, n--;
	while (n && wrapping[u[n - 1]])
		n--;
	if (n < 2 || n > 4)
		return -1;
	/* Bit 5 set puts ASCII letters in lower case; it takes no other
	 * byte to a letter, and none to 0, so that x tells its length. */
	uint32_t x = 0;
	for (size_t j = 0; j < n; j++)
		x |= (uint32_t)(u[j] | 0x20) << 8 * j;
	for (size_t i = 0; i < NSTOP_WORDS; i++)
		if (stop_packed[i] == x)
			return (int)i;
	return -1;
}

/* The length of the punctuation mark outside ASCII that starts (at the
 * end: ends) p[0..n), or 0: the quotation marks, dashes and ellipsis
 * that other languages wrap words in ("„die“", "«de»", "¿qué?"). */
static size_t wrapping_mark(const unsigned char *p, size_t n, int at_end)
{
	static const char *const marks[] = {
		"«", "»", "¿", "¡", "‘", "’", "‚", "“", "”", "„", "–", "—", "…",
	};
	for (size_t i = 0; i < sizeof(marks) / sizeof(*marks); i++) {
		size_t k = strlen(marks[i]);
		if (k <= n && !memcmp(at_end ? p + n - k : p, marks[i], k))
			return k;
	}
	return 0;
}

/* The number of the stop word of language l that the word is, without
 * punctuation around it (ASCII and wrapping_mark()'s) and in lower case;
 * or -1. */
static int stop_word_of(const struct stop_list *sl, const char *p, size_t n)
{
	const unsigned char *u = (const unsigned char *)p;
	for (size_t k = 1; k;) {
		k = 0;
		if (n && wrapping[u[0]])
			k = 1;
		else if (n && u[0] >= 0xc2)
			k = wrapping_mark(u, n, 0);
		u += k;
		n -= k;
	}
	for (size_t k = 1; k;) {
		k = 0;
		if (n && wrapping[u[n - 1]])
			k = 1;
		else if (n && u[n - 1] >= 0x80)
			k = wrapping_mark(u, n, 1);
		n -= k;
	}
	if (!n || n >= STOP_BYTES)
		return -1;
	/* Lower case: ASCII at once, other letters by utf8proc (a capital
	 * and its small letter can differ in length: Turkish İ). */
	char low[4 * STOP_BYTES];
	size_t len = 0;
	for (size_t i = 0; i < n;) {
		if (u[i] < 0x80) {
			low[len++] = (char)ascii_lower(u[i++]);
			continue;
		}
		utf8proc_int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate(u + i, (utf8proc_ssize_t)(n - i), &cp);
		if (k <= 0)
			return -1;
		len += (size_t)utf8proc_encode_char(utf8proc_tolower(cp), (utf8proc_uint8_t *)low + len);
		i += (size_t)k;
	}
	if (len >= STOP_BYTES || !(sl->lengths >> len & 1))
		return -1;
	for (size_t i = 0; i < sl->n; i++)
		if (sl->e[i].len == len && !memcmp(sl->e[i].bytes, low, len))
			return sl->e[i].word;
	return -1;
}

/* The stop words of language l found anywhere in the text, as bits. */
static uint32_t stop_words_in(const struct stop_list *sl, const char *text, size_t n)
{
	uint32_t found = 0;
	for (size_t i = 0; i < sl->n; i++)
		if (!(found >> sl->e[i].word & 1) && memmem(text, n, sl->e[i].bytes, sl->e[i].len))
			found |= 1u << sl->e[i].word;
	return found;
}

/* What one pass over the bytes of a text counts. */
struct byte_counts {
	size_t hashes;			/* '#' */
	size_t dots, ticks;		/* "..." and "```", once for every three in a run */
	size_t open[3], close[3];	/* ( [ {  and  ) ] } */
	size_t run;			/* the run of '.' or '`' that ends here */
	int ascii;			/* no byte of 0x80 or more */
	int e2;				/* some byte 0xe2, which starts '…' */
};

/* The byte at text[i] counted, when it is one that counts. */
static inline void count_byte(struct byte_counts *b, const char *text, size_t i)
{
	char c = text[i];
	switch (c) {
	case '#': b->hashes++; break;
	case '(': b->open[0]++; break;
	case '[': b->open[1]++; break;
	case '{': b->open[2]++; break;
	case ')': b->close[0]++; break;
	case ']': b->close[1]++; break;
	case '}': b->close[2]++; break;
	case '.':
	case '`':
		b->run = i && text[i - 1] == c ? b->run + 1 : 1;
		if (b->run % 3 == 0)
			*(c == '.' ? &b->dots : &b->ticks) += 1;
		break;
	}
}

static void count_bytes(const char *text, size_t n, struct byte_counts *b)
{
	memset(b, 0, sizeof(*b));
	size_t i = 0;
	unsigned high = 0, e2 = 0;
#if defined(__SSE2__)
	/* Sixteen bytes at a time: the bytes that count are rare but for
	 * '.', and are found by compares; ( ) differ in the lowest bit,
	 * [ { and ] } in bit 5. */
	const __m128i hash = _mm_set1_epi8('#'), dot = _mm_set1_epi8('.'), tick = _mm_set1_epi8('`');
	const __m128i paren = _mm_set1_epi8(')'), open = _mm_set1_epi8('{'), close = _mm_set1_epi8('}');
	const __m128i bit0 = _mm_set1_epi8(1), bit5 = _mm_set1_epi8(0x20);
	const __m128i lead = _mm_set1_epi8((char)0xe2);
	__m128i any_high = _mm_setzero_si128(), any_e2 = _mm_setzero_si128();
	for (; i + 16 <= n; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(text + i));
		any_high = _mm_or_si128(any_high, v);
		any_e2 = _mm_or_si128(any_e2, _mm_cmpeq_epi8(v, lead));
		__m128i v5 = _mm_or_si128(v, bit5);
		__m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, hash), _mm_cmpeq_epi8(v, dot)),
					   _mm_cmpeq_epi8(v, tick));
		hit = _mm_or_si128(hit, _mm_cmpeq_epi8(_mm_or_si128(v, bit0), paren));
		hit = _mm_or_si128(hit, _mm_or_si128(_mm_cmpeq_epi8(v5, open), _mm_cmpeq_epi8(v5, close)));
		for (unsigned m = (unsigned)_mm_movemask_epi8(hit); m; m &= m - 1)
			count_byte(b, text, i + (unsigned)__builtin_ctz(m));
	}
	high = (unsigned)_mm_movemask_epi8(any_high);
	e2 = (unsigned)_mm_movemask_epi8(any_e2);
#endif
	for (; i < n; i++) {
		unsigned char c = (unsigned char)text[i];
		high |= c & 0x80;
		e2 |= c == 0xe2;
		count_byte(b, text, i);
	}
	b->ascii = !high;
	b->e2 = e2 != 0;
}

/* What the phrases found: whether boilerplate may be there (in any
 * text, and in a text of nothing but ASCII), lorem ipsum, and the lines
 * that hold each kind of phrase (a line counts once). */
struct phrase_counts {
	uint32_t maybe, maybe_ascii;	/* by language: bit QL_* */
	int lorem;
	size_t js, policy;
	/* The line of a phrase, counted when one is found: lines newlines
	 * before counted_to; the last line of each kind. */
	size_t lines, counted_to, js_line, policy_line;
};

/* Does p start with the lower-case w[0..k) when put in lower case? */
static int starts_lower(const char *p, const char *w, size_t k)
{
	for (size_t j = 0; j < k; j++)
		if (ascii_lower((unsigned char)p[j]) != (unsigned char)w[j])
			return 0;
	return 1;
}

/* Does the filter pass the four bytes at p? */
static int quad_passes(const uint64_t *filter, const char *p)
{
	unsigned key = quad_key(p);
	return filter[key / 64] >> key % 64 & 1;
}

/* The phrases that start at text[i], counted. */
static void phrases_at(const char *text, size_t n, size_t i, struct phrase_counts *f)
{
	unsigned first = pair_first[(unsigned char)text[i] | (unsigned char)text[i + 1] << 8];
	if (!first)
		return;
	unsigned pair = ascii_lower((unsigned char)text[i]) << 8 | ascii_lower((unsigned char)text[i + 1]);
	for (size_t k = first - 1u; k < NPHRASES && phrase_pair[k] == pair; k++) {
		if (phrase_len[k] > n - i || !starts_lower(text + i, phrase[k], phrase_len[k]))
			continue;
		int kind = phrase_kind[k];
		if (kind == PH_REQUIRED) {
			f->maybe |= 1u << phrase_lang[k];
			continue;
		}
		if (kind == PH_REQUIRED_ASCII) {
			f->maybe_ascii |= 1u << phrase_lang[k];
			continue;
		}
		if (kind == PH_LOREM) {
			f->lorem = 1;
			continue;
		}
		for (const char *nl; f->counted_to < i &&
		     (nl = memchr(text + f->counted_to, '\n', i - f->counted_to));) {
			f->lines++;
			f->counted_to = (size_t)(nl - text) + 1;
		}
		f->counted_to = i;
		if (kind == PH_JAVASCRIPT) {
			f->js += f->js_line != f->lines;
			f->js_line = f->lines;
		} else {
			f->policy += f->policy_line != f->lines;
			f->policy_line = f->lines;
		}
	}
}

/* The phrases of the text (of nothing but ASCII when ascii), counted;
 * in an ASCII text, not those of required[], which it does not need. */
static void find_phrases(const char *text, size_t n, int ascii, struct phrase_counts *f)
{
	memset(f, 0, sizeof(*f));
	f->js_line = f->policy_line = SIZE_MAX;
	if (ascii) {
		/* The phrases an ASCII text needs are six bytes or longer:
		 * each holds four bytes at a multiple of three, starting in
		 * its first three bytes. Only those positions are filtered,
		 * and the three before a position that passes looked at. */
		for (size_t j = 0; j + 4 <= n; j += 3)
			if (quad_passes(quad_filter_ascii, text + j))
				for (size_t i = j < 2 ? 0 : j - 2; i <= j; i++)
					phrases_at(text, n, i, f);
		return;
	}
	for (size_t i = 0; i + 4 <= n; i++)
		if (quad_passes(quad_filter, text + i))
			phrases_at(text, n, i, f);
}

/* The hash an n-gram's first word starts from: rotated, so that each
 * next word, mixed in by XOR, counts by its place ("a b" and "b a" are
 * two 2-grams). */
static inline uint64_t ngram_start(uint64_t word)
{
	return word << 1 | word >> 63;
}

/* The hashes of the n-grams of words, by position, in s->gh: there are
 * nw - n + 1 of them. Called for n = 1, 2, 3, ... in turn, each extends
 * the hashes of the one before by a word. */
static size_t ngram_hashes(struct quality_scratch *s, size_t nw, unsigned n)
{
	if (nw < n)
		return 0;
	size_t count = nw - n + 1;
	if (n == 1)
		for (size_t i = 0; i < count; i++)
			s->gh[i] = ngram_start(s->wh[i]);
	else
		for (size_t i = 0; i < count; i++)
			s->gh[i] = mix64(s->gh[i] ^ s->wh[i + n - 1]) + n;
	return count;
}

/* The n-gram hashes for n, starting over from words. */
static size_t ngram_hashes_for(struct quality_scratch *s, size_t nw, unsigned n)
{
	size_t count = 0;
	for (unsigned k = 1; k <= n; k++)
		count = ngram_hashes(s, nw, k);
	return count;
}

/* The longest run, or best if longer, of one word n-gram repeated back
 * to back: n-grams at i and i + n compared word by word, and equal
 * word hashes for n words in a row make one more. */
static size_t repeat_run_of(const struct quality_scratch *s, size_t nw, size_t n, size_t best)
{
	const uint64_t *wh = s->wh;
	size_t run = 1;
	for (size_t i = 0; i + 2 * n <= nw;) {
#if defined(__SSE2__)
		/* Four positions at a time while the first words differ
		 * (their hashes' low halves do). */
		const uint32_t *low = s->wh_low;
		for (; i + 3 + 2 * n <= nw; i += 4) {
			__m128i a = _mm_loadu_si128((const __m128i *)(low + i));
			__m128i b = _mm_loadu_si128((const __m128i *)(low + i + n));
			if (_mm_movemask_epi8(_mm_cmpeq_epi32(a, b)))
				break;
			run = 1;
		}
		if (i + 2 * n > nw)
			break;
#endif
		size_t k = 0;
		while (k < n && wh[i + k] == wh[i + n + k])
			k++;
		if (k == n) {
			run++;
			if (run > best)
				best = run;
			i += n;
		} else {
			run = 1;
			i++;
		}
	}
	return best;
}

/* The longest run of one block of words repeated back to back: "a b a b
 * a b" is a run of 3. Blocks of up to 8 words are compared here, longer
 * ones up to REPEAT_PERIOD_MAX found by long_repeat_run(). A text without
 * words has 0. */
static double repeat_run(const struct quality_scratch *s, size_t nw, size_t long_run)
{
	size_t best = nw ? 1 : 0;
	if (long_run > best)
		best = long_run;
	for (size_t n = 1; n <= 8 && 2 * n <= nw; n++)
		best = repeat_run_of(s, nw, n, best);
	return (double)best;
}

static int by_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* The longest back-to-back repeat of a block of 9 to REPEAT_PERIOD_MAX
 * words, in copies (0 when there is none). A block repeated at once has
 * its first 8-gram twice, p words apart: the positions at[0..nat) of the
 * 8-grams that occur twice or more (gh their hashes) give every such
 * pair, and from the first of a pair the words that match p words on
 * are counted, once for each stretch. A text without repeated 8-grams
 * costs nothing more. */
#define REPEAT_PERIOD_MAX 64
static size_t long_repeat_run(const struct quality_scratch *s, size_t nw, size_t nat)
{
	const size_t *at = s->at;
	const uint64_t *gh = s->gh, *wh = s->wh;
	size_t covered[REPEAT_PERIOD_MAX + 1] = { 0 }; /* by period: a stretch checked up to */
	size_t best = 0;
	for (size_t j = 1; j < nat; j++) {
		size_t b = at[j];
		for (size_t k = j; k-- > 0 && b - at[k] <= REPEAT_PERIOD_MAX;) {
			size_t a = at[k], p = b - a;
			if (p <= 8 || gh[a] != gh[b] || a < covered[p])
				continue;
			size_t match = 0;
			while (b + match < nw && wh[a + match] == wh[b + match])
				match++;
			covered[p] = a + match;
			if ((p + match) / p > best)
				best = (p + match) / p;
		}
	}
	return best;
}

/* Gopher's word n-gram signals into out: for n of 2 to 4 the characters
 * of the most frequent n-gram times its count, for 5 to 10 the
 * characters of the words inside a repeated n-gram, as fractions of the
 * characters of all words. Returns long_repeat_run(), found on the way. */
static size_t ngram_signals(struct quality_scratch *s, size_t nw, uint64_t word_chars, double *out)
{
	size_t long_run = 0;
	double wchars = word_chars ? (double)word_chars : 1;
	const uint64_t *wh = s->wh, *pre = s->pre;
	uint64_t *gh = s->gh;
	size_t *at = s->at;
	/* Only n-grams seen twice or more count, and an n-gram can only be
	 * seen twice where its first n - 1 words were: s->at lists the
	 * positions whose (n-1)-gram was, in order, and each length hashes
	 * and counts only those. To begin with, every 2-gram. */
	size_t nat = nw >= 2 ? nw - 1 : 0;
	for (size_t i = 0; i < nat; i++) {
		at[i] = i;
		gh[i] = ngram_start(wh[i]);
	}
	for (unsigned g = 2; g <= 10; g++) {
		double frac = 0;
		if (nat) {
			set_reset(s, nat);
			uint32_t best = 0;
			uint64_t best_chars = 0;
			for (size_t j = 0; j < nat; j++) {
				size_t i = at[j];
				gh[i] = mix64(gh[i] ^ wh[i + g - 1]) + g;
				size_t slot = set_add(s, gh[i]);
				s->slot_of[j] = slot;
				if (g <= 4) {
					uint32_t c = s->set[slot].count;
					uint64_t ch = pre[i + g] - pre[i];
					if (c > best || (c == best && ch > best_chars)) {
						best = c;
						best_chars = ch;
					}
				}
			}
			size_t kept = 0;
			for (size_t j = 0; j < nat; j++)
				if (s->set[s->slot_of[j]].count > 1)
					at[kept++] = at[j];
			nat = kept;
			if (g == 8)
				long_run = long_repeat_run(s, nw, nat);
			if (g <= 4) {
				frac = best > 1 ? (double)best * (double)best_chars / wchars : 0;
			} else {
				/* The words the repeated n-grams cover: the union of
				 * [i, i + g) over the positions, which are in order. */
				uint64_t cov = 0;
				size_t from = 0, to = 0;
				for (size_t j = 0; j < nat; j++) {
					if (j && at[j] <= to) {
						to = at[j] + g;
						continue;
					}
					cov += pre[to] - pre[from];
					from = at[j];
					to = at[j] + g;
				}
				cov += pre[to] - pre[from];
				frac = (double)cov / wchars;
			}
		}
		/* The last position has no n-gram of the next length. */
		if (nat && at[nat - 1] == nw - g)
			nat--;
		out[g <= 4 ? Q_TOP_2GRAM_CHAR_FRAC + (g - 2) : Q_DUP_5GRAM_CHAR_FRAC + (g - 5)] =
			frac > 1 ? 1 : frac;
	}
	return long_run;
}

/* --- The signals --------------------------------------------------------- */

void quality_compute(const char *text, size_t n, const char *prompt, size_t pn,
		     struct quality_scratch *s, double *out)
{
	quality_compute_lang(text, n, prompt, pn, QUALITY_LANG_UNKNOWN, s, out);
}

/* The pieces of symbols standing alone between white space ("|", "--",
 * "*"): the runs of what is neither white space nor a word that touch no
 * word, in the gaps between the words of ws. */
static size_t symbol_pieces(const struct words *ws)
{
	const unsigned char *t = (const unsigned char *)ws->norm.buf;
	size_t pieces = 0, at = 0;
	for (size_t i = 0; i <= ws->n; i++) {
		size_t end = i < ws->n ? ws->w[i].off : ws->norm.len;
		/* The gap [at, end): a run that starts at a word's end or
		 * ends at a word's start belongs to that word's piece, so a
		 * piece alone between two words needs three bytes or more. */
		int run = 0, touches = i > 0;
		if (i > 0 && i < ws->n && end - at < 3) {
			at = ws->w[i].off + ws->w[i].len;
			continue;
		}
		for (size_t j = at; j < end;) {
			size_t k = text_space_at((const char *)t + j, end - j);
			if (k) {
				pieces += run && !touches;
				run = touches = 0;
				j += k;
			} else {
				run = 1;
				j++;
			}
		}
		pieces += run && !touches && i == ws->n;
		if (i < ws->n)
			at = ws->w[i].off + ws->w[i].len;
	}
	return pieces;
}

void quality_compute_lang(const char *text, size_t n, const char *prompt, size_t pn, int lang,
			  struct quality_scratch *s, double *out)
{
	for (int i = 0; i < Q_COUNT; i++)
		out[i] = 0;
	struct byte_counts bc;
	count_bytes(text, n, &bc);
	size_t hellip = bc.e2 ? count_substr(text, n, "…") : 0;
	struct phrase_counts ph;
	find_phrases(text, n, bc.ascii, &ph);
	out[Q_LOREM_IPSUM] = ph.lorem;
	/* The stop words of the language, if not Gopher's: between spaces,
	 * or (Chinese, Japanese) anywhere. */
	int cjk = lang == QL_ZH || lang == QL_JA;
	const struct stop_list *sl = lang >= 0 && lang != QL_EN ? &stop_index[lang] : NULL;
	const struct stop_list *sl_words = cjk ? NULL : sl;
	/* Words: those of text_words(), as every program counts them. */
	text_words(text, n, &s->ws);
	size_t nw = s->ws.n;
	reserve_words(s, nw);
	uint64_t word_chars = 0;
	size_t alpha = 0;
	uint32_t stops = 0;
	for (size_t i = 0; i < nw; i++) {
		const char *w = s->ws.norm.buf + s->ws.w[i].off;
		size_t len = s->ws.w[i].len;
		size_t cont = 0;
		for (size_t k = 0; !bc.ascii && k < len; k++)
			cont += ((unsigned char)w[k] & 0xc0) == 0x80;
		s->wlen[i] = (uint32_t)(len - cont);
		s->wh[i] = word_hash(&s->ws, i);
		s->wh_low[i] = (uint32_t)s->wh[i];
		word_chars += s->wlen[i];
		alpha += has_alpha(w, len);
		int k = sl_words ? stop_word_of(sl_words, w, len) : cjk ? -1 : stop_word(w, len);
		if (k >= 0)
			stops |= 1u << k;
	}
	if (cjk)
		stops = stop_words_in(sl, text, n);
	size_t qw = nw;
	uint64_t qchars = word_chars;
	out[Q_WORDS] = (double)qw;
	double words = qw ? (double)qw : 1;
	out[Q_MEAN_WORD_LENGTH] = qw ? (double)qchars / words : 0;
	out[Q_HASH_WORD_RATIO] = qw ? (double)bc.hashes / words : 0;
	out[Q_ELLIPSIS_WORD_RATIO] = qw ? (double)(bc.dots + hellip) / words : 0;
	/* Gopher's words with a letter: a piece of symbols alone counts
	 * as a word without one. */
	size_t all = nw + symbol_pieces(&s->ws);
	out[Q_ALPHA_WORDS_FRAC] = all ? (double)alpha / (double)all : 0;
	out[Q_STOP_WORDS] = lang == QUALITY_LANG_UNLISTED ? NAN : __builtin_popcount(stops);

	/* Lines, and paragraphs: runs of lines that are not blank. Lines
	 * and paragraphs share one count table, hashed with other seeds.
	 * In ASCII text a byte is a character. */
	size_t lines = 0, dup_lines = 0, bullets = 0, ellipsis = 0, terminal = 0, shorts = 0,
	       newlines = 0, paras = 0, dup_paras = 0;
	uint64_t dup_line_chars = 0, dup_para_chars = 0;
	size_t total_chars = bc.ascii ? n : utf8_count(text, n), pstart = SIZE_MAX, pend = 0;
	set_reset(s, n / 8 + 16);
	for (size_t at = 0;;) {
		const char *nl = memchr(text + at, '\n', n - at);
		size_t end = nl ? (size_t)(nl - text) : n;
		const char *p = text + at;
		size_t len = end - at;
		int blank = is_space_line(p, len);
		if (nl)
			newlines++;
		if (!blank) {
			trim(&p, &len);
			lines++;
			size_t cps = bc.ascii ? len : utf8_count(p, len);
			if (s->set[set_add(s, hash64(p, len, 1))].count > 1) {
				dup_lines++;
				dup_line_chars += cps;
			}
			bullets += is_bullet_line(p, len);
			ellipsis += ends_ellipsis(p, len);
			terminal += ends_sentence(p, len);
			shorts += cps < 30;
			if (pstart == SIZE_MAX)
				pstart = at;
			pend = end;
		}
		if ((blank || !nl) && pstart != SIZE_MAX) {
			const char *q = text + pstart;
			size_t qlen = pend - pstart;
			trim(&q, &qlen);
			paras++;
			if (s->set[set_add(s, hash64(q, qlen, 2))].count > 1) {
				dup_paras++;
				dup_para_chars += bc.ascii ? qlen : utf8_count(q, qlen);
			}
			pstart = SIZE_MAX;
		}
		if (!nl)
			break;
		at = end + 1;
	}
	double nl_lines = lines ? (double)lines : 1;
	double chars = total_chars ? (double)total_chars : 1;
	out[Q_BULLET_LINES_FRAC] = (double)bullets / nl_lines;
	out[Q_ELLIPSIS_LINES_FRAC] = (double)ellipsis / nl_lines;
	out[Q_DUP_LINE_FRAC] = (double)dup_lines / nl_lines;
	out[Q_DUP_LINE_CHAR_FRAC] = (double)dup_line_chars / chars;
	out[Q_DUP_PARA_FRAC] = paras ? (double)dup_paras / (double)paras : 0;
	out[Q_DUP_PARA_CHAR_FRAC] = (double)dup_para_chars / chars;
	out[Q_TERMINAL_PUNCT_LINES_FRAC] = (double)terminal / nl_lines;
	out[Q_SHORT_LINES_FRAC] = (double)shorts / nl_lines;
	out[Q_NEWLINE_WORD_RATIO] = qw ? (double)newlines / words : 0;
	out[Q_JAVASCRIPT_LINES] = (double)ph.js;
	out[Q_POLICY_LINES] = (double)ph.policy;

	out[Q_CURLY_BRACE] = bc.open[2] != 0;

	/* Word n-grams: the most frequent (2 to 4), the duplicated (5 to 10). */
	s->pre[0] = 0;
	for (size_t i = 0; i < nw; i++)
		s->pre[i + 1] = s->pre[i] + s->wlen[i];
	size_t long_run = ngram_signals(s, nw, word_chars, out);

	/* LLM output. An ASCII text is scanned only where it holds one of
	 * the longer literals, which it holds wherever it matches. */
	uint64_t matches = 0;
	for (uint32_t m = bc.ascii ? ph.maybe_ascii : ph.maybe; m; m &= m - 1) {
		uint64_t count;
		regex_count(compiled[__builtin_ctz(m)], text, n, s->md, NULL, &count);
		matches += count;
	}
	out[Q_BOILERPLATE] = (double)matches;
	out[Q_MAX_REPEAT_RUN] = repeat_run(s, nw, long_run);
	const char *p = text;
	size_t len = n;
	trim(&p, &len);
	size_t fences = bc.ticks;
	int open = bc.open[0] > bc.close[0] || bc.open[1] > bc.close[1] || bc.open[2] > bc.close[2];
	int closed = ends_sentence(p, len) || (len && memchr(")]}`:*", p[len - 1], 6));
	out[Q_TRUNCATED] = len && (!closed || fences % 2 || open);

	/* prompt_echo: the share of the prompt's distinct word 8-grams that
	 * the text holds too. */
	if (!prompt) {
		out[Q_PROMPT_ECHO] = NAN;
		return;
	}
	size_t tcount = ngram_hashes_for(s, nw, 8);
	set_reset(s, tcount);
	for (size_t i = 0; i < tcount; i++)
		set_add(s, s->gh[i]);
	text_words(prompt, pn, &s->pws);
	size_t pw = s->pws.n;
	/* The text's n-grams are in the table: its word arrays are free. */
	reserve_words(s, pw);
	for (size_t i = 0; i < pw; i++)
		s->wh[i] = word_hash(&s->pws, i);
	size_t pcount = ngram_hashes_for(s, pw, 8), echoed = 0, distinct = 0;
	/* Distinct prompt n-grams: sort the hashes. */
	qsort(s->gh, pcount, sizeof(*s->gh), by_u64);
	for (size_t i = 0; i < pcount; i++) {
		if (i && s->gh[i] == s->gh[i - 1])
			continue;
		distinct++;
		echoed += set_get(s, s->gh[i]) > 0;
	}
	out[Q_PROMPT_ECHO] = distinct ? (double)echoed / (double)distinct : 0;
}
