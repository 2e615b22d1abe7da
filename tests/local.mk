# tests/: unit tests (cmocka), shell regressions, fuzzers, benchmarks.
