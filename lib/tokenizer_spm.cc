// tokenizer_spm.cc: SentencePiece models for lib/tokenizer, through
// Debian's libsentencepiece (the library spm_encode is built on), so
// that the ids are SentencePiece's own. The C side is tokenizer_spm.h.
#include "tokenizer_spm.h"

#include <sentencepiece_processor.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

struct spm_model {
	sentencepiece::SentencePieceProcessor sp;
};

extern "C" struct spm_model *spm_model_load(const char *p, size_t n, char *err, size_t errlen)
{
	spm_model *m = new (std::nothrow) spm_model;
	if (!m) {
		snprintf(err, errlen, "out of memory");
		return nullptr;
	}
	auto status = m->sp.LoadFromSerializedProto(std::string_view(p, n));
	if (!status.ok()) {
		snprintf(err, errlen, "%s", status.ToString().c_str());
		delete m;
		return nullptr;
	}
	return m;
}

extern "C" void spm_model_free(struct spm_model *m)
{
	delete m;
}

extern "C" size_t spm_model_vocabulary(const struct spm_model *m)
{
	return (size_t)m->sp.GetPieceSize();
}

// Encode is const in SentencePieceProcessor: threads may share a model.
extern "C" int spm_model_encode(const struct spm_model *m, const char *s, size_t n,
				struct spm_ids *out)
{
	std::vector<int> ids;
	if (!m->sp.Encode(std::string_view(s, n), &ids).ok())
		return -1;
	out->n = ids.size();
	if (out->n > out->cap) {
		void *p = realloc(out->id, out->n * sizeof(*out->id));
		if (!p)
			return -1;
		out->id = static_cast<uint32_t *>(p);
		out->cap = out->n;
	}
	for (size_t i = 0; i < ids.size(); i++)
		out->id[i] = (uint32_t)ids[i];
	return 0;
}
