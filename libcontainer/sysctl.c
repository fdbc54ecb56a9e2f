#include "sysctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "namespaces.h"
#include "procfs.h"
#include "tables.h"
#include "util.h"

static const char *const ipc_keys[] = {"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",
                                       "kernel.sem",    "kernel.shmall", "kernel.shmmax",
                                       "kernel.shmmni", "kernel.shm_rmid_forced"};

static bool key_is_ipc(const char *key) {
  for (size_t i = 0; i < sizeof(ipc_keys) / sizeof(ipc_keys[0]); i++)
    if (strcmp(key, ipc_keys[i]) == 0)
      return true;
  return strncmp(key, "fs.mqueue.", 10) == 0;
}

static bool key_well_formed(const char *key) {
  if (key[0] == '\0' || key[0] == '.' || strstr(key, "..") || key[strlen(key) - 1] == '.')
    return false;
  for (const char *p = key; *p; p++)
    if (*p == '/' || *p == '\\' || *p == ' ')
      return false;
  return true;
}

static int check_key(const struct spec *spec, const char *key, struct berr **err) {
  if (!key_well_formed(key))
    return berr_code(err, EINVAL, "linux.sysctl: invalid name \"%s\"", key);
  enum spec_ns_type need;
  if (strncmp(key, "net.", 4) == 0)
    need = NS_NETWORK;
  else if (key_is_ipc(key))
    need = NS_IPC;
  else if (strcmp(key, "kernel.hostname") == 0 || strcmp(key, "kernel.domainname") == 0)
    need = NS_UTS;
  else
    return berr_code(err, EINVAL,
                    "linux.sysctl: \"%s\" is not namespaced: it would change the host", key);
  if (!ns_is_containers_own(spec, need))
    return berr_code(err, EINVAL,
                     "linux.sysctl: \"%s\" needs the container's own %s namespace "
                     "(linux.namespaces: %s)",
                     key, ns_type_name(need),
                     spec_find_namespace(spec, need) ? "the path given is the runtime's own"
                                                     : "none listed, the runtime's is shared");
  return 0;
}

int sysctl_validate(const struct spec *spec, struct berr **err) {
  if (spec->linux == NULL)
    return 0;
  for (size_t i = 0; i < spec->linux->sysctl_len; i++)
    if (check_key(spec, spec->linux->sysctl[i].key, err) < 0)
      return -1;
  return 0;
}

int sysctl_apply(const struct spec *spec, struct berr **err) {
  if (spec->linux == NULL || spec->linux->sysctl_len == 0)
    return 0;
  for (size_t i = 0; i < spec->linux->sysctl_len; i++) {
    const struct spec_key_value *kv = &spec->linux->sysctl[i];
    char path[512];
    size_t n = strlen(kv->key);
    if (n + 4 >= sizeof(path))
      return berr_set(err, ENAMETOOLONG, "linux.sysctl: \"%s\"", kv->key);
    memcpy(path, "sys/", 4);
    for (size_t j = 0; j <= n; j++)
      path[4 + j] = kv->key[j] == '.' ? '/' : kv->key[j];
    /* below berth's own procfs handle: a mount over /proc/sys or the file fails (EXDEV) */
    cleanup_close int fd = proc_openat(path, O_WRONLY | O_NOFOLLOW);
    if (fd < 0 && errno == EXDEV)
      return berr_code(err, EXDEV, "linux.sysctl: \"%s\": /proc/%s is not procfs's own file "
                       "(something is mounted over it)", kv->key, path);
    if (fd < 0)
      return berr_errno(err, "linux.sysctl: \"%s\"", kv->key);
    if (write_all(fd, kv->value, strlen(kv->value)) < 0)
      return berr_errno(err, "linux.sysctl: \"%s\" = \"%s\"", kv->key, kv->value);
  }
  return 0;
}
