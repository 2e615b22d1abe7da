# tests/agent.mk: the agent's shell regressions (real binary, real archives).
AGENT_TESTS = \
	tests/regress/agent-lifecycle.sh \
	tests/regress/agent-readonly.sh \
	tests/regress/agent-health.sh \
	tests/regress/agent-shared.sh \
	tests/regress/agent-prune.sh \
	tests/regress/agent-lock.sh \
	tests/regress/agent-config.sh \
	tests/regress/agent-crash.sh \
	tests/regress/agent-hostile.sh \
	tests/regress/agent-formats.sh \
	tests/regress/agent-signal.sh \
	tests/regress/agent-owner.sh \
	tests/regress/agent-private.sh \
	tests/regress/agent-hookhang.sh \
	tests/regress/agent-torn.sh \
	tests/regress/agent-shared-race.sh \
	tests/regress/agent-check.sh \
	tests/regress/agent-manifest.sh \
	tests/regress/agent-signature.sh \
	tests/regress/agent-dedupe.sh
TESTS += $(AGENT_TESTS)
EXTRA_DIST += $(AGENT_TESTS)
# Pull over HTTP(S) from a real nginx (tests/lib-nginx.sh); fetch-text drives fetch_text().
TESTS += tests/regress/agent-pull.sh tests/regress/agent-pull-signed.sh
check_PROGRAMS += tests/fetch-text
tests_fetch_text_SOURCES = tests/fetch-text.c
tests_fetch_text_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/agent
tests_fetch_text_LDADD = $(AGENT_LIBS)
EXTRA_DIST += tests/regress/agent-pull.sh tests/regress/agent-pull-signed.sh tests/lib-nginx.sh

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_core
TESTS += tests/unit/test_core
tests_unit_test_core_SOURCES = tests/unit/test_core.c tests/unit/unit-tmpdir.h
tests_unit_test_core_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_core_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/agent
tests_unit_test_core_LDADD = $(AGENT_LIBS) $(CMOCKA_LIBS)
check_PROGRAMS += tests/unit/test_state_cache
TESTS += tests/unit/test_state_cache
tests_unit_test_state_cache_CFLAGS = $(tests_unit_test_core_CFLAGS)
tests_unit_test_state_cache_CPPFLAGS = $(tests_unit_test_core_CPPFLAGS)
tests_unit_test_state_cache_LDADD = $(tests_unit_test_core_LDADD)
endif
