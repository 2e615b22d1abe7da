#include "config.h"

#include <openssl/evp.h>

#include "err.h"
#include "sha256.h"

int
sha256_init(struct sha256 *h)
{
	if ((h->md = EVP_MD_CTX_new()) == NULL)
		return CUT_ERR_ALLOC;
	if (EVP_DigestInit_ex(h->md, EVP_sha256(), NULL) != 1) {
		sha256_free(h);
		return CUT_ERR_INTERNAL;
	}
	return CUT_OK;
}

int
sha256_update(struct sha256 *h, const void *p, size_t n)
{
	if (h->md == NULL || EVP_DigestUpdate(h->md, p, n) != 1)
		return CUT_ERR_INTERNAL;
	return CUT_OK;
}

int
sha256_final(struct sha256 *h, unsigned char digest[SHA256_LEN])
{
	unsigned int len = 0;
	int ok = h->md != NULL && EVP_DigestFinal_ex(h->md, digest, &len) == 1 &&
	    len == SHA256_LEN;

	sha256_free(h);
	return ok ? CUT_OK : CUT_ERR_INTERNAL;
}

void
sha256_free(struct sha256 *h)
{
	EVP_MD_CTX_free(h->md);	/* accepts NULL */
	h->md = NULL;
}

int
sha256_buf(const void *p, size_t n, unsigned char digest[SHA256_LEN])
{
	struct sha256 h;
	int r;

	if ((r = sha256_init(&h)) != CUT_OK)
		return r;
	if ((r = sha256_update(&h, p, n)) != CUT_OK) {
		sha256_free(&h);
		return r;
	}
	return sha256_final(&h, digest);
}
