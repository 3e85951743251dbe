/* tokenizer_spm.h: the C side of lib/tokenizer_spm.cc, SentencePiece
 * models through libsentencepiece, for lib/tokenizer only. */
#ifndef SYNTH_TOKENIZER_SPM_H
#define SYNTH_TOKENIZER_SPM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct spm_model;

/* Ids, a buffer the caller owns (free(id)). */
struct spm_ids {
	uint32_t *id;
	size_t n, cap;
};

/* A model from the bytes of a .model file p[0..n), or NULL with the
 * reason in err. The caller frees it with spm_model_free. */
struct spm_model *spm_model_load(const char *p, size_t n, char *err, size_t errlen);
void spm_model_free(struct spm_model *m);
size_t spm_model_vocabulary(const struct spm_model *m);

/* The ids of s[0..n) into out (its n set). Returns 0, or -1 when
 * SentencePiece fails. */
int spm_model_encode(const struct spm_model *m, const char *s, size_t n, struct spm_ids *out);

#ifdef __cplusplus
}
#endif

#endif
