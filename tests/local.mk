# tests/: unit tests (cmocka), shell regressions, fuzzers, benchmarks.
# Each area keeps its own fragment so parallel work does not collide.
EXTRA_DIST += tests/lib.sh
include $(srcdir)/tests/agent.mk
include $(srcdir)/tests/unpack.mk
include $(srcdir)/tests/proto.mk
include $(srcdir)/tests/fuzz.mk
include $(srcdir)/tests/coordinator.mk
include $(srcdir)/packaging/local.mk
include $(srcdir)/tests/guide.mk
include $(srcdir)/tests/bench.mk
# Style checks over the sources themselves.
TESTS += tests/regress/code-shape.sh
EXTRA_DIST += tests/regress/code-shape.sh
TESTS += tests/regress/link-symbols.sh
EXTRA_DIST += tests/regress/link-symbols.sh
