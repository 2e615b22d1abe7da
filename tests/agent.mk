# tests/agent.mk: the agent's shell regressions (real binary, real archives).
AGENT_TESTS = \
	tests/regress/agent-lifecycle.sh
TESTS += $(AGENT_TESTS)
EXTRA_DIST += $(AGENT_TESTS)
