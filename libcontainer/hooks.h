/* OCI hooks: each runs with the state JSON on stdin, its own args/env, and an
 * optional timeout. The caller decides in which process (and so namespaces). */
#ifndef BERTH_HOOKS_H
#define BERTH_HOOKS_H

#include "error.h"
#include "spec.h"

/* Runs every hook of the list in order; stops at the first failure.
 * `phase` names the list in errors ("prestart", "createRuntime", ...). `cwd`: the hooks'
 * working directory (the bundle, as runc), NULL: berth's own. */
int hooks_run(const struct spec_hook_list *hooks, const char *phase, const char *cwd,
              const char *state_json, struct berr **err);

/* Runs every hook even when one fails; each failure is a warning (poststop). */
void hooks_run_warn(const struct spec_hook_list *hooks, const char *phase, const char *cwd,
                    const char *state_json);

#endif
