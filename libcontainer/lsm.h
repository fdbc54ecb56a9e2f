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

/* selinuxfs is mounted on /sys/fs/selinux and a policy is loaded. Probed on
 * the first call and kept: the runtime's lsm_warn_unavailable() makes that
 * call before the container process exists, which then sees its own /sys. */
bool lsm_selinux_enabled(void);
/* /sys/module/apparmor/parameters/enabled is "Y" (kept, as above). */
bool lsm_apparmor_enabled(void);

/* Runtime side (create, exec), before any clone: probes both modules and
 * warns once for each label or profile the host cannot apply. linux may be
 * NULL. */
void lsm_warn_unavailable(const struct spec_process *p, const struct spec_linux *linux);

/* In the container process, before READY (so create and exec report an
 * unknown label or profile) and no_new_privs: the SELinux exec label
 * (/proc/thread-self/attr/exec; also attr/keycreate, for the session keyring
 * joined after it) and the AppArmor exec profile
 * (/proc/thread-self/attr/apparmor/exec, else attr/exec). Does nothing for a
 * module the host lacks. */
int lsm_apply_exec_labels(const struct spec_process *p, struct berr **err);

/* linux.mountLabel (label) applies to `m` as a context= option: SELinux is
 * enabled, label is not NULL and m is a tmpfs or devpts. */
bool lsm_mount_labelled(const char *label, const struct spec_mount *m);

/* The data string for mounting `m`: its own data plus context="<label>" when
 * lsm_mount_labelled(). *data is malloc'ed, or NULL when there is none. */
int lsm_mount_data(const char *label, const struct spec_mount *m, char **data,
                   struct berr **err);

/* After mounting `m` on top (the new mount's root), in a new IPC namespace: an
 * mqueue gets label as its root's security.selinux, as runc does. Its superblock exists before the
 * mount (made with the IPC namespace), and SELinux refuses a context= that
 * differs from the one it has (EINVAL). */
int lsm_label_mount_root(const char *label, const struct spec_mount *m, int top,
                         struct berr **err);

#endif
