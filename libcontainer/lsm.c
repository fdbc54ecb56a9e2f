/* SELinux and AppArmor labels: see lsm.h. */
#include "lsm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "pathsafe.h"
#include "procfs.h"
#include "util.h"

#define APPARMOR_ENABLED "/sys/module/apparmor/parameters/enabled"
#define SELINUXFS "/sys/fs/selinux"
#define SELINUX_MAGIC 0xf97cff8c

/* Probed once, by the runtime before it clones (lsm_warn_unavailable): the
 * container process, after pivot_root, sees the container's /sys, or none. */
static int selinux_on = -1, apparmor_on = -1;

/* As go-selinux (runc): selinuxfs is mounted and a policy is loaded (until
 * then every process's context is the initial SID's name, "kernel").
 * libselinux's is_selinux_enabled() also wants /etc/selinux/config, which a
 * runtime running inside a container (or a minimal host) does not have. */
static bool probe_selinux(void) {
  struct statfs sf;
  if (statfs(SELINUXFS, &sf) < 0 || (unsigned long)sf.f_type != SELINUX_MAGIC)
    return false;
  char ctx[16] = "";
  cleanup_close int fd = proc_openat("self/attr/current", O_RDONLY);
  ssize_t n = fd < 0 ? -1 : read(fd, ctx, sizeof(ctx) - 1);
  if (n <= 0)
    return false;
  ctx[n] = '\0';
  ctx[strcspn(ctx, "\n")] = '\0';
  return strcmp(ctx, "kernel") != 0;
}

static bool probe_apparmor(void) {
  cleanup_close int fd = open(APPARMOR_ENABLED, O_RDONLY | O_CLOEXEC);
  char c = 0;
  return fd >= 0 && read(fd, &c, 1) == 1 && c == 'Y';
}

bool lsm_selinux_enabled(void) {
  if (selinux_on < 0)
    selinux_on = probe_selinux();
  return selinux_on;
}

bool lsm_apparmor_enabled(void) {
  if (apparmor_on < 0)
    apparmor_on = probe_apparmor();
  return apparmor_on;
}

void lsm_warn_unavailable(const struct spec_process *p, const struct spec_linux *linux) {
  bool selinux = lsm_selinux_enabled(), apparmor = lsm_apparmor_enabled();
  if (p && p->selinux_label && !selinux)
    log_warn("process.selinuxLabel \"%s\": SELinux is not enabled on this host, label ignored",
             p->selinux_label);
  if (linux && linux->mount_label && !selinux)
    log_warn("linux.mountLabel \"%s\": SELinux is not enabled on this host, label ignored",
             linux->mount_label);
  if (p && p->apparmor_profile && !apparmor)
    log_warn("process.apparmorProfile \"%s\": AppArmor is not enabled on this host, profile "
             "ignored",
             p->apparmor_profile);
}

/* Writes value to /proc/thread-self/attr/<name> (the calling thread's own attribute). */
/* Writes `value` to /proc/thread-self/attr/<name>, or the first of `name` and `fallback` that
 * exists (fallback may be NULL). */
static int write_attr(const char *name, const char *fallback, const char *value,
                      struct berr **err) {
  char path[64];
  snprintf(path, sizeof(path), "thread-self/attr/%s", name);
  cleanup_close int fd = proc_openat(path, O_WRONLY);
  if (fd < 0 && errno == ENOENT && fallback != NULL) {
    snprintf(path, sizeof(path), "thread-self/attr/%s", fallback);
    fd = proc_openat(path, O_WRONLY);
  }
  if (fd < 0 && errno == EXDEV)
    return berr_code(err, EXDEV, "/proc/%s: %s", path, PROC_NOT_PROCFS);
  if (fd < 0)
    return berr_errno(err, "open /proc/%s", path);
  size_t len = strlen(value);
  if (write(fd, value, len) != (ssize_t)len)
    return berr_errno(err, "write /proc/%s", path);
  return 0;
}

static int apply_apparmor(const char *profile, struct berr **err) {
  cleanup_free char *cmd = NULL;
  if (asprintf(&cmd, "exec %s", profile) < 0)
    return berr_errno(err, "process.apparmorProfile");
  /* the module's own directory (stackable LSMs, 5.8+), else the shared file */
  if (write_attr("apparmor/exec", "exec", cmd, err) == 0)
    return 0;
  return berr_prefix(err, "process.apparmorProfile \"%s\" (is the profile loaded?)", profile);
}

/* The label the next execve switches to, and the one of the keys this
 * process creates: the session keyring it joins next (as runc). */
static int apply_selinux(const char *label, struct berr **err) {
  static const char *const attrs[] = {"exec", "keycreate"};
  for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
    if (write_attr(attrs[i], NULL, label, err) == 0)
      continue;
    return berr_prefix(err, "process.selinuxLabel \"%s\" (a context the loaded policy knows?)",
                       label);
  }
  return 0;
}

int lsm_apply_exec_labels(const struct spec_process *p, struct berr **err) {
  if (p->selinux_label && lsm_selinux_enabled() && apply_selinux(p->selinux_label, err) < 0)
    return -1;
  if (p->apparmor_profile && lsm_apparmor_enabled() && apply_apparmor(p->apparmor_profile, err) < 0)
    return -1;
  return 0;
}

static bool labelled_type(const struct spec_mount *m) {
  static const char *const types[] = {"tmpfs", "devpts"};
  for (size_t i = 0; m->type && i < sizeof(types) / sizeof(types[0]); i++)
    if (strcmp(m->type, types[i]) == 0)
      return true;
  return false;
}

bool lsm_mount_labelled(const char *label, const struct spec_mount *m) {
  return label && labelled_type(m) && lsm_selinux_enabled();
}

int lsm_mount_data(const char *label, const struct spec_mount *m, char **data,
                   struct berr **err) {
  *data = NULL;
  if (lsm_mount_labelled(label, m)) {
    if (asprintf(data, "%s%scontext=\"%s\"", m->data ? m->data : "", m->data ? "," : "",
                 label) < 0) {
      *data = NULL;
      return berr_errno(err, "linux.mountLabel");
    }
    return 0;
  }
  if (m->data && (*data = strdup(m->data)) == NULL)
    return berr_errno(err, "mount data");
  return 0;
}

int lsm_label_mount_root(const char *label, const struct spec_mount *m, int top,
                         struct berr **err) {
  if (label == NULL || m->type == NULL || strcmp(m->type, "mqueue") != 0 ||
      !lsm_selinux_enabled())
    return 0;
  char buf[PATHSAFE_FDPATH_MAX];
  if (setxattr(pathsafe_fdpath(top, buf), "security.selinux", label, strlen(label), 0) < 0)
    return berr_errno(err, "linux.mountLabel \"%s\": label the mqueue (security.selinux)", label);
  return 0;
}
