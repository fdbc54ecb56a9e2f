#include "namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "tables.h"
#include "procfs.h"
#include "util.h"

#ifndef NS_GET_NSTYPE
#define NS_GET_NSTYPE 0xb703
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

bool ns_is_containers_own(const struct spec *spec, enum spec_ns_type t) {
  const struct spec_namespace *ns = spec_find_namespace(spec, t);
  if (ns == NULL)
    return false;
  if (ns->path == NULL)
    return true;
  char self[32];
  struct stat theirs, ours;
  snprintf(self, sizeof(self), "/proc/self/ns/%s", ns_proc_name(t));
  /* a path that cannot be read is reported by ns_plan_prepare, naming it */
  if (stat(ns->path, &theirs) < 0 || stat(self, &ours) < 0)
    return true;
  return theirs.st_dev != ours.st_dev || theirs.st_ino != ours.st_ino;
}

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
  snprintf(path, sizeof(path), "%d/%s", pid, file);
  return proc_write(path, buf, used, err);
}

bool ns_map_to_host(const struct spec_id_mapping *m, size_t n, uint32_t id, uint32_t *host) {
  for (size_t i = 0; i < n; i++)
    if (id >= m[i].container_id && id - m[i].container_id < m[i].size) {
      *host = m[i].host_id + (id - m[i].container_id);
      return true;
    }
  return false;
}

bool ns_map_text_to_host(const char *text, uint32_t id, uint32_t *host) {
  for (const char *l = text; l != NULL; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
    struct spec_id_mapping m;
    if (sscanf(l, "%" SCNu32 " %" SCNu32 " %" SCNu32, &m.container_id, &m.host_id, &m.size) ==
            3 &&
        ns_map_to_host(&m, 1, id, host))
      return true;
  }
  return false;
}

int ns_pid_map_to_host(pid_t pid, const char *file, uint32_t id, uint32_t *host,
                       struct berr **err) {
  char path[64];
  cleanup_free char *text = NULL;
  snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
  if (read_file_at(AT_FDCWD, path, &text, NULL, err) < 0)
    return -1;
  return ns_map_text_to_host(text, id, host) ? 1 : 0;
}

/* ---- id maps written without privilege ----
 * Without CAP_SETUID/CAP_SETGID over the runtime's user namespace the kernel
 * takes one line mapping the caller's own id, and gid_map only once setgroups
 * is "deny". Anything else goes through the setuid helpers newuidmap and
 * newgidmap (Debian's uidmap), which check /etc/subuid and /etc/subgid. */

static bool own_id_only(const struct spec_id_mapping *m, size_t n, uint32_t own) {
  return n == 1 && m[0].size == 1 && m[0].host_id == own;
}

#define HELPER_MAX_MAPS 64

static int run_map_helper(const char *helper, pid_t pid, const struct spec_id_mapping *m,
                          size_t n, struct berr **err) {
  char *argv[3 + 3 * HELPER_MAX_MAPS] = {(char *)helper};
  char nums[1 + 3 * HELPER_MAX_MAPS][16];
  if (n > HELPER_MAX_MAPS)
    return berr_code(err, E2BIG, "%s: at most %d mappings", helper, HELPER_MAX_MAPS);
  snprintf(nums[0], sizeof(nums[0]), "%d", pid);
  argv[1] = nums[0];
  for (size_t i = 0; i < n; i++) {
    const uint32_t v[3] = {m[i].container_id, m[i].host_id, m[i].size};
    for (size_t j = 0; j < 3; j++) {
      snprintf(nums[1 + 3 * i + j], sizeof(nums[0]), "%" PRIu32, v[j]);
      argv[2 + 3 * i + j] = nums[1 + 3 * i + j];
    }
  }
  pid_t child = fork();
  if (child < 0)
    return berr_errno(err, "fork %s", helper);
  if (child == 0) {
    execvp(helper, argv);
    _exit(errno == ENOENT ? 127 : 126);
  }
  int status;
  while (waitpid(child, &status, 0) < 0)
    if (errno != EINTR)
      return berr_errno(err, "wait for %s", helper);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
    return berr_code(err, ENOENT,
                     "%s not found: a mapping other than your own single id needs it "
                     "(Debian: apt-get install uidmap)", helper);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return berr_code(err, EPERM,
                     "%s failed (status %d): are the host ids delegated to uid %u in %s?",
                     helper, WIFEXITED(status) ? WEXITSTATUS(status) : -1, (unsigned)getuid(),
                     strcmp(helper, "newuidmap") == 0 ? "/etc/subuid" : "/etc/subgid");
  return 0;
}

static int deny_setgroups(pid_t pid, struct berr **err) {
  char path[64];
  snprintf(path, sizeof(path), "%d/setgroups", pid);
  return proc_write(path, "deny", 4, err);
}

static int write_maps_unprivileged(pid_t pid, const struct spec_linux *lx, struct berr **err) {
  if (lx->uid_mappings_len) {
    int r = own_id_only(lx->uid_mappings, lx->uid_mappings_len, geteuid())
                ? ns_write_map(pid, "uid_map", lx->uid_mappings, 1, err)
                : run_map_helper("newuidmap", pid, lx->uid_mappings, lx->uid_mappings_len, err);
    if (r < 0)
      return berr_prefix(err, "linux.uidMappings");
  }
  if (lx->gid_mappings_len == 0)
    return 0;
  int r;
  if (own_id_only(lx->gid_mappings, lx->gid_mappings_len, getegid()))
    r = deny_setgroups(pid, err) < 0 ? -1 : ns_write_map(pid, "gid_map", lx->gid_mappings, 1, err);
  else
    r = run_map_helper("newgidmap", pid, lx->gid_mappings, lx->gid_mappings_len, err);
  return r < 0 ? berr_prefix(err, "linux.gidMappings") : 0;
}

int ns_write_id_maps(pid_t pid, const struct spec_linux *lx, struct berr **err) {
  if (geteuid() != 0)
    return write_maps_unprivileged(pid, lx, err);
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
    if (proc_write("self/timens_offsets", line, nl - line + 1, err) < 0)
      return berr_prefix(err, "linux.timeOffsets");
    line = nl + 1;
  }
  return 0;
}
