/* config.json's "linux" object -> struct spec_linux: namespaces, id mappings,
 * devices, resources, seccomp and the smaller Linux-only settings. */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>

#include "cleanup.h"
#include "json.h"
#include "spec_internal.h"
#include "tables.h"

#define ALLOC_OR_FAIL(ptr, path)                                                                   \
  do {                                                                                             \
    (ptr) = calloc(1, sizeof(*(ptr)));                                                             \
    if ((ptr) == NULL)                                                                             \
      return berr_set(err, ENOMEM, "%s", (path));                                                  \
  } while (0)

/* A string list whose entries are looked up in a table and OR'ed together. */
static int get_flag_list(const json_node *obj, const char *key, const char *path,
                         const char *what, int (*lookup)(const char *, unsigned int *),
                         unsigned int *flags, struct berr **err) {
  struct spec_string_list l = {0};
  int r = get_string_list(obj, key, path, &l, err);
  for (size_t i = 0; r > 0 && i < l.len; i++) {
    unsigned int f;
    if (lookup(l.items[i], &f) < 0) {
      char kp[JP_MAX], p[JP_MAX];
      r = spec_err(err, jp_index(p, jp_key(kp, path, key), i), "unknown %s \"%s\"", what,
                   l.items[i]);
      break;
    }
    *flags |= f;
  }
  spec_string_list_free(&l);
  return r;
}

/* ------------------------------------------------------------ namespaces */

static int parse_namespace(const json_node *n, const char *path, void *elem, struct berr **err) {
  struct spec_namespace *ns = elem;
  cleanup_free char *type = NULL;
  char p[JP_MAX];
  if (need(get_string(n, "type", path, &type, err), path, "type", err) < 0)
    return -1;
  int t = ns_type_from_name(type);
  if (t < 0)
    return spec_err(err, jp_key(p, path, "type"), "unknown namespace type \"%s\"", type);
  ns->type = (enum spec_ns_type)t;
  if (get_string(n, "path", path, &ns->path, err) < 0)
    return -1;
  if (ns->path && ns->path[0] == '\0') { /* "" means: create a new one */
    free(ns->path);
    ns->path = NULL;
  }
  return 0;
}

static int parse_namespaces(const json_node *o, const char *path, struct spec_linux *l,
                            struct berr **err) {
  if (get_object_array(o, "namespaces", path, sizeof(*l->namespaces), (void **)&l->namespaces,
                       &l->namespaces_len, parse_namespace, err) < 0)
    return -1;
  for (size_t i = 0; i < l->namespaces_len; i++)
    for (size_t j = 0; j < i; j++)
      if (l->namespaces[i].type == l->namespaces[j].type) {
        char np[JP_MAX], ip[JP_MAX], tp[JP_MAX];
        jp_index(ip, jp_key(np, path, "namespaces"), i);
        return spec_err(err, jp_key(tp, ip, "type"), "duplicate namespace type \"%s\"",
                        ns_type_name(l->namespaces[i].type));
      }
  return 0;
}

/* --------------------------------------------------------------- devices */

static int parse_device(const json_node *n, const char *path, void *elem, struct berr **err) {
  struct spec_device *d = elem;
  cleanup_free char *type = NULL;
  char p[JP_MAX];
  if (need(get_string(n, "path", path, &d->path, err), path, "path", err) < 0 ||
      spec_require_abs(jp_key(p, path, "path"), d->path, err) < 0)
    return -1;
  /* from here on errors name the device by index and path: "linux.devices[0] (/dev/x).type" */
  char dp[JP_MAX];
  snprintf(dp, sizeof(dp), "%s (%s)", path, d->path);
  path = dp;
  if (need(get_string(n, "type", path, &type, err), path, "type", err) < 0)
    return -1;
  if (strlen(type) != 1 || strchr("cbup", type[0]) == NULL)
    return spec_err(err, jp_key(p, path, "type"), "must be one of c, b, u, p, got \"%s\"", type);
  d->type = type[0];
  int rmaj = get_int64(n, "major", path, &d->major, err);
  int rmin = rmaj < 0 ? -1 : get_int64(n, "minor", path, &d->minor, err);
  if (rmaj < 0 || rmin < 0)
    return -1;
  if (d->type != 'p' && (need(rmaj, path, "major", err) < 0 || need(rmin, path, "minor", err) < 0))
    return -1;
  /* what a dev_t holds (12-bit major, 20-bit minor): makedev() would cut anything else
   * silently (major 4294967296 made a 0:1 node) */
  if (rmaj > 0 && (d->major < 0 || d->major > 4095))
    return spec_err(err, jp_key(p, path, "major"), "%" PRId64 " is out of range (0 to 4095)",
                    d->major);
  if (rmin > 0 && (d->minor < 0 || d->minor > 1048575))
    return spec_err(err, jp_key(p, path, "minor"), "%" PRId64 " is out of range (0 to 1048575)",
                    d->minor);
  int r1 = get_uint32(n, "fileMode", path, &d->file_mode, err);
  int r2 = r1 < 0 ? -1 : get_id(n, "uid", path, &d->uid, err);
  int r3 = r2 < 0 ? -1 : get_id(n, "gid", path, &d->gid, err);
  if (r3 < 0)
    return -1;
  d->has_file_mode = r1 > 0;
  d->has_uid = r2 > 0;
  d->has_gid = r3 > 0;
  return 0;
}

static int parse_net_devices(const json_node *o, const char *path, struct spec_linux *l,
                             struct berr **err) {
  const json_node *m;
  int r = get_object(o, "netDevices", path, &m, err);
  if (r <= 0)
    return r;
  size_t n = json_object_len(m);
  if (n == 0)
    return 0;
  l->net_devices = calloc(n, sizeof(*l->net_devices));
  if (l->net_devices == NULL)
    return berr_set(err, ENOMEM, "%s", path);
  l->net_devices_len = n;
  char mp[JP_MAX];
  jp_key(mp, path, "netDevices");
  for (size_t i = 0; i < n; i++) {
    char p[JP_MAX];
    const json_node *v = json_object_value(m, i);
    l->net_devices[i].host_name = strdup(json_object_key(m, i));
    if (l->net_devices[i].host_name == NULL)
      return berr_set(err, ENOMEM, "%s", mp);
    jp_map(p, mp, l->net_devices[i].host_name);
    if (node_object(v, p, err) < 0 || get_string(v, "name", p, &l->net_devices[i].name, err) < 0)
      return -1;
  }
  return 0;
}

/* -------------------------------------------------------------- resources */

static int parse_device_rule(const json_node *n, const char *path, void *elem,
                             struct berr **err) {
  struct spec_device_cgroup *d = elem;
  cleanup_free char *type = NULL;
  char p[JP_MAX];
  if (need(get_bool(n, "allow", path, &d->allow, err), path, "allow", err) < 0)
    return -1;
  d->type = 'a';
  int r = get_string(n, "type", path, &type, err);
  if (r < 0)
    return -1;
  if (r > 0) {
    if (strlen(type) != 1 || strchr("acb", type[0]) == NULL)
      return spec_err(err, jp_key(p, path, "type"), "must be one of a, c, b, got \"%s\"", type);
    d->type = type[0];
  }
  d->major = d->minor = -1;
  int rmaj = get_int64(n, "major", path, &d->major, err);
  int rmin = rmaj < 0 ? -1 : get_int64(n, "minor", path, &d->minor, err);
  if (rmin < 0)
    return -1;
  d->has_major = rmaj > 0;
  d->has_minor = rmin > 0;
  if (get_string(n, "access", path, &d->access, err) < 0)
    return -1;
  if (d->access && d->access[strspn(d->access, "rwm")] != '\0')
    return spec_err(err, jp_key(p, path, "access"),
                    "invalid access \"%s\" (only the letters r, w, m are allowed)", d->access);
  return 0;
}

static int parse_memory(const json_node *res, const char *path, struct spec_memory **out,
                        struct berr **err) {
  const json_node *o;
  char mp[JP_MAX];
  int r = get_object(res, "memory", path, &o, err);
  if (r <= 0)
    return r;
  ALLOC_OR_FAIL(*out, path);
  struct spec_memory *m = *out;
  jp_key(mp, path, "memory");
  struct {
    const char *key;
    int64_t *v;
    bool *has;
  } ints[] = {{"limit", &m->limit, &m->has_limit},
              {"reservation", &m->reservation, &m->has_reservation},
              {"swap", &m->swap, &m->has_swap},
              {"kernel", &m->kernel, &m->has_kernel},
              {"kernelTCP", &m->kernel_tcp, &m->has_kernel_tcp}};
  for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
    if ((r = get_int64(o, ints[i].key, mp, ints[i].v, err)) < 0)
      return -1;
    *ints[i].has = r > 0;
  }
  if ((r = get_uint64(o, "swappiness", mp, &m->swappiness, err)) < 0)
    return -1;
  m->has_swappiness = r > 0;
  struct {
    const char *key;
    bool *v, *has;
  } bools[] = {{"disableOOMKiller", &m->disable_oom_killer, &m->has_disable_oom_killer},
               {"useHierarchy", &m->use_hierarchy, &m->has_use_hierarchy},
               {"checkBeforeUpdate", &m->check_before_update, &m->has_check_before_update}};
  for (size_t i = 0; i < sizeof(bools) / sizeof(bools[0]); i++) {
    if ((r = get_bool(o, bools[i].key, mp, bools[i].v, err)) < 0)
      return -1;
    *bools[i].has = r > 0;
  }
  return 0;
}

static int parse_cpu(const json_node *res, const char *path, struct spec_cpu **out,
                     struct berr **err) {
  const json_node *o;
  char cp[JP_MAX];
  int r = get_object(res, "cpu", path, &o, err);
  if (r <= 0)
    return r;
  ALLOC_OR_FAIL(*out, path);
  struct spec_cpu *c = *out;
  jp_key(cp, path, "cpu");
  struct {
    const char *key;
    uint64_t *v;
    bool *has;
  } uints[] = {{"shares", &c->shares, &c->has_shares},
               {"burst", &c->burst, &c->has_burst},
               {"period", &c->period, &c->has_period},
               {"realtimePeriod", &c->realtime_period, &c->has_realtime_period}};
  for (size_t i = 0; i < sizeof(uints) / sizeof(uints[0]); i++) {
    if ((r = get_uint64(o, uints[i].key, cp, uints[i].v, err)) < 0)
      return -1;
    *uints[i].has = r > 0;
  }
  struct {
    const char *key;
    int64_t *v;
    bool *has;
  } ints[] = {{"quota", &c->quota, &c->has_quota},
              {"realtimeRuntime", &c->realtime_runtime, &c->has_realtime_runtime},
              {"idle", &c->idle, &c->has_idle}};
  for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
    if ((r = get_int64(o, ints[i].key, cp, ints[i].v, err)) < 0)
      return -1;
    *ints[i].has = r > 0;
  }
  if (get_string(o, "cpus", cp, &c->cpus, err) < 0 || get_string(o, "mems", cp, &c->mems, err) < 0)
    return -1;
  return 0;
}

static int parse_weight_device(const json_node *n, const char *path, void *elem,
                               struct berr **err) {
  struct spec_weight_device *w = elem;
  if (need(get_int64(n, "major", path, &w->major, err), path, "major", err) < 0 ||
      need(get_int64(n, "minor", path, &w->minor, err), path, "minor", err) < 0)
    return -1;
  int r1 = get_uint16(n, "weight", path, &w->weight, err);
  int r2 = r1 < 0 ? -1 : get_uint16(n, "leafWeight", path, &w->leaf_weight, err);
  if (r2 < 0)
    return -1;
  w->has_weight = r1 > 0;
  w->has_leaf_weight = r2 > 0;
  return 0;
}

static int parse_throttle_device(const json_node *n, const char *path, void *elem,
                                 struct berr **err) {
  struct spec_throttle_device *t = elem;
  if (need(get_int64(n, "major", path, &t->major, err), path, "major", err) < 0 ||
      need(get_int64(n, "minor", path, &t->minor, err), path, "minor", err) < 0 ||
      need(get_uint64(n, "rate", path, &t->rate, err), path, "rate", err) < 0)
    return -1;
  return 0;
}

static int parse_block_io(const json_node *res, const char *path, struct spec_block_io **out,
                          struct berr **err) {
  const json_node *o;
  char bp[JP_MAX];
  int r = get_object(res, "blockIO", path, &o, err);
  if (r <= 0)
    return r;
  ALLOC_OR_FAIL(*out, path);
  struct spec_block_io *b = *out;
  jp_key(bp, path, "blockIO");
  int r1 = get_uint16(o, "weight", bp, &b->weight, err);
  int r2 = r1 < 0 ? -1 : get_uint16(o, "leafWeight", bp, &b->leaf_weight, err);
  if (r2 < 0)
    return -1;
  b->has_weight = r1 > 0;
  b->has_leaf_weight = r2 > 0;
  if (get_object_array(o, "weightDevice", bp, sizeof(*b->weight_device),
                       (void **)&b->weight_device, &b->weight_device_len, parse_weight_device,
                       err) < 0)
    return -1;
  struct {
    const char *key;
    struct spec_throttle_device **items;
    size_t *len;
  } throttles[] = {
      {"throttleReadBpsDevice", &b->throttle_read_bps, &b->throttle_read_bps_len},
      {"throttleWriteBpsDevice", &b->throttle_write_bps, &b->throttle_write_bps_len},
      {"throttleReadIOPSDevice", &b->throttle_read_iops, &b->throttle_read_iops_len},
      {"throttleWriteIOPSDevice", &b->throttle_write_iops, &b->throttle_write_iops_len},
  };
  for (size_t i = 0; i < sizeof(throttles) / sizeof(throttles[0]); i++)
    if (get_object_array(o, throttles[i].key, bp, sizeof(struct spec_throttle_device),
                         (void **)throttles[i].items, throttles[i].len, parse_throttle_device,
                         err) < 0)
      return -1;
  return 0;
}

static int parse_hugepage_limit(const json_node *n, const char *path, void *elem,
                                struct berr **err) {
  struct spec_hugepage_limit *h = elem;
  if (need(get_string(n, "pageSize", path, &h->page_size, err), path, "pageSize", err) < 0 ||
      need(get_uint64(n, "limit", path, &h->limit, err), path, "limit", err) < 0)
    return -1;
  return 0;
}

static int parse_net_priority(const json_node *n, const char *path, void *elem,
                              struct berr **err) {
  struct spec_net_priority *p = elem;
  if (need(get_string(n, "name", path, &p->name, err), path, "name", err) < 0 ||
      need(get_uint32(n, "priority", path, &p->priority, err), path, "priority", err) < 0)
    return -1;
  return 0;
}

static int parse_network(const json_node *res, const char *path, struct spec_network **out,
                         struct berr **err) {
  const json_node *o;
  char np[JP_MAX];
  int r = get_object(res, "network", path, &o, err);
  if (r <= 0)
    return r;
  ALLOC_OR_FAIL(*out, path);
  struct spec_network *net = *out;
  jp_key(np, path, "network");
  if ((r = get_uint32(o, "classID", np, &net->class_id, err)) < 0)
    return -1;
  net->has_class_id = r > 0;
  if (get_object_array(o, "priorities", np, sizeof(*net->priorities), (void **)&net->priorities,
                       &net->priorities_len, parse_net_priority, err) < 0)
    return -1;
  return 0;
}

/* A device name is the first word of an rdma.max line: no blanks, no newline (which would
 * start another line), at most IB_DEVICE_NAME_MAX - 1 (63) bytes. The error's path shows a
 * control character escaped (rdma["a\\n b"]), so the message stays on one line. */
static int rdma_device_name_ok(const char *name, const char *mp, struct berr **err) {
  char esc[JP_MAX / 2], p[JP_MAX];
  size_t o = 0;
  bool bad = false;
  for (const unsigned char *c = (const unsigned char *)name; *c && o + 5 < sizeof(esc); c++) {
    bad |= *c == ' ' || (*c >= '\t' && *c <= '\r');
    if (*c < 0x20 || *c == 0x7f)
      o += (size_t)snprintf(esc + o, sizeof(esc) - o, *c == '\n' ? "\\n" : "\\x%02x", *c);
    else
      esc[o++] = (char)*c;
  }
  esc[o] = '\0';
  jp_map(p, mp, esc);
  if (*name == '\0')
    return spec_err(err, p, "empty rdma device name");
  if (bad)
    return spec_err(err, p, "an rdma device name has no spaces or newlines");
  if (strlen(name) > 63)
    return spec_err(err, p, "rdma device name longer than 63 bytes");
  return 0;
}

/* hcaHandles / hcaObjects: uint32 in the spec, but the kernel's limits are ints (it refuses
 * more than 2147483647, which it reads back as "max"). */
static int get_rdma_limit(const json_node *o, const char *key, const char *path, uint32_t *out,
                          struct berr **err) {
  int r = get_uint32(o, key, path, out, err);
  if (r > 0 && *out > INT32_MAX) {
    char kp[JP_MAX];
    jp_key(kp, path, key);
    return spec_err(err, kp, "%" PRIu32 " is above the kernel's limit %d", *out, INT32_MAX);
  }
  return r;
}

static int parse_rdma(const json_node *res, const char *path, struct spec_resources *rs,
                      struct berr **err) {
  const json_node *m;
  int r = get_object(res, "rdma", path, &m, err);
  if (r <= 0)
    return r;
  size_t n = json_object_len(m);
  if (n == 0)
    return 0;
  rs->rdma = calloc(n, sizeof(*rs->rdma));
  if (rs->rdma == NULL)
    return berr_set(err, ENOMEM, "%s", path);
  rs->rdma_len = n;
  char mp[JP_MAX];
  jp_key(mp, path, "rdma");
  for (size_t i = 0; i < n; i++) {
    struct spec_rdma *d = &rs->rdma[i];
    const json_node *v = json_object_value(m, i);
    char p[JP_MAX];
    d->device = strdup(json_object_key(m, i));
    if (d->device == NULL)
      return berr_set(err, ENOMEM, "%s", mp);
    jp_map(p, mp, d->device);
    if (rdma_device_name_ok(d->device, mp, err) < 0 || node_object(v, p, err) < 0)
      return -1;
    int r1 = get_rdma_limit(v, "hcaHandles", p, &d->hca_handles, err);
    int r2 = r1 < 0 ? -1 : get_rdma_limit(v, "hcaObjects", p, &d->hca_objects, err);
    if (r2 < 0)
      return -1;
    d->has_hca_handles = r1 > 0;
    d->has_hca_objects = r2 > 0;
  }
  return 0;
}

static int parse_pids(const json_node *res, const char *path, struct spec_resources *rs,
                      struct berr **err) {
  const json_node *o;
  char pp[JP_MAX];
  int r = get_object(res, "pids", path, &o, err);
  if (r <= 0)
    return r;
  jp_key(pp, path, "pids");
  if (need(get_int64(o, "limit", pp, &rs->pids_limit, err), pp, "limit", err) < 0)
    return -1;
  rs->has_pids_limit = true;
  return 0;
}

/* The fields of a linux.resources object o (rp: its JSON path). */
static int parse_resources_fields(const json_node *o, const char *rp, struct spec_resources *rs,
                                  struct berr **err) {
  if (get_object_array(o, "devices", rp, sizeof(*rs->devices), (void **)&rs->devices,
                       &rs->devices_len, parse_device_rule, err) < 0 ||
      parse_memory(o, rp, &rs->memory, err) < 0 || parse_cpu(o, rp, &rs->cpu, err) < 0 ||
      parse_pids(o, rp, rs, err) < 0 || parse_block_io(o, rp, &rs->block_io, err) < 0 ||
      get_object_array(o, "hugepageLimits", rp, sizeof(*rs->hugepage_limits),
                       (void **)&rs->hugepage_limits, &rs->hugepage_limits_len,
                       parse_hugepage_limit, err) < 0 ||
      parse_network(o, rp, &rs->network, err) < 0 || parse_rdma(o, rp, rs, err) < 0 ||
      get_string_map(o, "unified", rp, &rs->unified, &rs->unified_len, err) < 0)
    return -1;
  return 0;
}

static int parse_resources(const json_node *lo, const char *path, struct spec_resources **out,
                           struct berr **err) {
  const json_node *o;
  char rp[JP_MAX];
  int r = get_object(lo, "resources", path, &o, err);
  if (r <= 0)
    return r;
  ALLOC_OR_FAIL(*out, path);
  return parse_resources_fields(o, jp_key(rp, path, "resources"), *out, err);
}

int spec_parse_resources(const char *text, size_t len, struct spec_resources **out,
                         struct berr **err) {
  cleanup_json json_node *root = NULL;
  if (json_parse(text, len, &root, err) < 0 || node_object(root, "linux.resources", err) < 0)
    return -1;
  struct spec_resources *rs = calloc(1, sizeof(*rs));
  if (rs == NULL)
    return berr_set(err, ENOMEM, "linux.resources");
  if (parse_resources_fields(root, "linux.resources", rs, err) < 0) {
    spec_resources_free(rs);
    return -1;
  }
  *out = rs;
  return 0;
}

/* ---------------------------------------------------------------- seccomp */

static int get_seccomp_action(const json_node *o, const char *key, const char *path,
                              uint32_t *action, char **name, struct berr **err) {
  char p[JP_MAX];
  if (need(get_string(o, key, path, name, err), path, key, err) < 0)
    return -1;
  if (seccomp_action_from_name(*name, action) < 0)
    return spec_err(err, jp_key(p, path, key), "unknown seccomp action \"%s\"", *name);
  return 0;
}

static int parse_seccomp_arg(const json_node *n, const char *path, void *elem,
                             struct berr **err) {
  struct spec_seccomp_arg *a = elem;
  cleanup_free char *op = NULL;
  char p[JP_MAX];
  uint32_t index;
  if (need(get_uint32(n, "index", path, &index, err), path, "index", err) < 0)
    return -1;
  if (index > 5)
    return spec_err(err, jp_key(p, path, "index"), "must be 0..5, got %u", index);
  a->index = index;
  if (need(get_uint64(n, "value", path, &a->value, err), path, "value", err) < 0 ||
      get_uint64(n, "valueTwo", path, &a->value_two, err) < 0 ||
      need(get_string(n, "op", path, &op, err), path, "op", err) < 0)
    return -1;
  if (seccomp_operator_from_name(op, &a->op) < 0)
    return spec_err(err, jp_key(p, path, "op"), "unknown seccomp operator \"%s\"", op);
  return 0;
}

static int parse_seccomp_syscall(const json_node *n, const char *path, void *elem,
                                 struct berr **err) {
  struct spec_seccomp_syscall *sc = elem;
  char p[JP_MAX];
  if (need(get_string_list(n, "names", path, &sc->names, err), path, "names", err) < 0)
    return -1;
  if (sc->names.len == 0)
    return spec_err(err, jp_key(p, path, "names"), "must contain at least one entry");
  if (get_seccomp_action(n, "action", path, &sc->action, &sc->action_name, err) < 0)
    return -1;
  int r = get_uint32(n, "errnoRet", path, &sc->errno_ret, err);
  if (r < 0)
    return -1;
  sc->has_errno_ret = r > 0;
  return get_object_array(n, "args", path, sizeof(*sc->args), (void **)&sc->args, &sc->args_len,
                          parse_seccomp_arg, err) < 0
             ? -1
             : 0;
}

static int parse_seccomp_archs(const json_node *o, const char *path, struct spec_seccomp *sc,
                               struct berr **err) {
  struct spec_string_list l = {0};
  int r = get_string_list(o, "architectures", path, &l, err);
  if (r > 0 && l.len > 0) {
    sc->architectures = calloc(l.len, sizeof(uint32_t));
    if (sc->architectures == NULL)
      r = berr_set(err, ENOMEM, "%s", path);
  }
  for (size_t i = 0; r > 0 && i < l.len; i++) {
    if (seccomp_arch_from_name(l.items[i], &sc->architectures[i]) < 0) {
      char ap[JP_MAX], p[JP_MAX];
      r = spec_err(err, jp_index(p, jp_key(ap, path, "architectures"), i),
                   "unknown seccomp architecture \"%s\"", l.items[i]);
      break;
    }
    sc->architectures_len = i + 1;
  }
  spec_string_list_free(&l);
  return r < 0 ? -1 : 0;
}

static int parse_seccomp(const json_node *lo, const char *path, struct spec_seccomp **out,
                         struct berr **err) {
  const json_node *o;
  char sp[JP_MAX];
  int r = get_object(lo, "seccomp", path, &o, err);
  if (r <= 0)
    return r;
  ALLOC_OR_FAIL(*out, path);
  struct spec_seccomp *sc = *out;
  jp_key(sp, path, "seccomp");
  if (get_seccomp_action(o, "defaultAction", sp, &sc->default_action, &sc->default_action_name,
                         err) < 0)
    return -1;
  if ((r = get_uint32(o, "defaultErrnoRet", sp, &sc->default_errno_ret, err)) < 0)
    return -1;
  sc->has_default_errno_ret = r > 0;
  if (parse_seccomp_archs(o, sp, sc, err) < 0 ||
      get_flag_list(o, "flags", sp, "seccomp flag", seccomp_flag_from_name, &sc->flags, err) < 0 ||
      get_string(o, "listenerPath", sp, &sc->listener_path, err) < 0 ||
      get_string(o, "listenerMetadata", sp, &sc->listener_metadata, err) < 0 ||
      get_object_array(o, "syscalls", sp, sizeof(*sc->syscalls), (void **)&sc->syscalls,
                       &sc->syscalls_len, parse_seccomp_syscall, err) < 0)
    return -1;
  char mp[JP_MAX];
  if (sc->listener_metadata && sc->listener_path == NULL)
    return spec_err(err, jp_key(mp, sp, "listenerMetadata"),
                    "must not be set without listenerPath");
  return 0;
}

/* ------------------------------------------------------ smaller settings */

static int parse_time_offsets(const json_node *lo, const char *path, struct spec_linux *l,
                              struct berr **err) {
  const json_node *o, *t;
  char tp[JP_MAX], p[JP_MAX];
  int r = get_object(lo, "timeOffsets", path, &o, err);
  if (r <= 0)
    return r;
  jp_key(tp, path, "timeOffsets");
  const char *keys[] = {"boottime", "monotonic"};
  struct spec_time_offset *offs[] = {&l->time_boottime, &l->time_monotonic};
  for (size_t i = 0; i < 2; i++) {
    if ((r = get_object(o, keys[i], tp, &t, err)) < 0)
      return -1;
    if (r == 0)
      continue;
    offs[i]->present = true;
    jp_key(p, tp, keys[i]);
    if (get_int64(t, "secs", p, &offs[i]->secs, err) < 0 ||
        get_uint32(t, "nanosecs", p, &offs[i]->nanosecs, err) < 0)
      return -1;
  }
  return 0;
}

static int parse_personality(const json_node *lo, const char *path,
                             struct spec_personality **out, struct berr **err) {
  const json_node *o;
  char pp[JP_MAX], p[JP_MAX];
  cleanup_free char *domain = NULL;
  int r = get_object(lo, "personality", path, &o, err);
  if (r <= 0)
    return r;
  ALLOC_OR_FAIL(*out, path);
  jp_key(pp, path, "personality");
  if (need(get_string(o, "domain", pp, &domain, err), pp, "domain", err) < 0)
    return -1;
  if (strcmp(domain, "LINUX") == 0)
    (*out)->domain = PER_LINUX;
  else if (strcmp(domain, "LINUX32") == 0)
    (*out)->domain = PER_LINUX32;
  else
    return spec_err(err, jp_key(p, pp, "domain"), "unknown personality domain \"%s\"", domain);
  return get_string_list(o, "flags", pp, &(*out)->flags, err) < 0 ? -1 : 0;
}

static int parse_memory_policy(const json_node *lo, const char *path,
                               struct spec_memory_policy **out, struct berr **err) {
  const json_node *o;
  char mp[JP_MAX], p[JP_MAX];
  cleanup_free char *mode = NULL;
  int r = get_object(lo, "memoryPolicy", path, &o, err);
  if (r <= 0)
    return r;
  ALLOC_OR_FAIL(*out, path);
  jp_key(mp, path, "memoryPolicy");
  if (need(get_string(o, "mode", mp, &mode, err), mp, "mode", err) < 0)
    return -1;
  (*out)->mode = mempolicy_mode_from_name(mode);
  if ((*out)->mode < 0)
    return spec_err(err, jp_key(p, mp, "mode"), "unknown memory policy mode \"%s\"", mode);
  if (get_string(o, "nodes", mp, &(*out)->nodes, err) < 0 ||
      get_flag_list(o, "flags", mp, "memory policy flag", mempolicy_flag_from_name,
                    &(*out)->flags, err) < 0)
    return -1;
  return 0;
}

/* One line of a resctrl schemata file: written as is, so no newline may split it. */
static int check_schema_line(const char *v, const char *path, const char *prefix,
                             struct berr **err) {
  if (strchr(v, '\n') || strchr(v, '\r'))
    return spec_err(err, path, "must not contain a newline (one schemata line)");
  if (prefix && strncmp(v, prefix, strlen(prefix)) != 0)
    return spec_err(err, path, "\"%s\": must start with \"%s\"", v, prefix);
  return 0;
}

/* closID names a directory at the top of the resctrl filesystem ("/": the root group). "" is
 * unset (runc's omitempty). */
static int check_clos_id(const char *id, const char *path, struct berr **err) {
  if (id == NULL || id[0] == '\0' || strcmp(id, "/") == 0)
    return 0;
  if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0 || strchr(id, '/') || strchr(id, '\n') ||
      strlen(id) > 255)
    return spec_err(err, path, "\"%s\": must be one directory name of the resctrl filesystem "
                    "(or \"/\" for its root group)", id);
  if (strcmp(id, "info") == 0 || strcmp(id, "mon_groups") == 0 || strcmp(id, "mon_data") == 0)
    return spec_err(err, path, "\"%s\": names one of resctrl's own directories", id);
  return 0;
}

static int check_intel_rdt(const struct spec_intel_rdt *rdt, const char *ip, struct berr **err) {
  char p[JP_MAX], q[JP_MAX];
  if (check_clos_id(rdt->clos_id, jp_key(p, ip, "closID"), err) < 0)
    return -1;
  if (rdt->l3_cache_schema &&
      check_schema_line(rdt->l3_cache_schema, jp_key(p, ip, "l3CacheSchema"), NULL, err) < 0)
    return -1;
  /* config-linux.json: "pattern": "^MB:[^\\n]*$" */
  if (rdt->mem_bw_schema && rdt->mem_bw_schema[0] &&
      check_schema_line(rdt->mem_bw_schema, jp_key(p, ip, "memBwSchema"), "MB:", err) < 0)
    return -1;
  jp_key(p, ip, "schemata");
  for (size_t i = 0; i < rdt->schemata.len; i++) {
    const char *line = rdt->schemata.items[i];
    jp_index(q, p, i);
    if (line[0] == '\0')
      return spec_err(err, q, "must not be empty");
    if (check_schema_line(line, q, NULL, err) < 0)
      return -1;
  }
  return 0;
}

static int parse_intel_rdt(const json_node *lo, const char *path, struct spec_intel_rdt **out,
                           struct berr **err) {
  const json_node *o;
  char ip[JP_MAX];
  int r = get_object(lo, "intelRdt", path, &o, err);
  if (r <= 0)
    return r;
  ALLOC_OR_FAIL(*out, path);
  struct spec_intel_rdt *rdt = *out;
  jp_key(ip, path, "intelRdt");
  if (get_string(o, "closID", ip, &rdt->clos_id, err) < 0 ||
      get_string_list(o, "schemata", ip, &rdt->schemata, err) < 0 ||
      get_string(o, "l3CacheSchema", ip, &rdt->l3_cache_schema, err) < 0 ||
      get_string(o, "memBwSchema", ip, &rdt->mem_bw_schema, err) < 0 ||
      get_bool(o, "enableMonitoring", ip, &rdt->enable_monitoring, err) < 0)
    return -1;
  return check_intel_rdt(rdt, ip, err);
}

static int parse_rootfs_propagation(const json_node *lo, const char *path, struct spec_linux *l,
                                    struct berr **err) {
  cleanup_free char *name = NULL;
  char p[JP_MAX];
  int r = get_string(lo, "rootfsPropagation", path, &name, err);
  if (r <= 0)
    return r;
  if (propagation_from_name(name, &l->rootfs_propagation) < 0)
    return spec_err(err, jp_key(p, path, "rootfsPropagation"), "unknown propagation \"%s\"",
                    name);
  return 0;
}

static int parse_linux_fields(const json_node *o, const char *path, struct spec_linux *l,
                              struct berr **err) {
  if (parse_namespaces(o, path, l, err) < 0 ||
      get_id_mappings(o, "uidMappings", path, &l->uid_mappings, &l->uid_mappings_len, err) < 0 ||
      get_id_mappings(o, "gidMappings", path, &l->gid_mappings, &l->gid_mappings_len, err) < 0 ||
      parse_time_offsets(o, path, l, err) < 0 ||
      get_object_array(o, "devices", path, sizeof(*l->devices), (void **)&l->devices,
                       &l->devices_len, parse_device, err) < 0 ||
      parse_net_devices(o, path, l, err) < 0 ||
      get_string(o, "cgroupsPath", path, &l->cgroups_path, err) < 0 ||
      parse_resources(o, path, &l->resources, err) < 0 ||
      parse_rootfs_propagation(o, path, l, err) < 0 ||
      parse_seccomp(o, path, &l->seccomp, err) < 0 ||
      get_string_map(o, "sysctl", path, &l->sysctl, &l->sysctl_len, err) < 0 ||
      get_string_list(o, "maskedPaths", path, &l->masked_paths, err) < 0 ||
      get_string_list(o, "readonlyPaths", path, &l->readonly_paths, err) < 0 ||
      get_label(o, "mountLabel", path, &l->mount_label, err) < 0 ||
      parse_intel_rdt(o, path, &l->intel_rdt, err) < 0 ||
      parse_personality(o, path, &l->personality, err) < 0 ||
      parse_memory_policy(o, path, &l->memory_policy, err) < 0)
    return -1;
  return 0;
}

int spec_parse_linux(const json_node *o, const char *path, struct spec_linux **out,
                     struct berr **err) {
  /* stored in *out first: the caller's spec_free releases a partial parse */
  ALLOC_OR_FAIL(*out, path);
  return parse_linux_fields(o, path, *out, err);
}
