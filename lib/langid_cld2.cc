// langid_cld2.cc: the one call into CLD2, a C++ library, for lib/langid.c.
#include <cstdio>
#include <cstring>

#include <cld2/public/compact_lang_det.h>

extern "C" {
#include "langid.h"
}

void langid_cld2(const char *s, size_t n, char *lang, size_t size, int *percent, int *reliable)
{
	CLD2::Language top3[3];
	int percent3[3] = { 0, 0, 0 };
	double normalized3[3];
	int text_bytes = 0, valid = 0;
	bool is_reliable = false;
	CLD2::Language l = CLD2::ExtDetectLanguageSummaryCheckUTF8(
		s, static_cast<int>(n), true, nullptr, 0, top3, percent3, normalized3, nullptr,
		&text_bytes, &is_reliable, &valid);
	const char *code = l == CLD2::UNKNOWN_LANGUAGE ? "und" : CLD2::LanguageCode(l);
	snprintf(lang, size, "%s", code);
	*percent = l == CLD2::UNKNOWN_LANGUAGE ? 0 : percent3[0];
	*reliable = is_reliable;
}
