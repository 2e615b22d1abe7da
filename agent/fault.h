/*
 * Fault injection for crash-safety tests. In builds configured with
 * --enable-fault-injection, FAULT_POINT("name") kills the process with
 * SIGKILL when the environment has CUTOVER_FAULT=name, so a test can stop
 * the real agent at any named step and check what the next command does.
 * In normal builds it compiles to nothing.
 */
#ifndef CUT_FAULT_H
#define CUT_FAULT_H

#ifdef CUT_FAULT_INJECTION
void fault_point(const char *name);
/* 1 when CUTOVER_FAULT names this point and this is its Nth hit: the caller fails its own way. */
int fault_hit(const char *name);
void fault_kill(void);
/* CUTOVER_FAULT_STOP=name: SIGSTOP ourselves there, so a test can race us. */
void fault_stop(const char *name);
#define FAULT_POINT(name) fault_point(name)
#define FAULT_STOP(name) fault_stop(name)
#else
#define FAULT_POINT(name) ((void)0)
#define FAULT_STOP(name) ((void)0)
#endif

#endif
