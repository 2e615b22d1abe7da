# agent/: cutover-agent. Its library list is deliberately short (no libssh2):
# the agent package must not pull in an SSH client library.
sbin_PROGRAMS += cutover-agent
noinst_LIBRARIES += libagent.a
# Everything but main.c, so unit tests can link the pieces.
libagent_a_SOURCES = \
	agent/app.h agent/ops.h agent/sink.h agent/source.h agent/unpack.h \
	agent/cmd.h agent/cmds.h agent/cli.h agent/cmd-install.h \
	agent/journal.h agent/state.h agent/activation.h agent/hooks.h agent/fault.h \
	agent/cmd.c agent/cli.c agent/sink.c agent/source.c \
	agent/cmd-install.c agent/cmd-deploy.c agent/cmd-activate.c \
	agent/cmd-rollback.c agent/cmd-status.c agent/cmd-history.c \
	agent/cmd-prune.c agent/cmd-pin.c agent/cmd-check.c \
	agent/app.c agent/journal.c agent/state.c agent/activation.c agent/hooks.c \
	agent/fault.c agent/ops-install.c agent/dirtree.c agent/dirtree.h \
	agent/ops-status.c agent/ops-prune.c agent/ops-recover.c agent/ops-check.c \
	agent/ident.c agent/ident.h \
	agent/interrupt.c agent/interrupt.h \
	agent/gunzip.c agent/gunzip.h agent/escape.c agent/escape.h \
	agent/manifest.c agent/manifest.h agent/drill.c agent/history.c \
	agent/sshsig.c agent/sshsig.h agent/signers.c agent/signers.h \
	agent/sigcheck.c agent/sigcheck.h agent/dedupe.c agent/dedupe.h
libagent_a_SOURCES += agent/fetch.c agent/fetch.h agent/curl-dl.c agent/curl-dl.h
libagent_a_SOURCES += agent/archive-dl.c agent/archive-dl.h agent/dl-table.c agent/dl-table.h
libagent_a_CFLAGS = $(AM_CFLAGS) $(LIBARCHIVE_CFLAGS) $(ZLIB_CFLAGS) $(LIBCRYPTO_CFLAGS) $(INIH_CFLAGS) $(LIBCURL_CFLAGS)
# No $(LIBARCHIVE_LIBS): loaded by dlopen (agent/archive-dl.h); programs that
# call libarchive themselves (unit tests, fuzzers) add it.
AGENT_LIBS = libagent.a libcutconf.a libcutover.a $(ZLIB_LIBS) $(LIBCRYPTO_LIBS) $(INIH_LIBS) $(DLOPEN_LIBS)
cutover_agent_SOURCES = agent/main.c
cutover_agent_LDADD = $(AGENT_LIBS)
