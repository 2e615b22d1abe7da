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
#define FAULT_POINT(name) fault_point(name)
#else
#define FAULT_POINT(name) ((void)0)
#endif

#endif
