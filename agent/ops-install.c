/*
 * install: archive -> .cutover/staging/ID.PID (unpack.c) -> shared links ->
 * syncfs -> rename to releases/ID. A release directory is complete or
 * absent; the staging tree of a failed or killed install is removed (now,
 * or by the next command's recovery).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dedupe.h"
#include "dirtree.h"
#include "err.h"
#include "fault.h"
#include "fetch.h"
#include "fsutil.h"
#include "journal.h"
#include "manifest.h"
#include "ops.h"
#include "release_id.h"
#include "sigcheck.h"
#include "state.h"
#include "unpack.h"
#include "url.h"

/*
 * One shared path: move the release's copy into shared/ on first use (or
 * create it there), drop the release's copy when shared/ has one, then
 * link the release's path to it. shared/ belongs to the app, whose user
 * may swap a directory in it for a symlink while we work: every step is
 * taken from directory fds opened component by component with O_NOFOLLOW
 * (open_parent_at), so nothing can be moved, created or deleted outside
 * ROOT/shared/ and the staging tree.
 */
static int
link_one(int sharedfd, int stagefd, const char *path, char *why, size_t whylen)
{
	const char *sleaf, *rleaf;
	char target[4096] = "";
	int shfd, stfd, depth = 2, in_shared, in_release, r = CUT_ERR_SYSTEM;

	for (const char *c = path; *c; c++)
		depth += *c == '/';
	shfd = open_parent_at(sharedfd, path, 0755, &sleaf);
	stfd = shfd == -1 ? -1 : open_parent_at(stagefd, path, 0755, &rleaf);
	if (shfd == -1 || stfd == -1) {
		snprintf(why, whylen, "shared path \"%s\": parent is not a directory: %s",
		    path, strerror(errno));
		if (shfd != -1)
			close(shfd);
		return CUT_ERR_BAD_ARCHIVE;
	}
	FAULT_STOP("install.shared_parents");
	in_shared = faccessat(shfd, sleaf, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	in_release = faccessat(stfd, rleaf, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	if (!in_shared && in_release) {
		/* First use: the release's copy seeds shared/. */
		if (renameat(stfd, rleaf, shfd, sleaf) == -1)
			goto out;
	} else if (!in_shared) {
		if (mkdirat(shfd, sleaf, 0755) == -1)
			goto out;
	} else if (in_release && rm_rf_at(stfd, rleaf) != CUT_OK) {
		goto out;
	}
	for (int i = 0; i < depth; i++)
		strcat(target, "../");
	strcat(target, SHARED_DIR "/");
	strncat(target, path, sizeof(target) - strlen(target) - 1);
	if (symlinkat(target, stfd, rleaf) == 0)
		r = CUT_OK;
out:
	if (r != CUT_OK)
		snprintf(why, whylen, "shared path \"%s\": %s", path, strerror(errno));
	close(shfd);
	close(stfd);
	return r;
}

/* Make each shared path of the new release a link into ROOT/shared/. */
static int
link_shared(struct app *app, int stagefd, char *why, size_t whylen)
{
	int sharedfd, r = CUT_OK;

	if (app->shared == NULL || app->shared[0] == NULL)
		return CUT_OK;
	if (mkdirat(app->rootfd, SHARED_DIR, 0755) == -1 && errno != EEXIST)
		goto sys;
	sharedfd = openat(app->rootfd, SHARED_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sharedfd == -1)
		goto sys;
	for (char **p = app->shared; *p && r == CUT_OK; p++)
		r = link_one(sharedfd, stagefd, *p, why, whylen);
	close(sharedfd);
	return r;
sys:
	snprintf(why, whylen, "cannot open %s/: %s", SHARED_DIR, strerror(errno));
	return CUT_ERR_SYSTEM;
}

/*
 * dedupe = yes: link unchanged files from the release current now
 * (cutover-agent.ini(5)). No current release, nothing to link from: *ddp
 * stays NULL and from "". The base is opened by name below releases/,
 * never through the current symlink's target as given.
 */
static int
dedupe_setup(struct app *app, int stagefd, struct dedupe **ddp, char *from, size_t fromlen,
    char *why, size_t whylen)
{
	const struct state *st;
	int basefd, r;

	*ddp = NULL;
	from[0] = '\0';
	if (!app->conf.dedupe)
		return CUT_OK;
	if ((r = app_state(app, &st)) != CUT_OK) {
		snprintf(why, whylen, "cannot read state: %s", strerror(errno));
		return r;
	}
	if (st->current[0] == '\0')
		return CUT_OK;
	basefd = openat(app->releasesfd, st->current, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (basefd == -1) {
		snprintf(why, whylen, "dedupe: cannot open release %s: %s", st->current,
		    strerror(errno));
		return CUT_ERR_SYSTEM;
	}
	snprintf(from, fromlen, "%s", st->current);
	r = dedupe_new(ddp, basefd, stagefd, app->shared);
	if (r != CUT_OK)
		snprintf(why, whylen, "dedupe: %s", strerror(errno));
	close(basefd);
	return r;
}

/* Unpack into the staging tree (unpack.h), with dedupe when configured. */
static int
unpack_release(struct app *app, const struct byte_source *src, int stagefd,
    const struct sink *sink, struct unpack_stats *us, char *from, size_t fromlen,
    char *why, size_t whylen)
{
	struct unpack_limits lim = { app->conf.max_entries, app->conf.max_bytes, NULL };
	int r;

	if ((r = dedupe_setup(app, stagefd, &lim.dedupe, from, fromlen, why, whylen)) != CUT_OK)
		return r;
	r = unpack_archive(src, stagefd, &lim, sink, us, why, whylen);
	dedupe_free(lim.dedupe);
	return r;
}

/* The dedupe fields of the install's journal record and result. */
static void
dedupe_fields(const struct app *app, const char *from, const struct unpack_stats *us,
    struct kvlist *kv)
{
	if (!app->conf.dedupe)
		return;
	kv_add(kv, "dedupe_from", from);
	kv_add_int(kv, "dedupe_files", us->dedupe_files);
	kv_add_int(kv, "dedupe_bytes", us->dedupe_bytes);
}

/*
 * What an install that succeeded journals and returns alike: identity and
 * stream digests, sizes, dedupe savings, manifest, signer.
 */
static void
installed_fields(const struct app *app, const char *ident, const char *stream_hex,
    const struct unpack_stats *us, const char *from, const struct manifest *man,
    const struct sigcheck *sc, struct kvlist *kv)
{
	kv_set(kv, "sha256", ident);
	if (stream_hex != NULL)
		kv_set(kv, "stream_sha256", stream_hex);
	kv_add_int(kv, "entries", us->entries);
	kv_add_int(kv, "bytes", us->bytes);
	dedupe_fields(app, from, us, kv);
	manifest_to_kv(man, kv);
	sigcheck_to_kv(sc, kv);
}

/*
 * The release exists: a no-op when it came from the same archive, else an
 * error. The bytes are still read and checked against want; what is
 * compared with the journal is the identity: ident (the client's
 * archive_sha256) when given, else the bytes' own digest.
 */
static int
install_existing(struct app *app, const struct install_req *req, struct sigcheck *sc,
    const char *id, const unsigned char *want, const char *ident, struct kvlist *res)
{
	const struct state *st;
	unsigned char got[SHA256_LEN];
	char hex[SHA256_HEX_LEN + 1], why[512];
	long long bytes = 0;
	const struct release_info *ri;
	int r;

	if (req->url != NULL)
		memcpy(got, want, sizeof(got));	/* the digest identifies it: nothing to fetch */
	else if ((r = hash_source(&sc->src, got, &bytes)) != CUT_OK)
		return op_fail(res, r, "%s: cannot read archive", id);
	sha256_hex(got, hex);
	if (want != NULL && memcmp(want, got, 32) != 0)
		return op_fail(res, CUT_ERR_CHECKSUM, "%s: archive sha256 is %s, expected %s",
		    id, hex, req->sha256);
	/* A URL's bytes (and URL.sig) are not fetched again: the have rules below decide. */
	if (req->url == NULL && (r = sigcheck_end(sc, why, sizeof(why))) != CUT_OK)
		return op_fail(res, r, "%s: %s", id, why);
	if (ident == NULL)
		ident = hex;
	if ((r = app_state(app, &st)) != CUT_OK)
		return op_fail(res, r, "cannot read state: %s", strerror(errno));
	ri = state_find(st, id);
	if (ri == NULL || strcmp(ri->sha256, ident) != 0)
		return op_fail(res, CUT_ERR_EXISTS,
		    "release %s already exists with different content (sha256 %s, archive %s)",
		    id, ri && ri->sha256[0] ? ri->sha256 : "unknown", ident);
	if (req->url != NULL && (r = sigcheck_installed(&app->conf, id, ri->signature_key,
	    req->signature, why, sizeof(why))) != CUT_OK)
		return op_fail(res, r, "%s", why);
	kv_set(res, "release", id);
	kv_set(res, "sha256", ident);
	if (ident != hex)
		kv_set(res, "stream_sha256", hex);
	kv_add_bool(res, "unchanged", 1);
	kv_addf(res, "message", "%s already installed (same sha256)", id);
	return CUT_OK;
}

/*
 * The request's release ID and digests, checked before anything is
 * touched: CUT_OK, or the error (res says why).
 */
static int
install_prepare(const struct install_req *req, char id[RELEASE_ID_MAX + 1],
    unsigned char want[SHA256_LEN], char ihex[SHA256_HEX_LEN + 1], struct kvlist *res)
{
	const char *name = req->archive_name;

	if (req->url != NULL && req->sha256 == NULL)
		return op_fail(res, CUT_ERR_USAGE, "an archive URL needs --sha256 HEX");
	if (req->release != NULL) {
		if (!release_id_valid(req->release))
			return op_fail(res, CUT_ERR_BAD_ID, "invalid release ID \"%.200s\" "
			    "(want [A-Za-z0-9][A-Za-z0-9._+-]{0,127})", req->release);
		snprintf(id, RELEASE_ID_MAX + 1, "%s", req->release);
	} else if (name != NULL && !url_is_http(name) ? release_id_from_archive(name, id) != CUT_OK :
	    req->url == NULL || release_id_from_url(req->url, id) != CUT_OK) {
		return op_fail(res, CUT_ERR_BAD_ID, "cannot derive a release ID from \"%.200s\"; "
		    "use --release ID", name ? name : req->url ? req->url : "");
	}
	if (req->sha256 != NULL && sha256_parse(req->sha256, want) != CUT_OK)
		return op_fail(res, CUT_ERR_CHECKSUM, "--sha256: \"%.100s\" is not 64 hex digits",
		    req->sha256);
	if (req->archive_sha256 != NULL) {
		unsigned char orig[SHA256_LEN];

		if (sha256_parse(req->archive_sha256, orig) != CUT_OK)
			return op_fail(res, CUT_ERR_CHECKSUM, "archive_sha256: \"%.100s\" is not "
			    "64 hex digits", req->archive_sha256);
		sha256_hex(orig, ihex);
	}
	return CUT_OK;
}

/* The archive's bytes: the request's source, or a fetch of its URL (*fs, closed by the caller). */
static int
install_source(struct app *app, const struct install_req *req, const struct sink *sink,
    struct fetch_conf *fc, struct fetch_source **fs, struct byte_source *fsrc,
    const struct byte_source **src, char *why, size_t whylen)
{
	*fs = NULL;
	*src = req->src;
	if (req->url == NULL)
		return CUT_OK;
	fetch_conf_from_app(&app->conf, fc);
	*src = fsrc;
	return fetch_open(fc, req->url, sink, fs, fsrc, why, whylen);
}

/* The install's begin record; shown gets the URL as journalled ("" without one). */
static int
install_begin(struct app *app, const struct install_req *req, const char *id, char *shown,
    size_t shownlen)
{
	struct kvlist rec = KVLIST_INIT;
	int r;

	shown[0] = '\0';
	if (req->url != NULL)
		url_shown(req->url, shown, shownlen);
	kv_add(&rec, "release", id);
	/* A URL is journalled as shown: a presigned URL's query string is a credential. */
	kv_add(&rec, "archive", req->archive_name && !url_is_http(req->archive_name) ? req->archive_name :
	    shown[0] ? shown : "-");
	if (shown[0])
		kv_add(&rec, "url", shown);
	r = journal_append(app, "install", "begin", &rec);
	kv_free(&rec);
	return r;
}

/*
 * The signature of a URL's archive: the request's own, else URL.sig (".sig"
 * after the path, before any query), fetched only when the app checks
 * signatures (allowed_signers); a 404 means none. *text (free it) may stay
 * NULL.
 */
static int
url_signature(const struct app *app, const struct install_req *req, char **text,
    char *why, size_t whylen)
{
	struct fetch_conf fc;
	char url[8192];
	const char *q;
	int not_found = 0;
	size_t pathlen;

	*text = NULL;
	if (req->url == NULL || req->signature != NULL ||
	    app->conf.allowed_signers == NULL || app->conf.allowed_signers[0] == '\0')
		return CUT_OK;
	q = strchr(req->url, '?');
	pathlen = q ? (size_t)(q - req->url) : strlen(req->url);
	if ((size_t)snprintf(url, sizeof(url), "%.*s.sig%s", (int)pathlen, req->url, q ? q : "") >= sizeof(url)) {
		snprintf(why, whylen, "URL too long for its .sig");
		return CUT_ERR_BAD_ARCHIVE;
	}
	fetch_conf_from_app(&app->conf, &fc);
	return fetch_text(&fc, url, SSHSIG_TEXT_MAX, text, &not_found, why, whylen);
}

/* The signature check of this install (sigcheck.h), with a URL's URL.sig. */
static int
install_sigcheck(const struct app *app, const struct install_req *req,
    const struct byte_source *src, struct sigcheck *sc, char *why, size_t whylen)
{
	char *urlsig = NULL;
	int r;

	if ((r = url_signature(app, req, &urlsig, why, whylen)) != CUT_OK) {
		memset(sc, 0, sizeof(*sc));
		return r;
	}
	r = sigcheck_begin(sc, &app->conf, urlsig ? urlsig : req->signature, src, why, whylen);
	free(urlsig);
	return r;
}

/*
 * What is decided before the install's begin record: the request's ID and
 * digests, the signature's key, and a release ID already here
 * (install_existing). A URL's release already here is decided by the have
 * rules (sigcheck_installed) before anything is fetched, URL.sig included:
 * a lost .sig or a down artifact server cannot block deploying it again.
 * CUT_OK with *done 0: install it, sc begun; else res holds the answer.
 */
static int
install_gate(struct app *app, const struct install_req *req, const struct byte_source *src,
    char id[RELEASE_ID_MAX + 1], unsigned char want[SHA256_LEN], char ihex[SHA256_HEX_LEN + 1],
    struct sigcheck *sc, int *done, struct kvlist *res)
{
	char why[1024];
	int exists, r;

	*done = 1;
	memset(sc, 0, sizeof(*sc));
	if ((r = install_prepare(req, id, want, ihex, res)) != CUT_OK)
		return r;
	exists = faccessat(app->releasesfd, id, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	/* Before a byte of the archive is read: a refused signature reads and writes nothing. */
	if ((!exists || req->url == NULL) &&
	    (r = install_sigcheck(app, req, src, sc, why, sizeof(why))) != CUT_OK)
		return op_fail(res, r, "%s: %s", id, why);
	if (!exists) {
		*done = 0;
		return CUT_OK;
	}
	r = install_existing(app, req, sc, id, req->sha256 ? want : NULL, ihex[0] ? ihex : NULL, res);
	sigcheck_free(sc);
	return r;
}

int
op_install(struct app *app, const struct install_req *req, const struct sink *sink,
    struct kvlist *res)
{
	char id[RELEASE_ID_MAX + 1], stage[RELEASE_ID_MAX + 32], hex[SHA256_HEX_LEN + 1], why[1024] = "";
	char ihex[SHA256_HEX_LEN + 1] = "";	/* archive_sha256, lower-case, or "" */
	char shown[512] = "";	/* the URL as journalled */
	char from[RELEASE_ID_MAX + 1] = "";	/* dedupe's base release */
	const char *ident = hex;	/* the release's identity digest */
	unsigned char want[SHA256_LEN];
	struct fetch_conf fc;
	struct fetch_source *fs = NULL;
	struct byte_source fsrc = { NULL, NULL };
	const struct byte_source *src = req->url ? &fsrc : req->src;
	struct unpack_stats us = { 0 };
	struct manifest man = { 0 };
	struct kvlist rec = KVLIST_INIT;
	struct sigcheck sc;
	long long started = mono_ms();
	int stagingfd = -1, stagefd = -1, done, r;

	if ((r = install_gate(app, req, src, id, want, ihex, &sc, &done, res)) != CUT_OK || done)
		return r;
	if (ihex[0])
		ident = ihex;

	if ((r = install_begin(app, req, id, shown, sizeof(shown))) != CUT_OK) {
		sigcheck_free(&sc);
		return op_fail(res, r, "cannot write journal: %s", strerror(errno));
	}

	snprintf(stage, sizeof(stage), "%s.%ld", id, (long)getpid());
	if ((stagingfd = open_state_subdir(app, STAGING_DIR)) == -1 ||
	    mkdirat(stagingfd, stage, 0755) == -1 ||
	    (stagefd = openat(stagingfd, stage, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		snprintf(why, sizeof(why), "cannot create staging directory: %s", strerror(errno));
		r = CUT_ERR_SYSTEM;
		goto out;
	}
	if ((r = install_source(app, req, sink, &fc, &fs, &fsrc, &src, why, sizeof(why))) != CUT_OK)
		goto out;
	r = unpack_release(app, &sc.src, stagefd, sink, &us, from, sizeof(from), why, sizeof(why));
	FAULT_POINT("install.unpacked");
	if (r != CUT_OK && fetch_error(fs) != NULL)
		snprintf(why, sizeof(why), "%s", fetch_error(fs));	/* the fetch's own reason */
	if (r != CUT_OK)
		goto out;
	sha256_hex(us.sha256, hex);
	if (req->sha256 != NULL && memcmp(want, us.sha256, 32) != 0) {
		snprintf(why, sizeof(why), "%s%s%sarchive sha256 is %s, expected %s", shown[0] ? "GET " : "",
		    shown, shown[0] ? ": " : "", hex, req->sha256);
		r = CUT_ERR_CHECKSUM;
		goto out;
	}
	/* The stream has ended: its signature decides before anything is committed. */
	if ((r = sigcheck_end(&sc, why, sizeof(why))) != CUT_OK)
		goto out;
	/* Before anything is linked or renamed: a bad manifest installs nothing (exit 3). */
	if ((r = manifest_read(stagefd, &man, why, sizeof(why))) != CUT_OK)
		goto out;
	if ((r = link_shared(app, stagefd, why, sizeof(why))) != CUT_OK)
		goto out;
	/* Every file reaches the disk before the release can become current. */
	if (syncfs(stagefd) == -1) {
		snprintf(why, sizeof(why), "syncfs: %s", strerror(errno));
		r = CUT_ERR_SYSTEM;
		goto out;
	}
	FAULT_POINT("install.synced");
	if (renameat(stagingfd, stage, app->releasesfd, id) == -1) {
		snprintf(why, sizeof(why), "cannot move release into place: %s", strerror(errno));
		r = CUT_ERR_SYSTEM;
		goto out;
	}
	FAULT_POINT("install.renamed");
	r = fsync_dir(app->releasesfd);
out:
	fetch_close(fs);
	if (stagefd != -1)
		close(stagefd);
	if (r != CUT_OK && stagingfd != -1)
		(void)rm_rf_at(stagingfd, stage);
	if (stagingfd != -1)
		close(stagingfd);
	kv_add(&rec, "release", id);
	kv_add(&rec, "outcome", r == CUT_OK ? "ok" : "failed");
	kv_add_int(&rec, "duration_ms", mono_ms() - started);
	if (shown[0])
		kv_add(&rec, "url", shown);
	if (r == CUT_OK) {
		installed_fields(app, ident, ihex[0] ? hex : NULL, &us, from, &man, &sc, &rec);
	} else {
		kv_add(&rec, "error", why);
	}
	if (journal_append(app, "install", "end", &rec) != CUT_OK && r == CUT_OK) {
		/* Without its end record the release would be undone as half-done later. */
		snprintf(why, sizeof(why), "cannot write journal: %s", strerror(errno));
		r = CUT_ERR_SYSTEM;
	}
	kv_free(&rec);
	kv_set(res, "release", id);
	if (r != CUT_OK) {
		sigcheck_free(&sc);
		return op_fail(res, r, "%s", why);
	}
	installed_fields(app, ident, ihex[0] ? hex : NULL, &us, from, &man, &sc, res);
	sigcheck_free(&sc);
	kv_add_int(res, "duration_ms", mono_ms() - started);
	kv_addf(res, "message", "installed %s (%lld files, %lld bytes, sha256 %.12s)",
	    id, us.entries, us.bytes, ident);
	return CUT_OK;
}
