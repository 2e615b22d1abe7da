/* TEMPORARY: placeholders until the real modules land. */
#include "config.h"
#include "cmds.h"
/* cmd_serve moved to cmd-serve.c (serve.c). */
