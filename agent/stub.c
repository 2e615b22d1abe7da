/* TEMPORARY: placeholders until the real modules land. */
#include "config.h"
#include "cmds.h"
int cmd_serve(const struct global_opts *g, int c, char **v) { (void)g; (void)c; (void)v; return 1; }
