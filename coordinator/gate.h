/*
 * The fleet's gate (fleet file key `gate`, cutover.ini(5)): a command run
 * on the coordinator after each batch and its bake, with the release, the
 * batch and its hosts in the environment. Non-zero reverses the rollout
 * like a failed health check. See engine_gate() in engine.h.
 */
#ifndef CUT_GATE_H
#define CUT_GATE_H

#include "engine.h"

#endif
