/* coordinator/recompress.c: which archives, the zstd copy's bytes, its refusals. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "err.h"
#include "hexdigest.h"
#include "recompress.h"
#include "sha256.h"

/* An archive in memory, written by libarchive: format and filter by name. */
static unsigned char *
make_archive(const char *filter, int tar, size_t *len)
{
	size_t cap = 1 << 20, used = 0;
	unsigned char *buf = malloc(cap);
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	char text[4096];

	assert_non_null(buf);
	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = (char)('a' + i % 23);
	if (strcmp(filter, "none") != 0)
		assert_int_equal(archive_write_add_filter_by_name(a, filter), ARCHIVE_OK);
	assert_int_equal(tar ? archive_write_set_format_ustar(a) : archive_write_set_format_raw(a),
	    ARCHIVE_OK);
	assert_int_equal(archive_write_set_bytes_in_last_block(a, 1), ARCHIVE_OK);
	assert_int_equal(archive_write_open_memory(a, buf, cap, &used), ARCHIVE_OK);
	for (int i = 0; i < (tar ? 20 : 1); i++) {
		char name[32];

		snprintf(name, sizeof(name), "app/file%d.txt", i);
		archive_entry_clear(e);
		archive_entry_set_pathname(e, name);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, sizeof(text));
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		assert_int_equal(archive_write_data(a, text, sizeof(text)), (la_ssize_t)sizeof(text));
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_entry_free(e);
	archive_write_free(a);
	*len = used;
	return buf;
}

/* The decompressed stream of an archive (any filter), malloc'd. */
static unsigned char *
inflate_all(const unsigned char *p, size_t len, size_t *outlen)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	size_t cap = 4 << 20;
	unsigned char *out = malloc(cap);
	la_ssize_t n;

	assert_non_null(out);
	archive_read_support_filter_all(a);
	archive_read_support_format_raw(a);
	assert_int_equal(archive_read_open_memory(a, p, len), ARCHIVE_OK);
	assert_int_equal(archive_read_next_header(a, &e), ARCHIVE_OK);
	*outlen = 0;
	while ((n = archive_read_data(a, out + *outlen, cap - *outlen)) > 0)
		*outlen += (size_t)n;
	assert_int_equal(n, 0);
	archive_read_free(a);
	return out;
}

static void
digest_of(const unsigned char *p, size_t len, char out[65])
{
	unsigned char md[SHA256_LEN];

	assert_int_equal(sha256_buf(p, len, md), CUT_OK);
	sha256_hex(md, out);
}

static void
test_worth_by_magic(void **unused)
{
	static const char *const yes[] = { "gzip", "bzip2", "xz", "none" };
	static const char *const no[] = { "zstd", "lz4" };
	unsigned char zip[600] = "PK\003\004";
	size_t len;

	(void)unused;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		unsigned char *a = make_archive(yes[i], 1, &len);

		assert_true(recompress_worth(a, len));
		free(a);
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		unsigned char *a = make_archive(no[i], 1, &len);

		assert_false(recompress_worth(a, len));
		free(a);
	}
	assert_false(recompress_worth(zip, sizeof(zip)));
	assert_false(recompress_worth(zip, 0));
}

/* The zstd copy holds exactly the tar stream the gzip archive holds. */
static void
test_same_tar_stream(void **unused)
{
	static const char *const filters[] = { "gzip", "bzip2", "xz", "none" };

	(void)unused;
	for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
		struct recompress rc;
		size_t len, tlen, zlen;
		unsigned char *a = make_archive(filters[i], 1, &len), *t, *z;
		char sha[65], zsha[65];

		digest_of(a, len, sha);
		recompress_init(&rc);
		assert_int_equal(recompress_start(&rc, a, len, 1, sha), CUT_OK);
		assert_int_equal(recompress_finish(&rc), CUT_OK);
		assert_non_null(rc.out);
		assert_int_equal(memcmp(rc.out, "\x28\xb5\x2f\xfd", 4), 0);	/* zstd magic */
		digest_of(rc.out, rc.outlen, zsha);
		assert_string_equal(rc.sha256, zsha);
		t = inflate_all(a, len, &tlen);
		z = inflate_all(rc.out, rc.outlen, &zlen);
		assert_int_equal(tlen, zlen);
		assert_int_equal((long long)tlen, rc.tar_bytes);
		assert_memory_equal(t, z, tlen);
		free(t);
		free(z);
		recompress_free(&rc);
		free(a);
	}
}

/* Bytes whose digest is not the one the rollout names are not shipped. */
static void
test_changed_archive_refused(void **unused)
{
	struct recompress rc;
	size_t len;
	unsigned char *a = make_archive("gzip", 1, &len);
	char sha[65];

	(void)unused;
	digest_of(a, len, sha);
	sha[0] = sha[0] == '0' ? '1' : '0';
	recompress_init(&rc);
	assert_int_equal(recompress_start(&rc, a, len, 1, sha), CUT_OK);
	assert_int_equal(recompress_finish(&rc), CUT_ERR_BAD_ARCHIVE);
	assert_null(rc.out);
	assert_non_null(strstr(rc.why, "changed while it was read"));
	recompress_free(&rc);
	free(a);
}

static void
test_not_tar_and_corrupt_refused(void **unused)
{
	struct recompress rc;
	size_t len;
	unsigned char *a = make_archive("gzip", 0, &len);	/* gzip of a plain file */
	char sha[65];

	(void)unused;
	digest_of(a, len, sha);
	recompress_init(&rc);
	assert_int_equal(recompress_start(&rc, a, len, 1, sha), CUT_OK);
	assert_int_equal(recompress_finish(&rc), CUT_ERR_BAD_ARCHIVE);
	assert_string_equal(rc.why, "not a tar archive");
	recompress_free(&rc);
	free(a);

	a = make_archive("gzip", 1, &len);
	len = len / 2;		/* cut off */
	digest_of(a, len, sha);
	recompress_init(&rc);
	assert_int_equal(recompress_start(&rc, a, len, 1, sha), CUT_OK);
	assert_int_not_equal(recompress_finish(&rc), CUT_OK);
	assert_null(rc.out);
	assert_true(rc.why[0] != '\0');
	recompress_free(&rc);
	free(a);
}

/* init + free without a start, and free without finish, are safe. */
static void
test_lifecycle(void **unused)
{
	struct recompress rc;
	size_t len;
	unsigned char *a = make_archive("gzip", 1, &len);
	char sha[65];

	(void)unused;
	recompress_init(&rc);
	assert_int_not_equal(recompress_finish(&rc), CUT_OK);
	recompress_free(&rc);
	digest_of(a, len, sha);
	assert_int_equal(recompress_start(&rc, a, len, 1, sha), CUT_OK);
	recompress_cancel(&rc);
	recompress_free(&rc);
	recompress_free(&rc);
	free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_worth_by_magic),
		cmocka_unit_test(test_same_tar_stream),
		cmocka_unit_test(test_changed_archive_refused),
		cmocka_unit_test(test_not_tar_and_corrupt_refused),
		cmocka_unit_test(test_lifecycle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
