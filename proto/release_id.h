/* Release IDs: [A-Za-z0-9][A-Za-z0-9._+-]{0,127}; cutover-agent(8), "Release IDs". */
#ifndef CUT_RELEASE_ID_H
#define CUT_RELEASE_ID_H

#define RELEASE_ID_MAX 128

/* 1 when id is a valid release ID, else 0. */
int release_id_valid(const char *id);

/*
 * Derive an ID from an archive path: basename minus a known archive suffix
 * ("dist/web-1.4.2.tar.gz" -> "web-1.4.2"). 0, or CUT_ERR_BAD_ID when the
 * result would not be a valid ID.
 */
int release_id_from_archive(const char *path, char out[RELEASE_ID_MAX + 1]);

#endif
