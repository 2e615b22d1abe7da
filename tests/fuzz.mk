# tests/fuzz.mk: the libFuzzer targets beyond the frame decoder (tests/proto.mk
# has fuzz_frame): the agent's unpack path and the config parsers. Built only
# with --enable-fuzzing CC=clang; tests/fuzz/run-fuzz.sh SECONDS builds and
# runs every target (CI: 60 s each); `make fuzz` runs each for 10 minutes.
EXTRA_DIST += tests/fuzz/corpus-unpack tests/fuzz/corpus-conf tests/fuzz/corpus-sshsig
if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_unpack tests/fuzz/fuzz_conf
tests_fuzz_fuzz_unpack_SOURCES = tests/fuzz/fuzz_unpack.c
tests_fuzz_fuzz_unpack_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/agent
tests_fuzz_fuzz_unpack_CFLAGS = $(AM_CFLAGS) $(LIBARCHIVE_CFLAGS) $(LIBCRYPTO_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_unpack_LDFLAGS = -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_unpack_LDADD = $(AGENT_LIBS)
tests_fuzz_fuzz_conf_SOURCES = tests/fuzz/fuzz_conf.c
tests_fuzz_fuzz_conf_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/conf
tests_fuzz_fuzz_conf_CFLAGS = $(AM_CFLAGS) $(INIH_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_conf_LDFLAGS = -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_conf_LDADD = libcutconf.a libcutover.a $(INIH_LIBS)
# The signature parsers: SSHSIG armor and blob, allowed_signers, revoked_signers.
noinst_PROGRAMS += tests/fuzz/fuzz_sshsig
tests_fuzz_fuzz_sshsig_SOURCES = tests/fuzz/fuzz_sshsig.c
tests_fuzz_fuzz_sshsig_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/agent
tests_fuzz_fuzz_sshsig_CFLAGS = $(AM_CFLAGS) $(LIBCRYPTO_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_sshsig_LDFLAGS = -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_sshsig_LDADD = $(AGENT_LIBS)
endif

# make fuzz: every target for 10 minutes, in its own build (build-fuzz/).
fuzz:
	FUZZ_BUILD=$(abs_top_builddir)/build-fuzz sh $(top_srcdir)/tests/fuzz/run-fuzz.sh 600
.PHONY: fuzz
