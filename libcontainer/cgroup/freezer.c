/* pause / resume: the v1 freezer controller (freezer.state) where a v1 hierarchy has it, else the
 * cgroup v2 core file cgroup.freeze. Both are asynchronous in the kernel: a write starts the
 * transition, and we wait (bounded) until the cgroup reports it done. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../cleanup.h"
#include "../log.h"
#include "internal.h"

#define FREEZE_WAIT_MS 3000

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* The hierarchy that freezes this cgroup: v1 freezer first (hybrid and legacy hosts), else a
 * cgroup2 hierarchy whose directory has cgroup.freeze. NULL when neither exists. */
static const struct cg_hier *freezer_hier(const struct cgroup *cg) {
  const struct cg_hier *h = cg_find(cg, "freezer");
  if (h && !h->v2 && access(h->dir, F_OK) == 0)
    return h;
  for (size_t i = 0; i < cg->n; i++)
    if (cg->h[i].v2 && cg_file_exists(cg->h[i].dir, "cgroup.freeze"))
      return &cg->h[i];
  return NULL;
}

/* "frozen 1" in cgroup.events */
static bool v2_events_frozen(const char *dir, bool *known) {
  cleanup_free char *ev = cg_read(dir, "cgroup.events");
  const char *p = ev ? strstr(ev, "frozen ") : NULL;
  while (p && p != ev && p[-1] != '\n')
    p = strstr(p + 7, "frozen ");
  *known = p != NULL;
  return p && p[7] == '1';
}

static int frozen_error(const char *dir, const char *file, const char *st, struct berr **err) {
  return berr_code(err, EBUSY,
                   "linux.cgroupsPath: container's cgroup unexpectedly frozen (%s %s %s): "
                   "thaw it first", dir, file, st);
}

int cg_check_not_frozen(const struct cgroup *cg, struct berr **err) {
  /* pure v2, the directory made just now: its cgroup.freeze is 0, only a frozen parent
   * freezes it (cgroup.events): neither the access() for cgroup.freeze nor its read */
  if (cg->unified && cg->n == 1 && cg->h[0].v2 && cg->h[0].made_dir) {
    bool known = false;
    if (v2_events_frozen(cg->h[0].dir, &known))
      return frozen_error(cg->h[0].dir, "cgroup.events: frozen", "1", err);
    return 0;
  }
  const struct cg_hier *h = freezer_hier(cg);
  const char *file = h && h->v2 ? "cgroup.freeze" : "freezer.state";
  cleanup_free char *st = h ? cg_read(h->dir, file) : NULL;
  if (st == NULL)
    return 0;
  bool known = false;
  bool frozen = h->v2 ? strcmp(st, "1") == 0 : strcmp(st, "THAWED") != 0;
  if (!frozen && h->v2 && v2_events_frozen(h->dir, &known)) { /* below a frozen cgroup */
    file = "cgroup.events: frozen";
    frozen = true;
    st[0] = '1', st[1] = '\0';
  }
  return frozen ? frozen_error(h->dir, file, st, err) : 0;
}

static int v2_freeze(const char *dir, bool frozen, struct berr **err) {
  if (cg_write(dir, "cgroup.freeze", frozen ? "1" : "0", "cgroup.freeze", err) < 0)
    return -1;
  for (int waited = 0; waited < FREEZE_WAIT_MS; waited += 5) {
    bool known;
    bool now = v2_events_frozen(dir, &known);
    if (!known || now == frozen)
      return 0; /* without cgroup.events there is nothing better to wait for */
    sleep_ms(5);
  }
  return berr_set(err, ETIMEDOUT, "cgroup %s: not %s after %d ms (cgroup.events)", dir,
                  frozen ? "frozen" : "thawed", FREEZE_WAIT_MS);
}

/* runc's loop: write the state, read it back; FREEZING means "not yet", and writing THAWED
 * now and then lets a task stuck in a non-freezable sleep move on. */
static int v1_freeze(const char *dir, bool frozen, struct berr **err) {
  const char *want = frozen ? "FROZEN" : "THAWED";
  for (int i = 0, waited = 0; waited < FREEZE_WAIT_MS; i++) {
    if (frozen && i % 50 == 49) {
      cg_write(dir, "freezer.state", "THAWED", "freezer.state", NULL);
      sleep_ms(1);
      waited++;
    }
    if (cg_write(dir, "freezer.state", want, "freezer.state", err) < 0)
      return -1;
    cleanup_free char *st = cg_read(dir, "freezer.state");
    if (st == NULL)
      return berr_errno(err, "cgroup %s: read freezer.state", dir);
    if (strcmp(st, want) == 0)
      return 0;
    sleep_ms(i < 10 ? 1 : 10);
    waited += i < 10 ? 1 : 10;
  }
  if (frozen)
    cg_write(dir, "freezer.state", "THAWED", "freezer.state", NULL);
  return berr_set(err, ETIMEDOUT, "cgroup %s: freezer.state did not become %s within %d ms", dir,
                  want, FREEZE_WAIT_MS);
}

int cgroup_freeze(const char *path, bool frozen, struct berr **err) {
  cleanup_cgroup struct cgroup *cg = NULL;
  if (cg_open_stored(path, &cg, err) < 0)
    return -1;
  const struct cg_hier *h = freezer_hier(cg);
  if (h == NULL)
    return berr_set(err, ENOTSUP,
                    "cgroup %s: no freezer (no v1 freezer hierarchy and no cgroup.freeze)", path);
  log_debug("cgroup: %s %s", frozen ? "freeze" : "thaw", h->dir);
  return h->v2 ? v2_freeze(h->dir, frozen, err) : v1_freeze(h->dir, frozen, err);
}

bool cgroup_is_frozen(const char *path) {
  cleanup_berr struct berr *e = NULL;
  cleanup_cgroup struct cgroup *cg = NULL;
  if (path == NULL || cg_open_stored(path, &cg, &e) < 0)
    return false;
  const struct cg_hier *h = freezer_hier(cg);
  if (h == NULL)
    return false;
  /* a cgroup asked to freeze counts as paused even while the kernel is still getting there */
  cleanup_free char *st = cg_read(h->dir, h->v2 ? "cgroup.freeze" : "freezer.state");
  if (st == NULL)
    return false;
  return h->v2 ? strcmp(st, "1") == 0 : strcmp(st, "FROZEN") == 0 || strcmp(st, "FREEZING") == 0;
}
