/* TEMPORARY: placeholders until the real modules land. */
#include "config.h"
#include "app.h"
#include "err.h"
#include "ops.h"
#include "cmds.h"
#include "unpack.h"
int app_open(struct app *a, const char *f, const char *n, char *e, size_t el) { (void)a; (void)f; (void)n; (void)e; (void)el; return CUT_ERR_INTERNAL; }
void app_close(struct app *a) { (void)a; }
int app_lock(struct app *a, int w, char *h, size_t hl) { (void)a; (void)w; (void)h; (void)hl; return CUT_ERR_INTERNAL; }
int op_recover(struct app *a, const struct sink *s) { (void)a; (void)s; return CUT_ERR_INTERNAL; }
int op_install(struct app *a, const struct install_req *r, const struct sink *s, struct kvlist *res) { (void)a; (void)r; (void)s; (void)res; return CUT_ERR_INTERNAL; }
int op_deploy(struct app *a, const struct install_req *r, const struct sink *s, struct kvlist *res) { (void)a; (void)r; (void)s; (void)res; return CUT_ERR_INTERNAL; }
int op_activate(struct app *a, const char *i, const struct sink *s, struct kvlist *res) { (void)a; (void)i; (void)s; (void)res; return CUT_ERR_INTERNAL; }
int op_rollback(struct app *a, const char *i, const struct sink *s, struct kvlist *res) { (void)a; (void)i; (void)s; (void)res; return CUT_ERR_INTERNAL; }
int op_status(struct app *a, const struct sink *s, struct kvlist *res) { (void)a; (void)s; (void)res; return CUT_ERR_INTERNAL; }
int op_history(struct app *a, const struct sink *s, struct kvlist *res) { (void)a; (void)s; (void)res; return CUT_ERR_INTERNAL; }
int op_prune(struct app *a, int k, const struct sink *s, struct kvlist *res) { (void)a; (void)k; (void)s; (void)res; return CUT_ERR_INTERNAL; }
int op_pin(struct app *a, const char *i, int p, const struct sink *s, struct kvlist *res) { (void)a; (void)i; (void)p; (void)s; (void)res; return CUT_ERR_INTERNAL; }
int cmd_serve(const struct global_opts *g, int c, char **v) { (void)g; (void)c; (void)v; return 1; }
