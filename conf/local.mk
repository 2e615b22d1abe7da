# conf/: configuration parsing (inih) and the example configs.
noinst_LIBRARIES += libcutconf.a
libcutconf_a_SOURCES = conf/agent_conf.c conf/agent_conf.h conf/keys.def conf/ini_read.c conf/ini_read.h
libcutconf_a_CFLAGS = $(AM_CFLAGS) $(INIH_CFLAGS)
