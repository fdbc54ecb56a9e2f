/* SELinux and AppArmor labels: see lsm.h. */
#include "lsm.h"

#include <errno.h>
#include <fcntl.h>
#include <selinux/selinux.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "util.h"

#define APPARMOR_ENABLED "/sys/module/apparmor/parameters/enabled"

bool lsm_selinux_enabled(void) { return is_selinux_enabled() > 0; }

bool lsm_apparmor_enabled(void) {
  cleanup_close int fd = open(APPARMOR_ENABLED, O_RDONLY | O_CLOEXEC);
  char c = 0;
  return fd >= 0 && read(fd, &c, 1) == 1 && c == 'Y';
}

void lsm_warn_unavailable(const struct spec_process *p, const struct spec_linux *linux) {
  bool selinux = lsm_selinux_enabled();
  if (p && p->selinux_label && !selinux)
    log_warn("process.selinuxLabel \"%s\": SELinux is not enabled on this host, label ignored",
             p->selinux_label);
  if (linux && linux->mount_label && !selinux)
    log_warn("linux.mountLabel \"%s\": SELinux is not enabled on this host, label ignored",
             linux->mount_label);
  if (p && p->apparmor_profile && !lsm_apparmor_enabled())
    log_warn("process.apparmorProfile \"%s\": AppArmor is not enabled on this host, profile "
             "ignored",
             p->apparmor_profile);
}

/* Writes value to /proc/thread-self/attr/<name> (the calling thread's own attribute). */
static int write_attr(const char *name, const char *value, struct berr **err) {
  char path[64];
  snprintf(path, sizeof(path), "thread-self/attr/%s", name);
  cleanup_close int fd = proc_openat(path, O_WRONLY);
  if (fd < 0 && errno == EXDEV)
    return berr_code(err, EXDEV, "%s", PROC_NOT_PROCFS);
  if (fd < 0)
    return -1;
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
  if (write_attr("apparmor/exec", cmd, err) == 0)
    return 0;
  if (*err == NULL && errno == ENOENT && write_attr("exec", cmd, err) == 0)
    return 0;
  if (*err == NULL)
    berr_errno(err, "open /proc/thread-self/attr/exec");
  return berr_prefix(err, "process.apparmorProfile \"%s\" (is the profile loaded?)", profile);
}

int lsm_apply_exec_labels(const struct spec_process *p, struct berr **err) {
  if (p->selinux_label && lsm_selinux_enabled() && setexeccon(p->selinux_label) < 0)
    return berr_errno(err, "process.selinuxLabel \"%s\": setexeccon", p->selinux_label);
  if (p->apparmor_profile && lsm_apparmor_enabled() && apply_apparmor(p->apparmor_profile, err) < 0)
    return -1;
  return 0;
}

static bool labelled_type(const struct spec_mount *m) {
  static const char *const types[] = {"tmpfs", "devpts", "mqueue"};
  for (size_t i = 0; m->type && i < sizeof(types) / sizeof(types[0]); i++)
    if (strcmp(m->type, types[i]) == 0)
      return true;
  return false;
}

int lsm_mount_data(const char *label, const struct spec_mount *m, char **data,
                   struct berr **err) {
  *data = NULL;
  if (label && labelled_type(m) && lsm_selinux_enabled()) {
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
