# tests/agent.mk: the agent's shell regressions (real binary, real archives).
AGENT_TESTS = \
	tests/regress/agent-lifecycle.sh \
	tests/regress/agent-health.sh \
	tests/regress/agent-shared.sh \
	tests/regress/agent-prune.sh \
	tests/regress/agent-lock.sh \
	tests/regress/agent-config.sh \
	tests/regress/agent-crash.sh \
	tests/regress/agent-hostile.sh
TESTS += $(AGENT_TESTS)
EXTRA_DIST += $(AGENT_TESTS)
