# proto/: code shared by cutover-agent and cutover, built once as a library.
noinst_LIBRARIES += libcutover.a
libcutover_a_SOURCES = \
	proto/err.c proto/err.h \
	proto/log.c proto/log.h \
	proto/kv.c proto/kv.h \
	proto/fsutil.c proto/fsutil.h \
	proto/release_id.c proto/release_id.h \
	proto/url.c proto/url.h \
	proto/hexdigest.c proto/hexdigest.h \
	proto/sha256.c proto/sha256.h \
	proto/strv.c proto/strv.h \
	proto/rfc3339.c proto/rfc3339.h
# sha256.c is the one user of libcrypto here (its headers, not its link).
libcutover_a_CFLAGS = $(AM_CFLAGS) $(LIBCRYPTO_CFLAGS)
# Wire protocol (proto/PROTOCOL): bounded buffer, frames, messages.
libcutover_a_SOURCES += \
	proto/proto.h \
	proto/buf.c proto/buf.h \
	proto/frame.c proto/frame.h \
	proto/msg.c proto/msg.h
EXTRA_DIST += proto/PROTOCOL
