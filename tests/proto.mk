# tests/proto.mk: owned by one area; see tests/local.mk
# The wire protocol (proto/buf.c frame.c msg.c) and `cutover-agent serve`.
if HAVE_CMOCKA
PROTO_UNIT = tests/unit/test_buf tests/unit/test_frame tests/unit/test_msg
check_PROGRAMS += $(PROTO_UNIT)
TESTS += $(PROTO_UNIT)
PROTO_TEST_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
PROTO_TEST_LIBS = libcutover.a $(CMOCKA_LIBS)
tests_unit_test_buf_SOURCES = tests/unit/test_buf.c
tests_unit_test_buf_CFLAGS = $(PROTO_TEST_CFLAGS)
tests_unit_test_buf_LDADD = $(PROTO_TEST_LIBS)
tests_unit_test_frame_SOURCES = tests/unit/test_frame.c
tests_unit_test_frame_CFLAGS = $(PROTO_TEST_CFLAGS)
tests_unit_test_frame_LDADD = $(PROTO_TEST_LIBS)
tests_unit_test_msg_SOURCES = tests/unit/test_msg.c
tests_unit_test_msg_CFLAGS = $(PROTO_TEST_CFLAGS)
tests_unit_test_msg_LDADD = $(PROTO_TEST_LIBS)
check_PROGRAMS += tests/unit/test_shared
TESTS += tests/unit/test_shared
tests_unit_test_shared_SOURCES = tests/unit/test_shared.c
tests_unit_test_shared_CFLAGS = $(PROTO_TEST_CFLAGS) $(LIBCRYPTO_CFLAGS)
tests_unit_test_shared_LDADD = $(PROTO_TEST_LIBS) $(LIBCRYPTO_LIBS)
endif

# libFuzzer target for the frame reader + message decoder; built only with
# --enable-fuzzing CC=clang. tests/fuzz/run-fuzz.sh SECONDS does it all.
EXTRA_DIST += tests/fuzz/run-fuzz.sh tests/fuzz/corpus
if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_frame
tests_fuzz_fuzz_frame_SOURCES = tests/fuzz/fuzz_frame.c
tests_fuzz_fuzz_frame_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_frame_LDFLAGS = -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_frame_LDADD = libcutover.a
endif

# `cutover-agent serve` (agent/serve.c) is built into libagent.a from here,
# so the agent's own fragment needs no change.
libagent_a_SOURCES += agent/serve.c agent/serve.h agent/cmd-serve.c

# A small protocol client that drives `serve` through a pipe pair.
check_PROGRAMS += tests/proto-client
tests_proto_client_SOURCES = tests/proto-client.c
tests_proto_client_LDADD = libcutover.a
SERVE_TESTS = tests/regress/serve-pipe.sh tests/regress/serve-zstd.sh tests/regress/serve-malformed.sh \
	tests/regress/serve-upload-cut.sh tests/regress/serve-rollout.sh tests/regress/serve-idle.sh \
	tests/regress/serve-force.sh \
	tests/regress/serve-apps.sh
TESTS += $(SERVE_TESTS)
EXTRA_DIST += $(SERVE_TESTS)
