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
endif
