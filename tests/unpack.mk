# tests/unpack.mk: owned by one area; see tests/local.mk
# Safe streaming extraction (agent/unpack.c) and its tests.
libagent_a_SOURCES += agent/unpack.c

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_unpack
TESTS += tests/unit/test_unpack
tests_unit_test_unpack_SOURCES = tests/unit/test_unpack.c
tests_unit_test_unpack_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(LIBARCHIVE_CFLAGS) $(LIBCRYPTO_CFLAGS)
tests_unit_test_unpack_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/agent
tests_unit_test_unpack_LDADD = libagent.a libcutover.a $(CMOCKA_LIBS) $(LIBARCHIVE_LIBS) $(ZLIB_LIBS) $(LIBCRYPTO_LIBS)
endif

# Not part of `make check`: the lead wires `make bench`.
EXTRA_DIST += tests/bench/bench-install.sh
