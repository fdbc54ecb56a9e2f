#include "namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cleanup.h"
#include "tables.h"
#include "util.h"

#ifndef NS_GET_NSTYPE
#define NS_GET_NSTYPE 0xb703
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

int ns_plan_prepare(const struct spec *spec, struct ns_plan *plan, struct berr **err) {
  for (int t = 0; t < NS_COUNT; t++) {
    plan->join_fd[t] = -1;
    plan->create[t] = false;
  }
  if (spec->linux == NULL)
    return 0;
  for (size_t i = 0; i < spec->linux->namespaces_len; i++) {
    const struct spec_namespace *ns = &spec->linux->namespaces[i];
    if (ns->path == NULL) {
      plan->create[ns->type] = true;
      continue;
    }
    int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      berr_errno(err, "linux.namespaces[%zu].path \"%s\"", i, ns->path);
      goto fail;
    }
    plan->join_fd[ns->type] = fd;
    int type = ioctl(fd, NS_GET_NSTYPE);
    if (type != ns_clone_flag(ns->type)) {
      berr_code(err, EINVAL, "linux.namespaces[%zu].path \"%s\": not a %s namespace", i, ns->path,
               ns_type_name(ns->type));
      goto fail;
    }
  }
  return 0;
fail:
  ns_plan_close(plan);
  return -1;
}

void ns_plan_close(struct ns_plan *plan) {
  for (int t = 0; t < NS_COUNT; t++)
    if (plan->join_fd[t] >= 0) {
      close(plan->join_fd[t]);
      plan->join_fd[t] = -1;
    }
}

int ns_plan_unshare_flags(const struct ns_plan *plan) {
  int flags = 0;
  for (int t = 0; t < NS_COUNT; t++)
    if (plan->create[t] && t != NS_USER && t != NS_CGROUP)
      flags |= ns_clone_flag(t);
  return flags;
}

int ns_join(const struct ns_plan *plan, enum spec_ns_type t, struct berr **err) {
  if (plan->join_fd[t] < 0)
    return 0;
  if (setns(plan->join_fd[t], ns_clone_flag(t)) < 0)
    return berr_errno(err, "join %s namespace", ns_type_name(t));
  return 0;
}

int ns_write_map(pid_t pid, const char *file, const struct spec_id_mapping *m, size_t n,
                 struct berr **err) {
  if (n == 0)
    return 0;
  char buf[4096];
  size_t used = 0;
  for (size_t i = 0; i < n; i++) {
    int w = snprintf(buf + used, sizeof(buf) - used, "%" PRIu32 " %" PRIu32 " %" PRIu32 "\n",
                     m[i].container_id, m[i].host_id, m[i].size);
    if (w < 0 || (size_t)w >= sizeof(buf) - used)
      return berr_code(err, E2BIG, "%s: too many mappings", file);
    used += w;
  }
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
  if (write_file_at(AT_FDCWD, path, buf, used, err) < 0)
    return -1;
  return 0;
}

bool ns_map_to_host(const struct spec_id_mapping *m, size_t n, uint32_t id, uint32_t *host) {
  for (size_t i = 0; i < n; i++)
    if (id >= m[i].container_id && id - m[i].container_id < m[i].size) {
      *host = m[i].host_id + (id - m[i].container_id);
      return true;
    }
  return false;
}

int ns_write_id_maps(pid_t pid, const struct spec_linux *lx, struct berr **err) {
  if (ns_write_map(pid, "uid_map", lx->uid_mappings, lx->uid_mappings_len, err) < 0)
    return berr_prefix(err, "linux.uidMappings");
  if (ns_write_map(pid, "gid_map", lx->gid_mappings, lx->gid_mappings_len, err) < 0)
    return berr_prefix(err, "linux.gidMappings");
  return 0;
}

int ns_write_time_offsets(const struct spec_linux *lx, struct berr **err) {
  char buf[128];
  size_t used = 0;
  if (lx->time_monotonic.present)
    used += snprintf(buf + used, sizeof(buf) - used, "monotonic %" PRId64 " %" PRIu32 "\n",
                     lx->time_monotonic.secs, lx->time_monotonic.nanosecs);
  if (lx->time_boottime.present)
    used += snprintf(buf + used, sizeof(buf) - used, "boottime %" PRId64 " %" PRIu32 "\n",
                     lx->time_boottime.secs, lx->time_boottime.nanosecs);
  if (used == 0)
    return 0;
  /* one line per write: the kernel parses a single offset per call on older versions */
  for (char *line = buf; *line;) {
    char *nl = strchr(line, '\n');
    if (write_file_at(AT_FDCWD, "/proc/self/timens_offsets", line, nl - line + 1, err) < 0)
      return berr_prefix(err, "linux.timeOffsets");
    line = nl + 1;
  }
  return 0;
}
