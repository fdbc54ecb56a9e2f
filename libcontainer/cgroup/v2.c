/* cgroup v2 specifics: cgroup.subtree_control of the parent chain, linux.resources.unified,
 * cgroup.kill. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cleanup.h"
#include "../log.h"
#include "internal.h"

/* The controllers the resources need, and the field that needs each (for the error). */
struct need {
  char ctl[32];
  const char *field;
};

static size_t needed(const struct spec_resources *r, struct need *out, size_t cap) {
  size_t n = 0;
#define NEED(c, f)                                                                                 \
  do {                                                                                             \
    if (n < cap) {                                                                                 \
      snprintf(out[n].ctl, sizeof(out[n].ctl), "%s", (c));                                         \
      out[n++].field = (f);                                                                        \
    }                                                                                              \
  } while (0)
  if (r == NULL)
    return 0;
  if (r->memory && (r->memory->has_limit || r->memory->has_reservation || r->memory->has_swap))
    NEED("memory", "linux.resources.memory");
  if (r->cpu && (r->cpu->has_shares || r->cpu->has_quota || r->cpu->has_period ||
                 r->cpu->has_burst || r->cpu->has_idle))
    NEED("cpu", "linux.resources.cpu");
  if (r->cpu && ((r->cpu->cpus && *r->cpu->cpus) || (r->cpu->mems && *r->cpu->mems)))
    NEED("cpuset", "linux.resources.cpu.cpus/mems");
  if (r->has_pids_limit)
    NEED("pids", "linux.resources.pids");
  if (r->block_io)
    NEED("io", "linux.resources.blockIO");
  if (r->hugepage_limits_len)
    NEED("hugetlb", "linux.resources.hugepageLimits");
  if (r->rdma_len)
    NEED("rdma", "linux.resources.rdma");
  for (size_t i = 0; i < r->unified_len; i++) {
    const char *k = r->unified[i].key;
    size_t l = strcspn(k, ".");
    char ctl[32];
    if (k[l] == '\0' || (l == 6 && strncmp(k, "cgroup", 6) == 0) || l >= sizeof(ctl) ||
        strchr(k, '/'))
      continue;
    snprintf(ctl, sizeof(ctl), "%.*s", (int)l, k);
    NEED(ctl, "linux.resources.unified");
  }
#undef NEED
  return n;
}

/* Writes "+ctl" into cgroup.subtree_control of the root and every ancestor of path, for each
 * controller the resources need and the ancestor does not yet delegate. */
int cg_v2_enable(const struct cg_hier *h, const char *path, const struct spec_resources *res,
                 struct berr **err) {
  struct need need[32];
  size_t nn = needed(res, need, 32);
  if (nn == 0)
    return 0;
  char dir[4096];
  snprintf(dir, sizeof(dir), "%s", h->mnt);
  const char *p = path;
  for (;;) {
    /* dir is an ancestor of the leaf: enable in it */
    cleanup_free char *avail = cg_read(dir, "cgroup.controllers");
    cleanup_free char *on = cg_read(dir, "cgroup.subtree_control");
    for (size_t i = 0; i < nn; i++) {
      if (on && cg_list_has(on, need[i].ctl))
        continue;
      if (avail == NULL || !cg_list_has(avail, need[i].ctl))
        return berr_set(err, ENOTSUP,
                        "%s: the %s controller is not available in cgroup v2 here (not in %s/"
                        "cgroup.controllers)",
                        need[i].field, need[i].ctl, dir);
      if (cg_writef(dir, "cgroup.subtree_control", need[i].field, err, "+%s", need[i].ctl) < 0)
        return berr_prefix(err, "%s", dir);
    }
    p += strspn(p, "/");
    size_t l = strcspn(p, "/");
    const char *next = p + l;
    if (next[strspn(next, "/")] == '\0')
      break; /* the next component is the leaf */
    size_t used = strlen(dir);
    snprintf(dir + used, sizeof(dir) - used, "/%.*s", (int)l, p);
    p = next;
  }
  return 0;
}

int cg_v2_load_controllers(struct cg_hier *h, struct berr **err) {
  char *c = cg_read(h->dir, "cgroup.controllers");
  if (c == NULL)
    return berr_errno(err, "cgroup: read %s/cgroup.controllers", h->dir);
  free(h->ctls);
  h->ctls = c;
  return 0;
}

int cg_v2_unified(const struct cgroup *cg, const struct spec_resources *res, struct berr **err) {
  if (res == NULL || res->unified_len == 0)
    return 0;
  if (!cg->unified)
    return berr_set(err, ENOTSUP,
                    "linux.resources.unified: needs a cgroup v2 host (this host uses cgroup v1 for "
                    "the container's controllers)");
  const struct cg_hier *h = &cg->h[0];
  for (size_t i = 0; i < res->unified_len; i++) {
    const char *k = res->unified[i].key;
    char field[256];
    snprintf(field, sizeof(field), "linux.resources.unified[\"%s\"]", k);
    if (*k == '\0' || strchr(k, '/') || strstr(k, "..") || strchr(k, '.') == NULL)
      return berr_set(err, EINVAL, "%s: not a cgroup interface file name", field);
    size_t l = strcspn(k, ".");
    char ctl[64];
    snprintf(ctl, sizeof(ctl), "%.*s", (int)(l < 63 ? l : 63), k);
    if (strcmp(ctl, "cgroup") != 0 && !cg_list_has(h->ctls, ctl))
      return berr_set(err, ENOTSUP, "%s: the %s controller is not enabled for this cgroup",
                      field, ctl);
    if (!cg_file_exists(h->dir, k))
      return berr_set(err, ENOENT, "%s: no such cgroup file", field);
    if (cg_write(h->dir, k, res->unified[i].value, field, err) < 0)
      return -1;
  }
  return 0;
}

bool cg_v2_kill(const char *dir) {
  if (!cg_file_exists(dir, "cgroup.kill"))
    return false;
  cleanup_berr struct berr *e = NULL;
  if (cg_write(dir, "cgroup.kill", "1", "cgroup.kill", &e) < 0) {
    log_debug("%s", berr_message(&e));
    return false;
  }
  return true;
}
