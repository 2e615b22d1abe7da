/*
 * libarchive, loaded with dlopen(3) the first time the agent unpacks an
 * archive instead of at every start. Linked normally, libarchive brings
 * libxml2, ICU and libstdc++ into every agent process: about 2.2 ms of
 * dynamic linking per start here, paid on each host by every rollback,
 * status and HELLO that never unpacks (cutover-agent(8), "Start-up").
 *
 * unpack.c includes this after <archive.h>; the archive_* calls it makes
 * then go through the table filled by archive_dl_load().
 */
#ifndef CUT_ARCHIVE_DL_H
#define CUT_ARCHIVE_DL_H

#include <archive.h>
#include <archive_entry.h>
#include <stddef.h>

/*
 * X(return type, name after "archive_", parameters): every function unpack.c
 * calls. The table's fields are dl_NAME (a field named errno would meet the
 * errno macro).
 */
#define ARCHIVE_DL_FUNCS(X) \
	X(struct archive *, read_new, (void)) \
	X(int, read_free, (struct archive *)) \
	X(int, read_support_filter_none, (struct archive *)) \
	X(int, read_support_filter_xz, (struct archive *)) \
	X(int, read_support_filter_zstd, (struct archive *)) \
	X(int, read_support_filter_bzip2, (struct archive *)) \
	X(int, read_support_format_tar, (struct archive *)) \
	X(int, read_support_format_raw, (struct archive *)) \
	X(int, read_support_format_zip_seekable, (struct archive *)) \
	X(int, read_open, (struct archive *, void *, archive_open_callback *, \
	    archive_read_callback *, archive_close_callback *)) \
	X(int, read_open_fd, (struct archive *, int, size_t)) \
	X(int, read_next_header, (struct archive *, struct archive_entry **)) \
	X(int, read_data_block, (struct archive *, const void **, size_t *, la_int64_t *)) \
	X(int, format, (struct archive *)) \
	X(int, filter_count, (struct archive *)) \
	X(const char *, filter_name, (struct archive *, int)) \
	X(int, errno, (struct archive *)) \
	X(const char *, error_string, (struct archive *)) \
	X(void, set_error, (struct archive *, int, const char *, ...)) \
	X(struct archive *, write_disk_new, (void)) \
	X(int, write_disk_set_options, (struct archive *, int)) \
	X(int, write_header, (struct archive *, struct archive_entry *)) \
	X(la_ssize_t, write_data_block, (struct archive *, const void *, size_t, la_int64_t)) \
	X(int, write_finish_entry, (struct archive *)) \
	X(int, write_close, (struct archive *)) \
	X(int, write_free, (struct archive *)) \
	X(const char *, entry_pathname, (struct archive_entry *)) \
	X(const char *, entry_pathname_utf8, (struct archive_entry *)) \
	X(const char *, entry_hardlink, (struct archive_entry *)) \
	X(const char *, entry_symlink, (struct archive_entry *)) \
	X(la_int64_t, entry_size, (struct archive_entry *)) \
	X(int, entry_size_is_set, (struct archive_entry *)) \
	X(__LA_MODE_T, entry_filetype, (struct archive_entry *)) \
	X(__LA_MODE_T, entry_perm, (struct archive_entry *)) \
	X(void, entry_set_perm, (struct archive_entry *, __LA_MODE_T)) \
	X(int, entry_is_encrypted, (struct archive_entry *))

#define ARCHIVE_DL_FIELD(ret, name, params) ret (*dl_##name) params;
struct archive_dl {
	ARCHIVE_DL_FUNCS(ARCHIVE_DL_FIELD)
};
#undef ARCHIVE_DL_FIELD

extern struct archive_dl archive_dl;

/*
 * Load libarchive.so.13 and every function above, once: CUT_OK, or
 * CUT_ERR_CONFIG with why ("cannot load libarchive.so.13 ...": the agent's
 * package depends on it, so it is an installation problem).
 */
int archive_dl_load(char *why, size_t whylen);

#ifndef ARCHIVE_DL_SELF
#define archive_read_new			(*archive_dl.dl_read_new)
#define archive_read_free			(*archive_dl.dl_read_free)
#define archive_read_support_filter_none	(*archive_dl.dl_read_support_filter_none)
#define archive_read_support_filter_xz		(*archive_dl.dl_read_support_filter_xz)
#define archive_read_support_filter_zstd	(*archive_dl.dl_read_support_filter_zstd)
#define archive_read_support_filter_bzip2	(*archive_dl.dl_read_support_filter_bzip2)
#define archive_read_support_format_tar		(*archive_dl.dl_read_support_format_tar)
#define archive_read_support_format_raw		(*archive_dl.dl_read_support_format_raw)
#define archive_read_support_format_zip_seekable (*archive_dl.dl_read_support_format_zip_seekable)
#define archive_read_open			(*archive_dl.dl_read_open)
#define archive_read_open_fd			(*archive_dl.dl_read_open_fd)
#define archive_read_next_header		(*archive_dl.dl_read_next_header)
#define archive_read_data_block			(*archive_dl.dl_read_data_block)
#define archive_format				(*archive_dl.dl_format)
#define archive_filter_count			(*archive_dl.dl_filter_count)
#define archive_filter_name			(*archive_dl.dl_filter_name)
#define archive_errno				(*archive_dl.dl_errno)
#define archive_error_string			(*archive_dl.dl_error_string)
#define archive_set_error			(*archive_dl.dl_set_error)
#define archive_write_disk_new			(*archive_dl.dl_write_disk_new)
#define archive_write_disk_set_options		(*archive_dl.dl_write_disk_set_options)
#define archive_write_header			(*archive_dl.dl_write_header)
#define archive_write_data_block		(*archive_dl.dl_write_data_block)
#define archive_write_finish_entry		(*archive_dl.dl_write_finish_entry)
#define archive_write_close			(*archive_dl.dl_write_close)
#define archive_write_free			(*archive_dl.dl_write_free)
#define archive_entry_pathname			(*archive_dl.dl_entry_pathname)
#define archive_entry_pathname_utf8		(*archive_dl.dl_entry_pathname_utf8)
#define archive_entry_hardlink			(*archive_dl.dl_entry_hardlink)
#define archive_entry_symlink			(*archive_dl.dl_entry_symlink)
#define archive_entry_size			(*archive_dl.dl_entry_size)
#define archive_entry_size_is_set		(*archive_dl.dl_entry_size_is_set)
#define archive_entry_filetype			(*archive_dl.dl_entry_filetype)
#define archive_entry_perm			(*archive_dl.dl_entry_perm)
#define archive_entry_set_perm			(*archive_dl.dl_entry_set_perm)
#define archive_entry_is_encrypted		(*archive_dl.dl_entry_is_encrypted)
#endif

#endif
