# coordinator/: cutover, the fleet driver (links libssh2; the agent does not).
# The fleet-file parser lives in conf/ but only the coordinator uses it.
libcutconf_a_SOURCES += conf/fleet_conf.c conf/fleet_conf.h conf/fleet_keys.def
libcutconf_a_SOURCES += conf/name_index.c conf/name_index.h

bin_PROGRAMS += cutover
noinst_LIBRARIES += libcoord.a
# Everything but main.c, so unit tests can link the pieces.
libcoord_a_SOURCES = \
	coordinator/cmd.h coordinator/common.h coordinator/host.h coordinator/fleet.h \
	coordinator/cmd.c coordinator/common.c coordinator/ssh.c coordinator/fleet.c \
	coordinator/cmd-debug-exec.c coordinator/cmd-dump-config.c \
	coordinator/session.h coordinator/session.c coordinator/rollout.h coordinator/rollout.c \
	coordinator/node.h coordinator/node.c coordinator/engine.h coordinator/engine.c \
	coordinator/plan.h coordinator/plan.c coordinator/preflight.c coordinator/switch.c \
	coordinator/reverse.c coordinator/report.c coordinator/pipe.h coordinator/pipe.c coordinator/identity.h coordinator/identity.c coordinator/gate.h coordinator/gate.c coordinator/resume.c \
	coordinator/incident.h coordinator/incident.c coordinator/incident-opts.c coordinator/rollback.c \
	coordinator/cmd-deploy.c coordinator/cmd-rollback.c coordinator/cmd-status.c coordinator/cmd-history.c \
	coordinator/cmd-resume.c \
	coordinator/rjournal.h coordinator/rjournal.c coordinator/progress.h coordinator/progress.c \
	coordinator/recompress.h coordinator/recompress.c coordinator/stage.h coordinator/stage.c \
	coordinator/fleetops.h coordinator/fleetops.c coordinator/cmd-prune.c coordinator/cmd-pin.c \
	coordinator/drill.h coordinator/drill.c coordinator/cmd-drill.c coordinator/schema-guard.c \
	coordinator/notify.h coordinator/notify.c \
	coordinator/report-data.h coordinator/report-data.c coordinator/report-fold.c \
	coordinator/report-out.c coordinator/report-html.c coordinator/cmd-report.c \
	coordinator/dedupe-status.c
# ARCHIVE.sig, sent to the agents with the archive (signature.h).
libcoord_a_SOURCES += coordinator/signature.h coordinator/signature.c
# Blue-green across host pools (bluegreen.h).
libcoord_a_SOURCES += coordinator/bluegreen.h coordinator/bluegreen.c coordinator/bg-view.h \
	coordinator/bg-view.c coordinator/bg-switch.h coordinator/bg-switch.c
# Agents' strings are checked and escaped before use (untrusted.h).
libcoord_a_SOURCES += coordinator/untrusted.h coordinator/untrusted.c
# known_hosts read with OpenSSH's rules (knownhosts.h).
libcoord_a_SOURCES += coordinator/knownhosts.h coordinator/knownhosts.c
libcoord_a_SOURCES += coordinator/knownhosts-file.h coordinator/knownhosts-file.c
# libarchive recompresses the release to zstd once per rollout, in a thread.
libcoord_a_CFLAGS = $(AM_CFLAGS) -pthread $(LIBSSH2_CFLAGS) $(LIBCRYPTO_CFLAGS) $(LIBARCHIVE_CFLAGS) $(INIH_CFLAGS)
COORD_LIBS = libcoord.a libcutconf.a libcutover.a $(LIBSSH2_LIBS) $(LIBARCHIVE_LIBS) $(LIBCRYPTO_LIBS) $(INIH_LIBS)
cutover_SOURCES = coordinator/main.c
cutover_LDADD = $(COORD_LIBS)
cutover_LDFLAGS = -pthread
