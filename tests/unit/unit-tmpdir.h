/*
 * A fresh directory under /tmp per cmocka test (setup_tmp/teardown_tmp as
 * the test's setup and teardown), for the unit tests that need real files.
 * Include after <cmocka.h>, "err.h" and "dirtree.h" (agent/).
 */
#ifndef CUT_UNIT_TMPDIR_H
#define CUT_UNIT_TMPDIR_H

static char tmpdir[64];

static int
setup_tmp(void **unused)
{
	(void)unused;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/cutover-unit.XXXXXX");
	return mkdtemp(tmpdir) == NULL;
}

static int
teardown_tmp(void **unused)
{
	(void)unused;
	return rm_rf_at(AT_FDCWD, tmpdir) != CUT_OK;
}

#endif
