/* Linux security modules: the SELinux process label (process.selinuxLabel),
 * the SELinux mount label (linux.mountLabel) and the AppArmor profile
 * (process.apparmorProfile). On a host without the module a label or profile
 * is ignored with one warning from the runtime (lsm_warn_unavailable), never
 * an error: the same config runs everywhere. */
#ifndef BERTH_LSM_H
#define BERTH_LSM_H

#include <stdbool.h>

#include "error.h"
#include "spec.h"

bool lsm_selinux_enabled(void);
/* /sys/module/apparmor/parameters/enabled is "Y". */
bool lsm_apparmor_enabled(void);

/* Runtime side (create, exec): warns once for each label or profile the host
 * cannot apply. linux may be NULL. */
void lsm_warn_unavailable(const struct spec_process *p, const struct spec_linux *linux);

/* In the container process, before no_new_privs and execve: the SELinux exec
 * label (/proc/thread-self/attr/exec) and the AppArmor exec profile
 * (/proc/thread-self/attr/apparmor/exec, else attr/exec). Does nothing for a
 * module the host lacks. */
int lsm_apply_exec_labels(const struct spec_process *p, struct berr **err);

/* The data string for mounting `m`: its own data plus context="<label>" for
 * tmpfs, devpts and mqueue when SELinux is enabled and label (linux.mountLabel)
 * is not NULL. *data is malloc'ed, or NULL when there is none. */
int lsm_mount_data(const char *label, const struct spec_mount *m, char **data,
                   struct berr **err);

#endif
