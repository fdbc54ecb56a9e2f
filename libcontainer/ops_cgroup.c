/* The operations that work through the container's cgroup: pause, resume (and ps, update,
 * events). Each holds the container's lock while it works. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "cleanup.h"
#include "container.h"
#include "handle.h"
#include "json.h"
#include "log.h"
#include "resctrl.h"

/* Opens the container and checks it has a cgroup and is in one of the allowed states. */
static int open_with_cgroup(const char *root, const char *id, struct handle *h, const char *what,
                            struct berr **err) {
  if (handle_open(root, id, h, err) < 0)
    return -1;
  if (h->st->cgroup_path == NULL)
    return berr_code(err, ENOTSUP, "container \"%s\" has no cgroup: cannot %s", id, what);
  return 0;
}

static int freeze(const char *root, const char *id, bool frozen, struct berr **err) {
  cleanup_handle struct handle h = HANDLE_INIT;
  const char *what = frozen ? "pause" : "resume";
  if (open_with_cgroup(root, id, &h, what, err) < 0)
    return -1;
  enum container_status need = frozen ? STATUS_RUNNING : STATUS_PAUSED;
  if (h.status != need)
    return berr_code(err, EINVAL, "container \"%s\" is %s, not %s: cannot %s", id,
                     container_status_name(h.status), container_status_name(need), what);
  if (cgroup_freeze(h.st->cgroup_path, frozen, err) < 0)
    return berr_prefix(err, "%s container \"%s\"", what, id);
  return 0;
}

int container_pause(const char *root, const char *id, struct berr **err) {
  return freeze(root, id, true, err);
}

int container_resume(const char *root, const char *id, struct berr **err) {
  return freeze(root, id, false, err);
}

/* ps, update and events need a live container; the cgroup of a stopped one may be gone. */
static int open_live(const char *root, const char *id, struct handle *h, const char *what,
                     struct berr **err) {
  if (open_with_cgroup(root, id, h, what, err) < 0)
    return -1;
  if (h->status == STATUS_STOPPED)
    return berr_code(err, ESRCH, "container \"%s\" is stopped: cannot %s", id, what);
  return 0;
}

int container_pids(const char *root, const char *id, pid_t **pids, size_t *n, struct berr **err) {
  cleanup_handle struct handle h = HANDLE_INIT;
  if (open_with_cgroup(root, id, &h, "list its processes", err) < 0)
    return -1;
  /* a stopped container has no processes (as runc, which lists its empty cgroup, says) */
  if (h.status == STATUS_STOPPED) {
    *pids = NULL;
    *n = 0;
    return 0;
  }
  return cgroup_pids(h.st->cgroup_path, pids, n, err);
}

int container_update(const char *root, const char *id, const struct spec_resources *res,
                     struct berr **err) {
  cleanup_handle struct handle h = HANDLE_INIT;
  if (open_live(root, id, &h, "update", err) < 0)
    return -1;
  if (res->devices_len)
    log_warn("update: linux.resources.devices: ignored (device rules are set at create)");
  if (h.st->systemd_unit && cgroup_systemd_update(h.st->systemd_unit, res, err) < 0)
    return berr_prefix(err, "update container \"%s\"", id);
  if (cgroup_update_path(h.st->cgroup_path, res, err) < 0)
    return berr_prefix(err, "update container \"%s\"", id);
  return 0;
}

/* "intel_rdt" of a container with linux.intelRdt (runc's key), what resctrl reports of it. */
static void intel_rdt_stats(const struct container_state *st, json_writer *w) {
  cleanup_close int fd = -1;
  cleanup_berr struct berr *e = NULL;
  if (st->resctrl_group == NULL)
    return;
  if (resctrl_open(&fd, &e) < 0) {
    log_debug("stats: %s", berr_message(&e));
    return;
  }
  struct resctrl_group g = {.name = st->resctrl_group, .mon = st->resctrl_mon};
  jw_key(w, "intel_rdt");
  resctrl_stats(fd, &g, st->id, w);
}

/* update --l3-cache-schema / --mem-bw-schema (runc's flags): new lines for the schemata of the
 * container's resctrl group. */
int container_update_intel_rdt(const char *root, const char *id, const char *l3_cache_schema,
                               const char *mem_bw_schema, struct berr **err) {
  const char *flag = l3_cache_schema ? "--l3-cache-schema" : "--mem-bw-schema";
  if ((l3_cache_schema && strpbrk(l3_cache_schema, "\r\n")) ||
      (mem_bw_schema && strpbrk(mem_bw_schema, "\r\n")))
    return berr_code(err, EINVAL, "%s: must not contain a newline (one schemata line)",
                     l3_cache_schema && strpbrk(l3_cache_schema, "\r\n") ? "--l3-cache-schema"
                                                                          : "--mem-bw-schema");
  if (mem_bw_schema && strncmp(mem_bw_schema, "MB:", 3) != 0)
    return berr_code(err, EINVAL, "--mem-bw-schema \"%s\": must start with \"MB:\"",
                     mem_bw_schema);
  cleanup_handle struct handle h = HANDLE_INIT;
  if (handle_open(root, id, &h, err) < 0)
    return -1;
  if (h.status == STATUS_STOPPED)
    return berr_code(err, ESRCH, "container \"%s\" is stopped: cannot update", id);
  if (h.st->resctrl_group == NULL)
    return berr_code(err, EINVAL,
                     "%s: container \"%s\" has no linux.intelRdt (its resctrl group is chosen "
                     "at create)", flag, id);
  cleanup_close int fd = -1;
  if (resctrl_open(&fd, err) < 0 ||
      resctrl_update(fd, h.st->resctrl_group, l3_cache_schema, mem_bw_schema, err) < 0)
    return berr_prefix(err, "update container \"%s\"", id);
  return 0;
}

int container_stats(const char *root, const char *id, char **json, uint64_t *oom_kills,
                    struct berr **err) {
  cleanup_handle struct handle h = HANDLE_INIT;
  if (open_live(root, id, &h, "read its stats", err) < 0)
    return -1;
  cleanup_json_writer json_writer *w = json_writer_new(false);
  if (w == NULL)
    return berr_set(err, ENOMEM, "stats");
  jw_object_begin(w);
  jw_kv_string(w, "type", "stats");
  jw_kv_string(w, "id", id);
  jw_key(w, "data");
  jw_object_begin(w);
  if (cgroup_stats_fields(h.st->cgroup_path, w, err) < 0)
    return berr_prefix(err, "container \"%s\": stats", id);
  intel_rdt_stats(h.st, w);
  jw_object_end(w);
  jw_object_end(w);
  const char *text = json_writer_text(w, NULL);
  if (text == NULL || (*json = strdup(text)) == NULL)
    return berr_set(err, ENOMEM, "stats");
  if (oom_kills)
    *oom_kills = cgroup_oom_kill_count(h.st->cgroup_path);
  return 0;
}
