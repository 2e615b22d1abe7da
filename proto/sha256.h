/*
 * SHA-256, the digest that names a release (archive bytes, the uploads,
 * recompressed copies), over libcrypto's EVP interface in one place.
 *
 *	struct sha256 h;
 *	if ((r = sha256_init(&h)) != CUT_OK)
 *		return r;
 *	r = sha256_update(&h, p, n);		// any number of times
 *	r = sha256_final(&h, digest);		// digest[SHA256_LEN]; frees h
 *	sha256_free(&h);			// on error paths; harmless after final
 *
 *	r = sha256_buf(p, n, digest);		// one buffer at once
 *
 * All return CUT_OK, CUT_ERR_ALLOC (no context) or CUT_ERR_INTERNAL
 * (libcrypto refused). hexdigest.h turns a digest into hex and back.
 */
#ifndef CUT_SHA256_H
#define CUT_SHA256_H

#include <stddef.h>

#define SHA256_LEN 32

struct evp_md_ctx_st;	/* libcrypto's EVP_MD_CTX */

struct sha256 {
	struct evp_md_ctx_st *md;	/* NULL before init and after final/free */
};

int sha256_init(struct sha256 *h);
int sha256_update(struct sha256 *h, const void *p, size_t n);
int sha256_final(struct sha256 *h, unsigned char digest[SHA256_LEN]);
void sha256_free(struct sha256 *h);
int sha256_buf(const void *p, size_t n, unsigned char digest[SHA256_LEN]);

#endif
