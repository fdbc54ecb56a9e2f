/* The operations that work through the container's cgroup: pause, resume (and ps, update,
 * events). Each holds the container's lock while it works. */
#include <errno.h>
#include <stdlib.h>

#include "cgroup.h"
#include "cleanup.h"
#include "container.h"
#include "handle.h"
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
