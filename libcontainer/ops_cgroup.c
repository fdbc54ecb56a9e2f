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
  if (open_live(root, id, &h, "list its processes", err) < 0)
    return -1;
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
  if (cgroup_stats(h.st->cgroup_path, w, err) < 0)
    return berr_prefix(err, "container \"%s\": stats", id);
  jw_object_end(w);
  const char *text = json_writer_text(w, NULL);
  if (text == NULL || (*json = strdup(text)) == NULL)
    return berr_set(err, ENOMEM, "stats");
  if (oom_kills)
    *oom_kills = cgroup_oom_kill_count(h.st->cgroup_path);
  return 0;
}
