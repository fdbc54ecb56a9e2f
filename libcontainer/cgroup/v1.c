/* cgroup v1 specifics: the mounted hierarchies, cpuset initialisation, the devices whitelist. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cleanup.h"
#include "../log.h"
#include "../util.h"
#include "internal.h"

static const char *const v1_controllers[] = {
    "cpu",    "cpuacct", "cpuset",     "memory",  "devices", "freezer", "net_cls",
    "net_prio", "blkio", "perf_event", "hugetlb", "pids",    "rdma",    "misc",
};

/* The controllers in a cgroup mount's super options ("rw,cpu,cpuacct" -> "cpu,cpuacct"). */
static char *controllers_of(const char *superopts) {
  cleanup_free char *copy = strdup(superopts);
  char *out = calloc(1, strlen(superopts) + 1);
  if (copy == NULL || out == NULL) {
    free(out);
    return NULL;
  }
  char *save = NULL;
  for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
    bool known = strncmp(o, "name=", 5) == 0;
    for (size_t i = 0; !known && i < sizeof(v1_controllers) / sizeof(v1_controllers[0]); i++)
      known = strcmp(o, v1_controllers[i]) == 0;
    if (!known)
      continue;
    if (*out)
      strcat(out, ",");
    strcat(out, o);
  }
  return out;
}

static int add_hier(struct cg_hier **v, size_t *n, const char *mnt, char *ctls, bool v2,
                    struct berr **err) {
  for (size_t i = 0; i < *n; i++)
    if ((*v)[i].v2 == v2 && strcmp((*v)[i].ctls, ctls) == 0) {
      free(ctls); /* the same hierarchy mounted twice: keep the first */
      return 0;
    }
  struct cg_hier *nv = realloc(*v, (*n + 1) * sizeof(**v));
  if (nv == NULL) {
    free(ctls);
    return berr_set(err, ENOMEM, "cgroup");
  }
  *v = nv;
  memset(&nv[*n], 0, sizeof(nv[*n]));
  nv[*n].ctls = ctls;
  nv[*n].v2 = v2;
  nv[*n].mnt = strdup(mnt);
  (*n)++;
  if (nv[*n - 1].mnt == NULL)
    return berr_set(err, ENOMEM, "cgroup");
  return 0;
}

/* Every cgroup (v1) mount and, on a hybrid host, the cgroup2 one, from /proc/self/mountinfo. */
int cg_v1_discover(struct cg_hier **out, size_t *n, struct berr **err) {
  cleanup_free char *text = NULL;
  if (read_file_at(AT_FDCWD, "/proc/self/mountinfo", &text, NULL, err) < 0)
    return berr_prefix(err, "cgroup");
  struct cg_hier *v = NULL;
  size_t cnt = 0;
  char *save = NULL;
  for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char *sep = strstr(line, " - ");
    if (sep == NULL)
      continue;
    char mnt[4096], fstype[64], src[256], opts[1024];
    if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
        sscanf(sep + 3, "%63s %255s %1023s", fstype, src, opts) != 3)
      continue;
    if (strncmp(mnt, CG_ROOT "/", strlen(CG_ROOT) + 1) != 0)
      continue; /* only the host's conventional cgroup mounts */
    int r = 0;
    if (strcmp(fstype, "cgroup") == 0) {
      char *ctls = controllers_of(opts);
      if (ctls == NULL) {
        r = berr_set(err, ENOMEM, "cgroup");
      } else if (*ctls == '\0') {
        free(ctls);
      } else {
        r = add_hier(&v, &cnt, mnt, ctls, false, err);
      }
    } else if (strcmp(fstype, "cgroup2") == 0) {
      char *ctls = strdup("");
      r = ctls ? add_hier(&v, &cnt, mnt, ctls, true, err) : berr_set(err, ENOMEM, "cgroup");
    }
    if (r < 0) {
      cg_hiers_free(v, cnt);
      return -1;
    }
  }
  if (cnt == 0) {
    cg_hiers_free(v, cnt);
    return berr_set(err, ENOENT, "cgroup: no cgroup hierarchy is mounted under %s", CG_ROOT);
  }
  *out = v;
  *n = cnt;
  return 0;
}

/* A new v1 cpuset cgroup starts with empty cpus/mems and refuses tasks: copy the parent's. */
int cg_v1_cpuset_init(const struct cg_hier *h, const char *path, struct berr **err) {
  cleanup_free char *dir = NULL, *parent = NULL;
  if (asprintf(&dir, "%s%s", h->mnt, path) < 0 || (parent = strdup(dir)) == NULL)
    return berr_set(err, ENOMEM, "cgroup");
  *strrchr(parent, '/') = '\0';
  const char *files[] = {"cpuset.cpus", "cpuset.mems"};
  for (size_t i = 0; i < 2; i++) {
    cleanup_free char *cur = cg_read(dir, files[i]);
    if (cur && *cur)
      continue;
    cleanup_free char *pv = cg_read(parent, files[i]);
    if (pv == NULL)
      return berr_errno(err, "cgroup: read %s/%s", parent, files[i]);
    if (cg_write(dir, files[i], pv, "cgroup: cpuset initialisation", err) < 0)
      return -1;
  }
  return 0;
}

/* ---- devices ---- */

/* What every container gets after the config's rules (as runc and crun do). */
static const struct spec_device_cgroup default_allow[] = {
    {.allow = true, .type = 'c', .major = -1, .minor = -1, .access = "m"},
    {.allow = true, .type = 'b', .major = -1, .minor = -1, .access = "m"},
    {.allow = true, .type = 'c', .major = 1, .minor = 3, .access = "rwm"},   /* null */
    {.allow = true, .type = 'c', .major = 1, .minor = 5, .access = "rwm"},   /* zero */
    {.allow = true, .type = 'c', .major = 1, .minor = 7, .access = "rwm"},   /* full */
    {.allow = true, .type = 'c', .major = 1, .minor = 8, .access = "rwm"},   /* random */
    {.allow = true, .type = 'c', .major = 1, .minor = 9, .access = "rwm"},   /* urandom */
    {.allow = true, .type = 'c', .major = 5, .minor = 0, .access = "rwm"},   /* tty */
    {.allow = true, .type = 'c', .major = 5, .minor = 1, .access = "rwm"},   /* console */
    {.allow = true, .type = 'c', .major = 5, .minor = 2, .access = "rwm"},   /* ptmx */
    {.allow = true, .type = 'c', .major = 136, .minor = -1, .access = "rwm"}, /* pts */
};

static int write_rule(const char *dir, const struct spec_device_cgroup *d, const char *field,
                      struct berr **err) {
  char maj[24] = "*", min[24] = "*";
  if (d->major >= 0)
    snprintf(maj, sizeof(maj), "%lld", (long long)d->major);
  if (d->minor >= 0)
    snprintf(min, sizeof(min), "%lld", (long long)d->minor);
  const char *access = d->access && *d->access ? d->access : "rwm";
  const char *file = d->allow ? "devices.allow" : "devices.deny";
  if (d->type == 'a')
    return cg_write(dir, file, "a", field, err);
  return cg_writef(dir, file, field, err, "%c %s:%s %s", d->type, maj, min, access);
}

int cg_device_rules(const struct spec *spec, struct spec_device_cgroup **out, size_t *n,
                    struct berr **err) {
  const struct spec_resources *res = spec->linux ? spec->linux->resources : NULL;
  size_t cfg = res ? res->devices_len : 0, ndef = sizeof(default_allow) / sizeof(default_allow[0]);
  struct spec_device_cgroup *v = calloc(cfg + ndef + 1, sizeof(*v));
  if (v == NULL)
    return berr_set(err, ENOMEM, "linux.resources.devices");
  size_t k = 0;
  for (size_t i = 0; i < cfg; i++)
    v[k++] = res->devices[i]; /* shallow: access stays owned by the spec */
  /* The nodes of linux.devices get no rule of their own: a node in /dev grants nothing, the
   * config's rules decide (runc); engines allow what they pass in linux.resources.devices. */
  for (size_t i = 0; i < ndef; i++)
    v[k++] = default_allow[i];
  *out = v;
  *n = k;
  return 0;
}

int cg_v1_devices(const struct cgroup *cg, const struct spec *spec, struct berr **err) {
  const struct spec_resources *res = spec->linux ? spec->linux->resources : NULL;
  const struct cg_hier *h = cg_find(cg, "devices");
  if (h == NULL || h->v2) {
    if (res && res->devices_len)
      return cg_missing("linux.resources.devices", "devices", false, err);
    log_warn("cgroup: no devices controller: the container's device access is not restricted");
    return 0;
  }
  cleanup_free struct spec_device_cgroup *rules = NULL;
  size_t n = 0, cfg = res ? res->devices_len : 0;
  if (cg_device_rules(spec, &rules, &n, err) < 0)
    return -1;
  if (cg_write(h->dir, "devices.deny", "a", "linux.resources.devices", err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++) {
    char field[64];
    if (i < cfg)
      snprintf(field, sizeof(field), "linux.resources.devices[%zu]", i);
    else
      snprintf(field, sizeof(field), "cgroup: default device rules");
    if (write_rule(h->dir, &rules[i], field, err) < 0)
      return -1;
  }
  return 0;
}
