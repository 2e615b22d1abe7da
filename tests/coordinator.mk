# tests/coordinator.mk: owned by one area; see tests/local.mk
# Coordinator tests: fleet file parsing, then the ssh transport and rollouts
# against a real sshd fleet on 127.0.0.x (tests/lib-fleet.sh).
EXTRA_DIST += tests/lib-fleet.sh
COORD_TESTS = \
	tests/regress/fleet-conf.sh \
	tests/regress/fleet-transport.sh \
	tests/regress/fleet-deploy.sh \
	tests/regress/fleet-partial.sh \
	tests/regress/fleet-race.sh \
	tests/regress/fleet-journal.sh \
	tests/regress/fleet-signal.sh \
	tests/regress/fleet-forced.sh \
	tests/regress/fleet-jump.sh \
	tests/regress/fleet-recompress.sh
TESTS += $(COORD_TESTS)
EXTRA_DIST += $(COORD_TESTS)
