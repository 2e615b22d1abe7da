# tests/bench.mk: `make bench` extras (the target itself is in Makefile.am).
# bench-serve.sh drives `cutover-agent serve` with tests/proto-client, a
# check program, so `make bench` builds it too.
EXTRA_DIST += tests/bench/bench-serve.sh
bench: tests/proto-client
EXTRA_DIST += tests/bench/bench-fleet.sh tests/bench/fleet-shell.sh \
	tests/bench/fleet-ansible/deploy.yml tests/bench/fleet-ansible/inventory.sh
EXTRA_DIST += tests/bench/bench-switch.sh tests/bench/bench-rollback.sh
EXTRA_DIST += tests/bench/bench-report.sh
EXTRA_DIST += tests/bench/bench-dedupe.sh
EXTRA_DIST += tests/bench/bench-bluegreen.sh
EXTRA_DIST += tests/bench/bench-pull.sh
EXTRA_DIST += tests/bench/bench-scale.sh
