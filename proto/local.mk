# proto/: code shared by cutover-agent and cutover, built once as a library.
noinst_LIBRARIES += libcutover.a
libcutover_a_SOURCES = \
	proto/err.c proto/err.h \
	proto/log.c proto/log.h \
	proto/kv.c proto/kv.h \
	proto/fsutil.c proto/fsutil.h \
	proto/release_id.c proto/release_id.h
