# tests/coordinator.mk: owned by one area; see tests/local.mk
# Coordinator tests: fleet file parsing, then the ssh transport and rollouts
# against a real sshd fleet on 127.0.0.x (tests/lib-fleet.sh).
EXTRA_DIST += tests/lib-fleet.sh
COORD_TESTS = \
	tests/regress/fleet-conf.sh \
	tests/regress/conf-limits.sh \
	tests/regress/fleet-transport.sh \
	tests/regress/fleet-knownhosts.sh \
	tests/regress/fleet-many.sh \
	tests/regress/fleet-deploy.sh \
	tests/regress/fleet-partial.sh \
	tests/regress/fleet-dedupe.sh \
	tests/regress/fleet-race.sh \
	tests/regress/fleet-journal.sh \
	tests/regress/fleet-signal.sh \
	tests/regress/fleet-forced.sh \
	tests/regress/fleet-jump.sh \
	tests/regress/fleet-recompress.sh \
	tests/regress/fleet-fence.sh \
	tests/regress/fleet-prune.sh \
	tests/regress/exit-codes.sh \
	tests/regress/fleet-incident.sh \
	tests/regress/fleet-drill.sh \
	tests/regress/fleet-report.sh \
	tests/regress/fleet-signature.sh
TESTS += $(COORD_TESTS)
EXTRA_DIST += $(COORD_TESTS)
# deploy URL --sha256 against a real nginx (tests/lib-nginx.sh).
TESTS += tests/regress/fleet-pull.sh
EXTRA_DIST += tests/regress/fleet-pull.sh

# coordinator/recompress.c against libarchive directly.
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_recompress
TESTS += tests/unit/test_recompress
tests_unit_test_recompress_SOURCES = tests/unit/test_recompress.c
tests_unit_test_recompress_CFLAGS = $(AM_CFLAGS) -pthread $(CMOCKA_CFLAGS) $(LIBARCHIVE_CFLAGS) $(LIBCRYPTO_CFLAGS)
tests_unit_test_recompress_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/coordinator
tests_unit_test_recompress_LDADD = libcoord.a libcutover.a $(CMOCKA_LIBS) $(LIBARCHIVE_LIBS) $(LIBCRYPTO_LIBS)
tests_unit_test_recompress_LDFLAGS = -pthread
endif

# The rollout engine against scripted fake agents on the pipe transport (no sshd).
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_engine tests/unit/fake-agent
TESTS += tests/unit/test_engine
tests_unit_test_engine_SOURCES = tests/unit/test_engine.c tests/unit/unit-tmpdir.h
tests_unit_test_engine_CFLAGS = $(AM_CFLAGS) -pthread $(CMOCKA_CFLAGS) $(LIBSSH2_CFLAGS) $(LIBCRYPTO_CFLAGS) $(LIBARCHIVE_CFLAGS)
tests_unit_test_engine_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/coordinator -I$(top_srcdir)/conf -I$(top_srcdir)/agent
# libagent.a for the tmpdir fixture's rm_rf_at (link-symbols keeps the two libraries apart)
tests_unit_test_engine_LDADD = libagent.a $(COORD_LIBS) $(CMOCKA_LIBS)
tests_unit_test_engine_LDFLAGS = -pthread
tests_unit_fake_agent_SOURCES = tests/unit/fake-agent.c
tests_unit_fake_agent_LDADD = libcutover.a
endif

# Blue-green across host pools behind a real nginx (tests/lib-lb.sh).
EXTRA_DIST += tests/lib-lb.sh
TESTS += tests/regress/fleet-bluegreen.sh
EXTRA_DIST += tests/regress/fleet-bluegreen.sh
