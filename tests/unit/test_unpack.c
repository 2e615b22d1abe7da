/*
 * Unit tests for agent/unpack.c. One behaviour per test, each in a fresh
 * temporary directory:
 *
 *	BASE/arch/	archives the test builds (libarchive's writer, tar, zip)
 *	BASE/dest/	the staging directory unpack_archive() writes into
 *	BASE/sentinel/keep	must stay the only thing beside dest
 *
 * Hostile cases check the reason names the member, and that nothing
 * appeared outside dest.
 */
#include "config.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <archive.h>
#include <archive_entry.h>

#include "dirtree.h"
#include "err.h"
#include "fsutil.h"
#include "kv.h"
#include "sink.h"
#include "source.h"
#include "unpack.h"

enum kind { K_FILE, K_DIR, K_SYMLINK, K_HARDLINK, K_CHR, K_FIFO };
enum fmt { F_PAX, F_GNU, F_ZIP, F_CPIO };
enum filt { Z_NONE, Z_GZIP, Z_XZ, Z_ZSTD, Z_BZIP2 };

/* One member of an archive a test builds. */
struct mem {
	const char *name;
	enum kind kind;
	int perm;
	const char *data;	/* contents, or NULL for `size` fill bytes */
	long long size;		/* used when data is NULL */
	const char *link;	/* symlink or hard link target */
};

static char base[PATH_MAX], dest[PATH_MAX + 16], arch[PATH_MAX + 16];
static char why[512];
static struct unpack_stats st;
static char mounted[PATH_MAX + 16];	/* a small tmpfs to unmount, or "" */

/* Build BASE with arch/, dest/ and sentinel/keep. */
static int
setup(void **state)
{
	char p[PATH_MAX + 32];
	FILE *f;

	(void)state;
	umask(022);
	snprintf(base, sizeof(base), "%s/test_unpack.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(base) == NULL)
		return -1;
	snprintf(dest, sizeof(dest), "%s/dest", base);
	snprintf(arch, sizeof(arch), "%s/arch", base);
	snprintf(p, sizeof(p), "%s/sentinel", base);
	if (mkdir(dest, 0755) || mkdir(arch, 0755) || mkdir(p, 0755))
		return -1;
	snprintf(p, sizeof(p), "%s/sentinel/keep", base);
	if ((f = fopen(p, "w")) == NULL)
		return -1;
	fputs("keep\n", f);
	fclose(f);
	memset(&st, 0, sizeof(st));
	why[0] = '\0';
	return 0;
}

/* Remove BASE, whatever a failed test left in it. */
static int
teardown(void **state)
{
	(void)state;
	if (mounted[0] != '\0') {
		umount2(mounted, MNT_DETACH);
		mounted[0] = '\0';
	}
	return rm_rf_at(AT_FDCWD, base) == 0 ? 0 : -1;
}

/* BASE/arch/NAME */
static const char *
apath(const char *name)
{
	static char p[2][PATH_MAX + 64];
	static int i;

	i ^= 1;
	snprintf(p[i], sizeof(p[i]), "%s/%s", arch, name);
	return p[i];
}

/* BASE/dest/NAME */
static const char *
dpath(const char *name)
{
	static char p[2][PATH_MAX + 64];
	static int i;

	i ^= 1;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dest, name);
	return p[i];
}

/* Write an archive of the given members with libarchive's writer. */
static void
make_archive(const char *path, enum fmt fmt, enum filt filt,
    const struct mem *m, size_t n)
{
	static char fill[64 * 1024];
	struct archive *a = archive_write_new();
	size_t i;

	assert_non_null(a);
	switch (fmt) {
	case F_PAX: assert_int_equal(archive_write_set_format_pax_restricted(a), ARCHIVE_OK); break;
	case F_GNU: assert_int_equal(archive_write_set_format_gnutar(a), ARCHIVE_OK); break;
	case F_ZIP: assert_int_equal(archive_write_set_format_zip(a), ARCHIVE_OK); break;
	case F_CPIO: assert_int_equal(archive_write_set_format_cpio_newc(a), ARCHIVE_OK); break;
	}
	switch (filt) {
	case Z_NONE: break;
	case Z_GZIP: assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK); break;
	case Z_XZ: assert_int_equal(archive_write_add_filter_xz(a), ARCHIVE_OK); break;
	case Z_ZSTD: assert_int_equal(archive_write_add_filter_zstd(a), ARCHIVE_OK); break;
	case Z_BZIP2: assert_int_equal(archive_write_add_filter_bzip2(a), ARCHIVE_OK); break;
	}
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (i = 0; i < n; i++) {
		long long size = m[i].data != NULL ? (long long)strlen(m[i].data) : m[i].size;
		struct archive_entry *e = archive_entry_new();

		archive_entry_set_pathname(e, m[i].name);
		archive_entry_set_mtime(e, 1700000000, 0);
		archive_entry_set_perm(e, m[i].perm != 0 ? m[i].perm : 0644);
		switch (m[i].kind) {
		case K_FILE:
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_size(e, size);
			break;
		case K_DIR:
			archive_entry_set_filetype(e, AE_IFDIR);
			archive_entry_set_perm(e, m[i].perm != 0 ? m[i].perm : 0755);
			break;
		case K_SYMLINK:
			archive_entry_set_filetype(e, AE_IFLNK);
			archive_entry_set_symlink(e, m[i].link);
			break;
		case K_HARDLINK:
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_hardlink(e, m[i].link);
			archive_entry_set_size(e, 0);
			break;
		case K_CHR:
			archive_entry_set_filetype(e, AE_IFCHR);
			archive_entry_set_rdev(e, makedev(1, 3));
			break;
		case K_FIFO:
			archive_entry_set_filetype(e, AE_IFIFO);
			break;
		}
		assert_true(archive_write_header(a, e) >= ARCHIVE_WARN);
		if (m[i].kind == K_FILE && m[i].data != NULL)
			assert_int_equal(archive_write_data(a, m[i].data, (size_t)size), size);
		else if (m[i].kind == K_FILE) {
			long long left = size;

			while (left > 0) {
				size_t c = left > (long long)sizeof(fill) ? sizeof(fill) : (size_t)left;

				assert_int_equal(archive_write_data(a, fill, c), (la_ssize_t)c);
				left -= (long long)c;
			}
		}
		archive_entry_free(e);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

/* Write bytes to a file. */
static void
write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write_full(fd, buf, len), 0);
	close(fd);
}

/* Contents of a small file, NUL-terminated, in a static buffer. */
static const char *
slurp(const char *path)
{
	static char buf[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return NULL;
	n = read_full(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return buf;
}

static long long events, last_event_bytes, last_event_entries;

/* A sink that counts progress events. */
static void
count_event(void *ctx, const struct kvlist *ev)
{
	(void)ctx;
	assert_string_equal(kv_get(ev, "event"), "unpack");
	events++;
	last_event_bytes = kv_get_int(ev, "bytes", -1);
	last_event_entries = kv_get_int(ev, "entries", -1);
}

/* unpack_archive() of a file into dest, checking cwd comes back. */
static int
unpack_src(const struct byte_source *src, long long max_entries, long long max_bytes)
{
	struct unpack_limits lim = { max_entries, max_bytes, NULL };
	struct sink sink = { count_event, NULL, NULL };
	char before[PATH_MAX], after[PATH_MAX];
	int destfd, r;

	events = 0;
	destfd = open(dest, O_RDONLY | O_DIRECTORY);
	assert_true(destfd >= 0);
	assert_non_null(getcwd(before, sizeof(before)));
	r = unpack_archive(src, destfd, &lim, &sink, &st, why, sizeof(why));
	assert_non_null(getcwd(after, sizeof(after)));
	assert_string_equal(before, after);
	close(destfd);
	return r;
}

/* unpack_archive() of a file path. */
static int
unpack_file_limits(const char *path, long long max_entries, long long max_bytes)
{
	struct fd_source *fs = malloc(sizeof(*fs));
	struct byte_source src;
	int fd, r;

	assert_non_null(fs);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	fd_source_init(fs, fd, &src);
	r = unpack_src(&src, max_entries, max_bytes);
	close(fd);
	free(fs);
	return r;
}

static int
unpack_file(const char *path)
{
	return unpack_file_limits(path, 1000000, 1LL << 34);
}

/* Nothing beside dest changed: BASE holds arch, dest, sentinel; sentinel only keep. */
static void
assert_outside_clean(void)
{
	char p[PATH_MAX + 32];
	struct dirent *d;
	DIR *dir;
	int n = 0;

	assert_non_null(dir = opendir(base));
	while ((d = readdir(dir)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if (strcmp(d->d_name, "arch") != 0 && strcmp(d->d_name, "dest") != 0 &&
		    strcmp(d->d_name, "sentinel") != 0)
			fail_msg("unexpected \"%s\" beside dest", d->d_name);
		n++;
	}
	closedir(dir);
	assert_int_equal(n, 3);
	snprintf(p, sizeof(p), "%s/sentinel", base);
	assert_non_null(dir = opendir(p));
	n = 0;
	while ((d = readdir(dir)) != NULL)
		if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0) {
			assert_string_equal(d->d_name, "keep");
			n++;
		}
	closedir(dir);
	assert_int_equal(n, 1);
	snprintf(p, sizeof(p), "%s/sentinel/keep", base);
	assert_string_equal(slurp(p), "keep\n");
}

/* A hostile archive: rejected as BAD_ARCHIVE, why contains `expect`, nothing outside. */
static void
assert_rejected(const char *path, const char *expect)
{
	int r = unpack_file(path);

	if (r != CUT_ERR_BAD_ARCHIVE || strstr(why, expect) == NULL)
		fail_msg("r=%d why=[%s], expected BAD_ARCHIVE with [%s]", r, why, expect);
	assert_outside_clean();
}

/* Mode bits of a path (lstat). */
static int
perm_of(const char *path)
{
	struct stat sb;

	assert_int_equal(lstat(path, &sb), 0);
	return (int)(sb.st_mode & 07777);
}

/* SHA-256 as printed by sha256sum(1). */
static void
sha256sum(const char *path, char out[65])
{
	char cmd[PATH_MAX + 32];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "sha256sum '%s'", path);
	assert_non_null(p = popen(cmd, "r"));
	assert_non_null(fgets(out, 65, p));
	assert_int_equal(pclose(p), 0);
	assert_int_equal(strlen(out), 64);
}

/* Shell command in BASE; 0 when it worked. */
static int
sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static const struct mem good[] = {
	{ "app", K_DIR, 0755, NULL, 0, NULL },
	{ "app/index.html", K_FILE, 0644, "<h1>hello</h1>\n", 0, NULL },
	{ "app/bin", K_DIR, 0755, NULL, 0, NULL },
	{ "app/bin/run", K_FILE, 0755, "#!/bin/sh\necho run\n", 0, NULL },
	{ "app/secret", K_FILE, 0600, "s3cret\n", 0, NULL },
	{ "app/current.html", K_SYMLINK, 0777, NULL, 0, "index.html" },
	{ "app/bin/up", K_SYMLINK, 0777, NULL, 0, "../index.html" },
	{ "app/bin/root", K_SYMLINK, 0777, NULL, 0, "../.." },
	{ "app/hard", K_HARDLINK, 0644, NULL, 0, "app/index.html" },
};

/* The contents and modes `good` must produce (zip: no symlinks/hard links). */
static void
assert_good_tree(int full)
{
	struct stat a, b;
	char t[64];
	ssize_t n;

	assert_string_equal(slurp(dpath("app/index.html")), "<h1>hello</h1>\n");
	assert_string_equal(slurp(dpath("app/bin/run")), "#!/bin/sh\necho run\n");
	assert_string_equal(slurp(dpath("app/secret")), "s3cret\n");
	if (!full)
		return;
	assert_int_equal(perm_of(dpath("app/bin/run")), 0755);
	assert_int_equal(perm_of(dpath("app/index.html")), 0644);
	assert_int_equal(perm_of(dpath("app/secret")), 0600);
	assert_int_equal(lstat(dpath("app/index.html"), &a), 0);
	assert_int_equal(a.st_mtime, 1700000000);
	n = readlink(dpath("app/current.html"), t, sizeof(t) - 1);
	assert_true(n > 0);
	t[n] = '\0';
	assert_string_equal(t, "index.html");
	n = readlink(dpath("app/bin/root"), t, sizeof(t) - 1);
	assert_true(n > 0);
	t[n] = '\0';
	assert_string_equal(t, "../..");
	assert_int_equal(lstat(dpath("app/hard"), &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	assert_int_equal(st.entries, 9);
}

/* Each compression and format in turn. */
static void
good_one(enum fmt fmt, enum filt filt, const char *name)
{
	char hex[65], sum[65];

	make_archive(apath(name), fmt, filt, good, sizeof(good) / sizeof(good[0]));
	assert_int_equal(unpack_file(apath(name)), 0);
	assert_good_tree(1);
	sha256_hex(st.sha256, hex);
	sha256sum(apath(name), sum);
	assert_string_equal(hex, sum);
	assert_true(events >= 1);
	assert_int_equal(last_event_bytes, st.bytes);
	assert_int_equal(last_event_entries, st.entries);
	assert_outside_clean();
}

static void test_good_tgz(void **s) { (void)s; good_one(F_PAX, Z_GZIP, "a.tgz"); }
static void test_good_tar_xz(void **s) { (void)s; good_one(F_PAX, Z_XZ, "a.tar.xz"); }
static void test_good_tar_zst(void **s) { (void)s; good_one(F_PAX, Z_ZSTD, "a.tar.zst"); }
static void test_good_tar_bz2(void **s) { (void)s; good_one(F_PAX, Z_BZIP2, "a.tar.bz2"); }
static void test_good_plain_tar(void **s) { (void)s; good_one(F_PAX, Z_NONE, "a.tar"); }
static void test_good_gnutar(void **s) { (void)s; good_one(F_GNU, Z_GZIP, "a.gnu.tgz"); }

/* Byte counts: st.bytes is the sum of file contents, archive_bytes the file size. */
static void
test_stats(void **s)
{
	struct stat sb;

	(void)s;
	make_archive(apath("a.tgz"), F_PAX, Z_GZIP, good, sizeof(good) / sizeof(good[0]));
	assert_int_equal(unpack_file(apath("a.tgz")), 0);
	assert_int_equal(st.bytes, 15 + 19 + 7);
	assert_int_equal(stat(apath("a.tgz"), &sb), 0);
	assert_int_equal(st.archive_bytes, sb.st_size);
}

/* Zip by libarchive's writer: contents and modes. */
static void
test_good_zip(void **s)
{
	static const struct mem m[] = {
		{ "app/", K_DIR, 0755, NULL, 0, NULL },
		{ "app/index.html", K_FILE, 0644, "<h1>hello</h1>\n", 0, NULL },
		{ "app/bin/run", K_FILE, 0755, "#!/bin/sh\necho run\n", 0, NULL },
		{ "app/secret", K_FILE, 0600, "s3cret\n", 0, NULL },
	};
	char hex[65], sum[65];

	(void)s;
	make_archive(apath("a.zip"), F_ZIP, Z_NONE, m, 4);
	assert_int_equal(unpack_file(apath("a.zip")), 0);
	assert_good_tree(0);
	/* Read from the central directory: the modes come along. */
	assert_int_equal(perm_of(dpath("app/bin/run")), 0755);
	assert_int_equal(perm_of(dpath("app/secret")), 0600);
	sha256_hex(st.sha256, hex);
	sha256sum(apath("a.zip"), sum);
	assert_string_equal(hex, sum);
	assert_outside_clean();
}

/* Zip made by zip(1), the usual way people make them. */
static void
test_good_zip_cli(void **s)
{
	(void)s;
	if (sh("command -v zip >/dev/null") != 0)
		skip();
	assert_int_equal(sh("cd '%s' && mkdir -p src/app/bin && printf 'hi\\n' > src/app/index.html"
	    " && printf 'x\\n' > src/app/bin/run && cd src && zip -qr ../a.zip app", arch), 0);
	assert_int_equal(unpack_file(apath("a.zip")), 0);
	assert_string_equal(slurp(dpath("app/index.html")), "hi\n");
	assert_string_equal(slurp(dpath("app/bin/run")), "x\n");
	assert_outside_clean();
}

/* tar(1) with "./" members, as `tar -C dir -czf f .` writes them. */
static void
test_good_tar_cli_dot(void **s)
{
	(void)s;
	assert_int_equal(sh("cd '%s' && mkdir -p src/bin && printf 'hi\\n' > src/index.html"
	    " && printf '#!/bin/sh\\n' > src/bin/run && chmod 755 src/bin/run"
	    " && tar -C src -czf a.tgz .", arch), 0);
	assert_int_equal(unpack_file(apath("a.tgz")), 0);
	assert_string_equal(slurp(dpath("index.html")), "hi\n");
	assert_int_equal(perm_of(dpath("bin/run")), 0755);
	assert_int_equal(perm_of(dest) & 0777, 0755);
	assert_outside_clean();
}

/* Set-uid, set-gid and sticky bits never reach the disk. */
static void
test_setuid_stripped(void **s)
{
	static const struct mem m[] = {
		{ "suid", K_FILE, 04755, "x\n", 0, NULL },
		{ "sgid", K_FILE, 02755, "x\n", 0, NULL },
		{ "sticky", K_DIR, 01777, NULL, 0, NULL },
	};

	(void)s;
	make_archive(apath("a.tar"), F_PAX, Z_NONE, m, 3);
	assert_int_equal(unpack_file(apath("a.tar")), 0);
	assert_int_equal(perm_of(dpath("suid")), 0755);
	assert_int_equal(perm_of(dpath("sgid")) & 07000, 0);
	assert_int_equal(perm_of(dpath("sgid")), 0755);
	assert_int_equal(perm_of(dpath("sticky")) & 07000, 0);
}

/* Directories stay writable by their owner, so prune can always remove them. */
static void
test_dir_owner_rwx(void **s)
{
	static const struct mem m[] = {
		{ "ro", K_DIR, 0555, NULL, 0, NULL },
		{ "ro/f", K_FILE, 0444, "f\n", 0, NULL },
		{ "none", K_DIR, 0100, NULL, 0, NULL },
	};

	(void)s;
	make_archive(apath("a.tar"), F_PAX, Z_NONE, m, 3);
	assert_int_equal(unpack_file(apath("a.tar")), 0);
	assert_int_equal(perm_of(dpath("ro")), 0755);
	assert_int_equal(perm_of(dpath("ro/f")), 0444);
	assert_int_equal(perm_of(dpath("none")), 0700);
}

/* One hostile member after a harmless one. */
static void
hostile(const struct mem *bad, const char *expect)
{
	struct mem m[2] = {
		{ "ok.txt", K_FILE, 0644, "ok\n", 0, NULL },
	};

	m[1] = *bad;
	make_archive(apath("h.tgz"), F_PAX, Z_GZIP, m, 2);
	assert_rejected(apath("h.tgz"), expect);
}

static void
test_dotdot_leading(void **s)
{
	static const struct mem m = { "../x", K_FILE, 0644, "pwned\n", 0, NULL };

	(void)s;
	hostile(&m, "\"../x\": path escapes the release");
}

static void
test_dotdot_inner(void **s)
{
	static const struct mem m = { "a/../../x", K_FILE, 0644, "pwned\n", 0, NULL };

	(void)s;
	hostile(&m, "\"a/../../x\": path escapes the release");
}

static void
test_dotdot_harmless_still_refused(void **s)
{
	static const struct mem m = { "a/../x", K_FILE, 0644, "x\n", 0, NULL };

	(void)s;
	hostile(&m, "\"a/../x\": path escapes the release");
}

static void
test_absolute(void **s)
{
	struct mem m = { NULL, K_FILE, 0644, "pwned\n", 0, NULL };
	char p[PATH_MAX + 32];

	(void)s;
	snprintf(p, sizeof(p), "%s/sentinel/abs", base);
	m.name = p;
	hostile(&m, ": absolute path");
	assert_non_null(strstr(why, p));
	m.name = "/etc/cutover-test-unpack-x";
	hostile(&m, "\"/etc/cutover-test-unpack-x\": absolute path");
	assert_int_equal(access("/etc/cutover-test-unpack-x", F_OK), -1);
}

/* A symlink to an absolute path, then a file "through" it. */
static void
test_symlink_absolute_then_write(void **s)
{
	char target[PATH_MAX + 32];
	struct mem m[3] = {
		{ "l", K_SYMLINK, 0777, NULL, 0, NULL },
		{ "l/x", K_FILE, 0644, "pwned\n", 0, NULL },
	};

	(void)s;
	snprintf(target, sizeof(target), "%s/sentinel", base);
	m[0].link = target;
	make_archive(apath("h.tgz"), F_PAX, Z_GZIP, m, 2);
	assert_rejected(apath("h.tgz"), "\"l\": symlink target");
	assert_non_null(strstr(why, "escapes the release"));
	m[0].link = "/tmp";
	make_archive(apath("h.tgz"), F_PAX, Z_GZIP, m, 2);
	assert_rejected(apath("h.tgz"), "\"l\": symlink target \"/tmp\" escapes");
}

static void
test_symlink_dotdot(void **s)
{
	static const struct mem m = { "l", K_SYMLINK, 0777, NULL, 0, "../.." };

	(void)s;
	hostile(&m, "\"l\": symlink target \"../..\" escapes the release");
}

static void
test_symlink_target_escaped(void **s)
{
	static const struct mem m = { "l", K_SYMLINK, 0777, NULL, 0, "/\033]0;x\007" };

	(void)s;
	hostile(&m, "\"l\": symlink target \"/\\x1b]0;x\\x07\" escapes the release");
}

static void
test_symlink_deep_dotdot(void **s)
{
	static const struct mem m = { "a/b/l", K_SYMLINK, 0777, NULL, 0, "../../../sentinel" };

	(void)s;
	hostile(&m, "\"a/b/l\": symlink target");
}

/* "x/.." after a name could climb out through another symlink: refused. */
static void
test_symlink_inner_dotdot(void **s)
{
	static const struct mem m = { "a/l", K_SYMLINK, 0777, NULL, 0, "up/../.." };

	(void)s;
	hostile(&m, "\"a/l\": symlink target");
}

/* A symlink inside the tree, then a member written through it: libarchive's SECURE_SYMLINKS. */
static void
test_write_through_inner_symlink(void **s)
{
	static const struct mem m[] = {
		{ "sub", K_DIR, 0755, NULL, 0, NULL },
		{ "l", K_SYMLINK, 0777, NULL, 0, "sub" },
		{ "l/x", K_FILE, 0644, "through\n", 0, NULL },
	};

	(void)s;
	make_archive(apath("h.tgz"), F_PAX, Z_GZIP, m, 3);
	assert_rejected(apath("h.tgz"), "\"l/x\": ");
	assert_non_null(strstr(why, "symlink"));
	assert_int_equal(access(dpath("sub/x"), F_OK), -1);
}

/* "./l" and "l" are the same member: normalised before the check. */
static void
test_write_through_dot_symlink(void **s)
{
	static const struct mem m[] = {
		{ "sub", K_DIR, 0755, NULL, 0, NULL },
		{ "./l", K_SYMLINK, 0777, NULL, 0, "sub" },
		{ "l//./x", K_FILE, 0644, "through\n", 0, NULL },
	};

	(void)s;
	make_archive(apath("h.tar"), F_PAX, Z_NONE, m, 3);
	assert_rejected(apath("h.tar"), "\"l//./x\": path goes through symlink \"l\"");
	assert_int_equal(access(dpath("sub/x"), F_OK), -1);
}

/* A directory member over a symlink member would be followed. */
static void
test_dir_replaces_symlink(void **s)
{
	static const struct mem m[] = {
		{ "sub", K_DIR, 0755, NULL, 0, NULL },
		{ "l", K_SYMLINK, 0777, NULL, 0, "sub" },
		{ "l", K_DIR, 0700, NULL, 0, NULL },
	};

	(void)s;
	make_archive(apath("h.tar"), F_PAX, Z_NONE, m, 3);
	assert_rejected(apath("h.tar"), "\"l/\": member replaces symlink \"l\"");
	assert_int_equal(perm_of(dpath("sub")), 0755);
}

/* A hard link to a symlink is a symlink read from another directory. */
static void
test_hardlink_to_symlink(void **s)
{
	static const struct mem m[] = {
		{ "a/b/l", K_SYMLINK, 0777, NULL, 0, "../../x" },
		{ "h", K_HARDLINK, 0644, NULL, 0, "a/b/l" },
	};

	(void)s;
	make_archive(apath("h.tar"), F_PAX, Z_NONE, m, 2);
	assert_rejected(apath("h.tar"), "\"h\": hard link to symlink \"a/b/l\"");
	assert_int_equal(access(dpath("h"), F_OK), -1);
}

static void
test_hardlink_through_symlink(void **s)
{
	static const struct mem m[] = {
		{ "sub/f", K_FILE, 0644, "f\n", 0, NULL },
		{ "l", K_SYMLINK, 0777, NULL, 0, "sub" },
		{ "h", K_HARDLINK, 0644, NULL, 0, "l/f" },
	};

	(void)s;
	make_archive(apath("h.tar"), F_PAX, Z_NONE, m, 3);
	assert_rejected(apath("h.tar"), "\"h\": hard link target goes through symlink \"l\"");
}

static void
test_hardlink_escape(void **s)
{
	static const struct mem m = { "h", K_HARDLINK, 0644, NULL, 0, "../../etc/passwd" };

	(void)s;
	hostile(&m, "\"h\": hard link target: path escapes the release");
}

/* A hard link to a file beside dest, then data into it, would overwrite it. */
static void
test_hardlink_to_sentinel(void **s)
{
	static const struct mem m[] = {
		{ "h", K_HARDLINK, 0644, NULL, 0, "../sentinel/keep" },
		{ "h", K_FILE, 0644, "pwned\n", 0, NULL },
	};

	(void)s;
	make_archive(apath("h.tgz"), F_PAX, Z_GZIP, m, 2);
	assert_rejected(apath("h.tgz"), "\"h\": hard link target: path escapes");
}

static void
test_hardlink_absolute(void **s)
{
	static const struct mem m = { "h", K_HARDLINK, 0644, NULL, 0, "/etc/passwd" };

	(void)s;
	hostile(&m, "\"h\": hard link target: absolute path");
}

static void
test_chardev(void **s)
{
	static const struct mem m = { "null", K_CHR, 0666, NULL, 0, NULL };

	(void)s;
	hostile(&m, "\"null\": character device not allowed");
	assert_int_equal(access(dpath("null"), F_OK), -1);
}

static void
test_fifo(void **s)
{
	static const struct mem m = { "p", K_FIFO, 0644, NULL, 0, NULL };

	(void)s;
	hostile(&m, "\"p\": FIFO not allowed");
	assert_int_equal(access(dpath("p"), F_OK), -1);
}

static void
test_long_component(void **s)
{
	char name[300];
	struct mem m = { name, K_FILE, 0644, "x\n", 0, NULL };

	(void)s;
	memset(name, 'n', 256);
	name[256] = '\0';
	hostile(&m, "path component too long");
	memset(name, 'n', 255);
	name[255] = '\0';
	make_archive(apath("ok.tar"), F_PAX, Z_NONE, &m, 1);
	assert_int_equal(unpack_file(apath("ok.tar")), 0);
}

/* Control bytes in a name are escaped in the message. */
static void
test_name_escaped(void **s)
{
	static const struct mem m = { "../\033[2Jx\n", K_FILE, 0644, "x\n", 0, NULL };

	(void)s;
	hostile(&m, "\"../\\x1b[2Jx\\x0a\": path escapes");
}

/* Not UTF-8 text is escaped too: C1 controls (CSI 0x9b) and stray bytes. */
static void
test_name_escaped_c1(void **s)
{
	static const struct mem m = { "../caf\xc3\xa9\xc2\x9b\x9b\xff", K_FILE, 0644, "x\n", 0, NULL };

	(void)s;
	hostile(&m, "\"../caf\xc3\xa9\\xc2\\x9b\\x9b\\xff\": path escapes");
}

/* unpack_file() of path into a fresh dest: the name bytes it hashed checking links. */
static long long
link_check_bytes(const char *path)
{
	assert_int_equal(rm_rf_at(AT_FDCWD, dest), 0);
	assert_int_equal(mkdir(dest, 0755), 0);
	assert_int_equal(unpack_file(path), 0);
	return st.link_check_bytes;
}

/*
 * Checking a deep path against the symlinks seen costs one pass over it,
 * not one hash per component: 2000 members 2000 components deep, after a
 * symlink member, hash each name once (rehashing every prefix fed the hash
 * about 4 million bytes per member, seconds in all). Counted, not timed.
 */
static void
test_deep_paths_linear(void **s)
{
	enum { N = 2000, DEPTH = 2000 };
	static struct mem m[N + 1];
	static char deep[DEPTH * 2 + 1], names[N][DEPTH * 2 + 16];
	long long with, without, total = 0;
	int i;

	(void)s;
	for (i = 0; i < DEPTH; i++)
		memcpy(deep + 2 * i, "a/", 2);
	deep[2 * DEPTH - 1] = '\0';
	m[0] = (struct mem){ "l", K_SYMLINK, 0777, NULL, 0, "x" };
	for (i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "%.*s/f%d", 2 * DEPTH - 20, deep, i);
		m[i + 1] = (struct mem){ names[i], K_FILE, 0644, "x", 0, NULL };
		total += (long long)strlen(names[i]);
	}
	make_archive(apath("deep.tar"), F_PAX, Z_NONE, m, N + 1);
	make_archive(apath("nolink.tar"), F_PAX, Z_NONE, m + 1, N);
	without = link_check_bytes(apath("nolink.tar"));
	with = link_check_bytes(apath("deep.tar"));
	print_message("deep paths: %d members %d deep: %lld name bytes, %lld hashed without a "
	    "symlink, %lld after one\n", N, DEPTH - 10, total, without, with);
	assert_true(without == 0);
	assert_true(with > 0 && with <= total + 16);
}

static void
test_too_many_entries(void **s)
{
	static const struct mem m[] = {
		{ "1", K_FILE, 0644, "1\n", 0, NULL },
		{ "2", K_FILE, 0644, "2\n", 0, NULL },
		{ "3", K_FILE, 0644, "3\n", 0, NULL },
		{ "4", K_FILE, 0644, "4\n", 0, NULL },
	};
	int r;

	(void)s;
	make_archive(apath("a.tgz"), F_PAX, Z_GZIP, m, 4);
	r = unpack_file_limits(apath("a.tgz"), 3, 1 << 20);
	assert_int_equal(r, CUT_ERR_BAD_ARCHIVE);
	assert_non_null(strstr(why, "\"4\": archive has more than 3 members"));
	assert_int_equal(access(dpath("4"), F_OK), -1);
	assert_outside_clean();
	assert_int_equal(unpack_file_limits(apath("a.tgz"), 4, 1 << 20), 0);
}

/* A decompression bomb: 100 MB of zeros, 10 MB allowed; stops early. */
static void
test_bomb(void **s)
{
	static const struct mem m[] = {
		{ "zeros", K_FILE, 0644, NULL, 100LL << 20, NULL },
	};
	struct stat sb;
	int r;

	(void)s;
	make_archive(apath("bomb.tgz"), F_PAX, Z_GZIP, m, 1);
	assert_int_equal(stat(apath("bomb.tgz"), &sb), 0);
	assert_true(sb.st_size < (1 << 20));
	r = unpack_file_limits(apath("bomb.tgz"), 100, 10LL << 20);
	assert_int_equal(r, CUT_ERR_BAD_ARCHIVE);
	assert_non_null(strstr(why, "\"zeros\": unpacked size exceeds the limit"));
	if (stat(dpath("zeros"), &sb) == 0)
		assert_true(sb.st_size <= (10LL << 20));
	assert_outside_clean();
}

/* Many small files whose sum passes the cap: counted while copying. */
static void
test_bytes_summed(void **s)
{
	static const struct mem m[] = {
		{ "a", K_FILE, 0644, NULL, 600 << 10, NULL },
		{ "b", K_FILE, 0644, NULL, 600 << 10, NULL },
	};

	(void)s;
	make_archive(apath("a.tar.zst"), F_PAX, Z_ZSTD, m, 2);
	assert_int_equal(unpack_file_limits(apath("a.tar.zst"), 100, 1 << 20),
	    CUT_ERR_BAD_ARCHIVE);
	assert_non_null(strstr(why, "\"b\": unpacked size exceeds"));
	assert_int_equal(unpack_file_limits(apath("a.tar.zst"), 100, 1200 << 10), 0);
	assert_int_equal(st.bytes, 1200 << 10);
}

/* A full disk is a system error naming the member, not a bad archive. */
static void
test_disk_full(void **s)
{
	static const struct mem m[] = {
		{ "small", K_FILE, 0644, "x\n", 0, NULL },
		{ "big", K_FILE, 0644, NULL, 2 << 20, NULL },
	};
	int r;

	(void)s;
	make_archive(apath("a.tgz"), F_PAX, Z_GZIP, m, 2);
	snprintf(mounted, sizeof(mounted), "%s", dest);
	if (mount("tmpfs", mounted, "tmpfs", 0, "size=256k") != 0) {
		mounted[0] = '\0';
		skip();	/* needs CAP_SYS_ADMIN */
	}
	r = unpack_file(apath("a.tgz"));
	print_message("why: %s\n", why);
	if (r != CUT_ERR_SYSTEM || strstr(why, "\"big\": ") == NULL)
		fail_msg("r=%d why=[%s]", r, why);
	assert_outside_clean();
}

/* Bytes of a tgz holding one MiB of pseudo-random text, and its size. */
static unsigned char *
text_tgz(size_t *len)
{
	static const char words[][8] = { "alpha ", "beta ", "gamma ", "delta\n", "eps ", "zeta " };
	struct mem m = { "big.txt", K_FILE, 0644, NULL, 0, NULL };
	char *txt = malloc(1 << 20);
	unsigned char *buf;
	unsigned int x = 12345;
	size_t o = 0;
	struct stat sb;
	int fd;

	assert_non_null(txt);
	while (o + 8 < (1 << 20)) {
		x = x * 1103515245 + 12345;
		o += (size_t)snprintf(txt + o, 8, "%s", words[(x >> 16) % 6]);
	}
	txt[o] = '\0';
	m.data = txt;
	make_archive(apath("t.tgz"), F_PAX, Z_GZIP, &m, 1);
	free(txt);
	assert_int_equal(stat(apath("t.tgz"), &sb), 0);
	*len = (size_t)sb.st_size;
	assert_non_null(buf = malloc(*len));
	fd = open(apath("t.tgz"), O_RDONLY);
	assert_int_equal(read_full(fd, buf, *len), (ssize_t)*len);
	close(fd);
	return buf;
}

static void
test_truncated(void **s)
{
	unsigned char *buf;
	size_t len;

	(void)s;
	buf = text_tgz(&len);
	write_file(apath("cut.tgz"), buf, len / 2);
	free(buf);
	assert_rejected(apath("cut.tgz"), "\"big.txt\": ");
}

static void
test_corrupt_gzip(void **s)
{
	unsigned char *buf;
	size_t len;

	(void)s;
	buf = text_tgz(&len);
	memset(buf + len / 3, 0xff, 256);
	write_file(apath("bad.tgz"), buf, len);
	free(buf);
	/* Where it is noticed depends on the bytes (inflate or CRC-32), but it is. */
	assert_rejected(apath("bad.tgz"), "");
	assert_true(why[0] != '\0');
}

/* A damaged tar header (checksum no longer matches). */
static void
test_corrupt_tar_header(void **s)
{
	static const struct mem m[] = {
		{ "a", K_FILE, 0644, "a\n", 0, NULL },
		{ "b", K_FILE, 0644, "b\n", 0, NULL },
	};
	unsigned char buf[10240];
	ssize_t n;
	int fd;

	(void)s;
	make_archive(apath("a.tar"), F_GNU, Z_NONE, m, 2);
	fd = open(apath("a.tar"), O_RDONLY);
	n = read_full(fd, buf, sizeof(buf));
	close(fd);
	assert_true(n >= 2048);
	memset(buf + 1024, 'Z', 20);	/* the second header's name */
	write_file(apath("a.tar"), buf, (size_t)n);
	assert_rejected(apath("a.tar"), "damaged tar archive");
}

static void
test_text_file(void **s)
{
	char txt[2000];

	(void)s;
	memset(txt, 'x', sizeof(txt));
	txt[sizeof(txt) - 1] = '\n';
	write_file(apath("notes.txt"), txt, sizeof(txt));
	assert_rejected(apath("notes.txt"), "not a tar or zip archive");
}

static void
test_empty_file(void **s)
{
	(void)s;
	write_file(apath("empty.tgz"), "", 0);
	assert_rejected(apath("empty.tgz"), "archive is empty");
}

static void
test_no_members(void **s)
{
	(void)s;
	make_archive(apath("none.tgz"), F_PAX, Z_GZIP, NULL, 0);
	assert_rejected(apath("none.tgz"), "archive has no members");
}

/* A format we do not accept (cpio) is named and refused, even inside gzip. */
static void
test_cpio_refused(void **s)
{
	static const struct mem m[] = {
		{ "index.html", K_FILE, 0644, "<h1>hello</h1>\n", 0, NULL },
	};

	(void)s;
	make_archive(apath("a.cpio.gz"), F_CPIO, Z_GZIP, m, 1);
	assert_rejected(apath("a.cpio.gz"), "cpio archives are not supported");
	assert_int_equal(access(dpath("index.html"), F_OK), -1);
}

/* Junk after the end of the tar is still part of the digest. */
static void
test_trailing_bytes_hashed(void **s)
{
	char hex[65], sum[65];

	(void)s;
	make_archive(apath("a.tar"), F_PAX, Z_NONE, good, sizeof(good) / sizeof(good[0]));
	assert_int_equal(sh("head -c 100000 /dev/urandom >> '%s'", apath("a.tar")), 0);
	assert_int_equal(unpack_file(apath("a.tar")), 0);
	sha256_hex(st.sha256, hex);
	sha256sum(apath("a.tar"), sum);
	assert_string_equal(hex, sum);
}

/* A source that yields `left` bytes of a buffer, then fails with `err`. */
struct cut_src {
	const unsigned char *buf;
	size_t len, off, chunk;
	int err;
};

static ssize_t
cut_read(void *ctx, const void **buf)
{
	struct cut_src *c = ctx;
	size_t n = c->len - c->off;

	if (n == 0)
		return c->err;
	if (n > c->chunk)
		n = c->chunk;
	*buf = c->buf + c->off;
	c->off += n;
	return (ssize_t)n;
}

/* unpack_archive() of the first len bytes of buf, then the source fails with err. */
static int
unpack_cut(const unsigned char *buf, size_t len, int err)
{
	struct cut_src c = { buf, len, 0, 4096, err };
	struct byte_source src = { cut_read, &c };

	assert_int_equal(rm_rf_at(AT_FDCWD, dest), 0);
	assert_int_equal(mkdir(dest, 0755), 0);
	return unpack_src(&src, 100, 1 << 30);
}

/* An upload that stops halfway: the source's error travels up. */
static void
test_stream_cut_off(void **s)
{
	unsigned char *buf;
	size_t len;

	(void)s;
	buf = text_tgz(&len);
	assert_int_equal(unpack_cut(buf, len / 2, CUT_ERR_EOF), CUT_ERR_EOF);
	assert_string_equal(why, "archive stream cut off");
	assert_int_equal(unpack_cut(buf, len / 2, CUT_ERR_PROTOCOL), CUT_ERR_PROTOCOL);
	assert_string_equal(why, "archive stream cut off");
	/* Cut off after the tar's end: still an error, never a clean end. */
	assert_int_equal(unpack_cut(buf, len, CUT_ERR_EOF), CUT_ERR_EOF);
	assert_string_equal(why, "archive stream cut off");
	/* The same bytes with a clean end are fine. */
	assert_int_equal(unpack_cut(buf, len, 0), 0);
	free(buf);
}

/* Progress events every 4 MiB plus one at the end. */
static void
test_progress_events(void **s)
{
	static const struct mem m[] = {
		{ "a", K_FILE, 0644, NULL, 9 << 20, NULL },
		{ "b", K_FILE, 0644, "b\n", 0, NULL },
	};

	(void)s;
	make_archive(apath("a.tgz"), F_PAX, Z_GZIP, m, 2);
	assert_int_equal(unpack_file(apath("a.tgz")), 0);
	assert_true(events >= 3);
	assert_int_equal(last_event_bytes, (9 << 20) + 2);
	assert_int_equal(last_event_entries, 2);
}

/* A NULL sink is allowed. */
static void
test_null_sink(void **s)
{
	struct unpack_limits lim = { 100, 1 << 20, NULL };
	struct fd_source *fs = malloc(sizeof(*fs));
	struct byte_source src;
	int fd, destfd;

	(void)s;
	assert_non_null(fs);
	make_archive(apath("a.tgz"), F_PAX, Z_GZIP, good, sizeof(good) / sizeof(good[0]));
	fd = open(apath("a.tgz"), O_RDONLY);
	destfd = open(dest, O_RDONLY | O_DIRECTORY);
	fd_source_init(fs, fd, &src);
	assert_int_equal(unpack_archive(&src, destfd, &lim, NULL, &st, why, sizeof(why)), 0);
	close(fd);
	close(destfd);
	free(fs);
	assert_good_tree(1);
}

/* hash_source() agrees with sha256sum(1) and counts bytes. */
static void
test_hash_source(void **s)
{
	struct fd_source *fs = malloc(sizeof(*fs));
	struct byte_source src;
	unsigned char sha[32];
	char hex[65], sum[65];
	long long n = 0;
	int fd;

	(void)s;
	assert_non_null(fs);
	assert_int_equal(sh("head -c 1000001 /dev/urandom > '%s'", apath("r.bin")), 0);
	fd = open(apath("r.bin"), O_RDONLY);
	fd_source_init(fs, fd, &src);
	assert_int_equal(hash_source(&src, sha, &n), 0);
	close(fd);
	free(fs);
	assert_int_equal(n, 1000001);
	sha256_hex(sha, hex);
	sha256sum(apath("r.bin"), sum);
	assert_string_equal(hex, sum);
}

static void
test_hash_source_error(void **s)
{
	static const unsigned char b[10];
	struct cut_src c = { b, sizeof(b), 0, 4, CUT_ERR_EOF };
	struct byte_source src = { cut_read, &c };
	unsigned char sha[32];
	long long n;

	(void)s;
	assert_int_equal(hash_source(&src, sha, &n), CUT_ERR_EOF);
}

static void
test_sha256_parse(void **s)
{
	static const char h[] =
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
	unsigned char sha[32];
	char out[65], up[65];
	size_t i;

	(void)s;
	assert_int_equal(sha256_parse(h, sha), 0);
	assert_int_equal(sha[0], 0xe3);
	sha256_hex(sha, out);
	assert_string_equal(out, h);
	for (i = 0; i < 64; i++)
		up[i] = (char)(h[i] >= 'a' ? h[i] - 32 : h[i]);
	up[64] = '\0';
	assert_int_equal(sha256_parse(up, sha), 0);
	sha256_hex(sha, out);
	assert_string_equal(out, h);
	assert_int_equal(sha256_parse("", sha), CUT_ERR_CHECKSUM);
	assert_int_equal(sha256_parse("e3b0", sha), CUT_ERR_CHECKSUM);
	memcpy(up, h, 65);
	up[10] = 'g';
	assert_int_equal(sha256_parse(up, sha), CUT_ERR_CHECKSUM);
	assert_int_equal(sha256_parse(
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8550", sha),
	    CUT_ERR_CHECKSUM);
	assert_int_equal(sha256_parse(NULL, sha), CUT_ERR_CHECKSUM);
}

/*
 * `test_unpack --extract ARCHIVE DIR`: unpack_archive() alone, for
 * tests/bench/bench-install.sh when cutover-agent cannot install yet.
 */
static int
extract_main(const char *archive, const char *dir)
{
	static struct fd_source fs;
	struct unpack_limits lim = { 100000000, 1LL << 50, NULL };
	struct byte_source src;
	char hex[65];
	int fd, destfd, r;

	if ((fd = open(archive, O_RDONLY)) == -1 ||
	    (destfd = open(dir, O_RDONLY | O_DIRECTORY)) == -1) {
		perror("open");
		return 2;
	}
	fd_source_init(&fs, fd, &src);
	r = unpack_archive(&src, destfd, &lim, NULL, &st, why, sizeof(why));
	if (r != 0) {
		fprintf(stderr, "unpack: %s: %s\n", cut_err(r), why);
		return 1;
	}
	sha256_hex(st.sha256, hex);
	printf("%s entries=%lld bytes=%lld\n", hex, st.entries, st.bytes);
	return 0;
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		T(test_good_tgz), T(test_good_tar_xz), T(test_good_tar_zst),
		T(test_good_tar_bz2), T(test_good_plain_tar), T(test_good_gnutar),
		T(test_stats), T(test_good_zip), T(test_good_zip_cli),
		T(test_good_tar_cli_dot), T(test_setuid_stripped), T(test_dir_owner_rwx),
		T(test_dotdot_leading), T(test_dotdot_inner),
		T(test_dotdot_harmless_still_refused), T(test_absolute),
		T(test_symlink_absolute_then_write), T(test_symlink_dotdot), T(test_symlink_target_escaped),
		T(test_symlink_deep_dotdot), T(test_symlink_inner_dotdot),
		T(test_write_through_inner_symlink),
		T(test_write_through_dot_symlink), T(test_dir_replaces_symlink),
		T(test_hardlink_to_symlink), T(test_hardlink_through_symlink),
		T(test_hardlink_escape),
		T(test_hardlink_to_sentinel), T(test_hardlink_absolute),
		T(test_chardev), T(test_fifo), T(test_long_component),
		T(test_name_escaped), T(test_name_escaped_c1), T(test_deep_paths_linear),
		T(test_too_many_entries), T(test_bomb),
		T(test_bytes_summed), T(test_disk_full), T(test_truncated), T(test_corrupt_gzip),
		T(test_corrupt_tar_header), T(test_text_file), T(test_empty_file),
		T(test_no_members), T(test_cpio_refused),
		T(test_trailing_bytes_hashed), T(test_stream_cut_off),
		T(test_progress_events), T(test_null_sink), T(test_hash_source),
		T(test_hash_source_error), T(test_sha256_parse),
	};

	if (argc == 4 && strcmp(argv[1], "--extract") == 0)
		return extract_main(argv[2], argv[3]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
