/* config.json -> struct spec: the typed getters, the top level, process,
 * mounts and hooks. The linux section is in spec_linux.c, freeing in
 * spec_free.c. Unknown properties are ignored, as the spec requires; JSON
 * null counts as absent. */
#include "spec.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "json.h"
#include "libc_compat.h"
#include "log.h"
#include "spec_internal.h"
#include "util.h"
#include "tables.h"

/* ---------------------------------------------------------------- paths */

/* Paths longer than JP_MAX are truncated: they only ever end up in messages. Built with
 * plain copies, not printf: the parser makes one for every node it visits (callgrind of a
 * `run`: vsnprintf was a fifth of berth's user-space instructions). */
static size_t jp_put(char buf[JP_MAX], size_t at, const char *s) {
  size_t n = strlen(s);
  if (at >= JP_MAX - 1)
    return at;
  if (n > JP_MAX - 1 - at)
    n = JP_MAX - 1 - at;
  memcpy(buf + at, s, n);
  buf[at + n] = '\0';
  return at + n;
}

/* buf = parent + a + key + b (parent is never buf) */
static const char *jp_join(char buf[JP_MAX], const char *parent, const char *a, const char *key,
                           const char *b) {
  buf[0] = '\0';
  size_t at = jp_put(buf, 0, parent);
  at = jp_put(buf, at, a);
  at = jp_put(buf, at, key);
  jp_put(buf, at, b);
  return buf;
}

const char *jp_key(char buf[JP_MAX], const char *parent, const char *key) {
  return jp_join(buf, parent, *parent ? "." : "", key, "");
}

const char *jp_index(char buf[JP_MAX], const char *parent, size_t i) {
  char num[24], *p = num + sizeof(num);
  *--p = '\0';
  do
    *--p = (char)('0' + i % 10);
  while ((i /= 10) != 0);
  return jp_join(buf, parent, "[", p, "]");
}

const char *jp_map(char buf[JP_MAX], const char *parent, const char *key) {
  return jp_join(buf, parent, "[\"", key, "\"]");
}

int spec_err(struct berr **err, const char *path, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  if (*path)
    return berr_code(err, EINVAL, "%s: %s", path, msg);
  return berr_code(err, EINVAL, "%s", msg);
}

int spec_require_abs(const char *path, const char *value, struct berr **err) {
  if (value[0] != '/')
    return spec_err(err, path, "must be an absolute path, got \"%s\"", value);
  return 0;
}

/* ------------------------------------------------------- node conversions */

static int type_err(struct berr **err, const char *path, const char *want, const json_node *n) {
  return spec_err(err, path, "expected %s, got %s", want, json_type_name(json_type_of(n)));
}

int node_object(const json_node *n, const char *path, struct berr **err) {
  return json_type_of(n) == JSON_OBJECT ? 0 : type_err(err, path, "object", n);
}

int node_string(const json_node *n, const char *path, char **out, struct berr **err) {
  if (json_type_of(n) != JSON_STRING)
    return type_err(err, path, "string", n);
  char *s = strdup(json_string(n));
  if (s == NULL)
    return berr_set(err, ENOMEM, "%s", path);
  free(*out);
  *out = s;
  return 0;
}

static bool is_integer_text(const char *s) {
  if (*s == '-')
    s++;
  if (*s == '\0')
    return false;
  for (; *s; s++)
    if (*s < '0' || *s > '9')
      return false;
  return true;
}

int node_uint(const json_node *n, const char *path, uint64_t max, const char *tname,
              uint64_t *out, struct berr **err) {
  if (json_type_of(n) != JSON_NUMBER)
    return type_err(err, path, "number", n);
  const char *text = json_number_text(n);
  if (!is_integer_text(text))
    return spec_err(err, path, "expected integer, got %s", text);
  uint64_t v;
  if (json_uint64(n, &v) < 0 || v > max)
    return spec_err(err, path, "%s is out of range for %s", text, tname);
  *out = v;
  return 0;
}

int node_int(const json_node *n, const char *path, int64_t min, int64_t max, const char *tname,
             int64_t *out, struct berr **err) {
  if (json_type_of(n) != JSON_NUMBER)
    return type_err(err, path, "number", n);
  const char *text = json_number_text(n);
  if (!is_integer_text(text))
    return spec_err(err, path, "expected integer, got %s", text);
  int64_t v;
  if (json_int64(n, &v) < 0 || v < min || v > max)
    return spec_err(err, path, "%s is out of range for %s", text, tname);
  *out = v;
  return 0;
}

int node_string_list(const json_node *n, const char *path, struct spec_string_list *out,
                     struct berr **err) {
  if (json_type_of(n) != JSON_ARRAY)
    return type_err(err, path, "array", n);
  spec_string_list_free(out);
  size_t len = json_array_len(n);
  out->items = calloc(len + 1, sizeof(char *));
  if (out->items == NULL)
    return berr_set(err, ENOMEM, "%s", path);
  for (size_t i = 0; i < len; i++) {
    char p[JP_MAX];
    if (node_string(json_array_at(n, i), jp_index(p, path, i), &out->items[i], err) < 0)
      return -1;
    out->len = i + 1;
  }
  return 0;
}

/* ---------------------------------------------------------- keyed getters */

/* Looks key up; 0 when absent or null. */
static int child(const json_node *obj, const char *key, const char *path, char p[JP_MAX],
                 const json_node **out) {
  const json_node *n = json_get(obj, key);
  if (n == NULL || json_type_of(n) == JSON_NULL)
    return 0;
  jp_key(p, path, key);
  *out = n;
  return 1;
}

int get_object(const json_node *obj, const char *key, const char *path, const json_node **out,
               struct berr **err) {
  char p[JP_MAX];
  const json_node *n;
  if (!child(obj, key, path, p, &n))
    return 0;
  if (node_object(n, p, err) < 0)
    return -1;
  *out = n;
  return 1;
}

int get_array(const json_node *obj, const char *key, const char *path, const json_node **out,
              struct berr **err) {
  char p[JP_MAX];
  const json_node *n;
  if (!child(obj, key, path, p, &n))
    return 0;
  if (json_type_of(n) != JSON_ARRAY)
    return type_err(err, p, "array", n);
  *out = n;
  return 1;
}

int get_string(const json_node *obj, const char *key, const char *path, char **out,
               struct berr **err) {
  char p[JP_MAX];
  const json_node *n;
  if (!child(obj, key, path, p, &n))
    return 0;
  return node_string(n, p, out, err) < 0 ? -1 : 1;
}

int get_label(const json_node *obj, const char *key, const char *path, char **out,
              struct berr **err) {
  int r = get_string(obj, key, path, out, err);
  if (r > 0 && (*out)[0] == '\0') {
    free(*out);
    *out = NULL;
    return 0;
  }
  return r;
}

int get_bool(const json_node *obj, const char *key, const char *path, bool *out,
             struct berr **err) {
  char p[JP_MAX];
  const json_node *n;
  if (!child(obj, key, path, p, &n))
    return 0;
  if (json_type_of(n) != JSON_BOOL)
    return type_err(err, p, "boolean", n);
  *out = json_bool(n);
  return 1;
}

static int get_uint(const json_node *obj, const char *key, const char *path, uint64_t max,
                    const char *tname, uint64_t *out, struct berr **err) {
  char p[JP_MAX];
  const json_node *n;
  if (!child(obj, key, path, p, &n))
    return 0;
  return node_uint(n, p, max, tname, out, err) < 0 ? -1 : 1;
}

static int get_sint(const json_node *obj, const char *key, const char *path, int64_t min,
                    int64_t max, const char *tname, int64_t *out, struct berr **err) {
  char p[JP_MAX];
  const json_node *n;
  if (!child(obj, key, path, p, &n))
    return 0;
  return node_int(n, p, min, max, tname, out, err) < 0 ? -1 : 1;
}

int get_uint16(const json_node *obj, const char *key, const char *path, uint16_t *out,
               struct berr **err) {
  uint64_t v;
  int r = get_uint(obj, key, path, UINT16_MAX, "uint16", &v, err);
  if (r > 0)
    *out = (uint16_t)v;
  return r;
}

int get_uint32(const json_node *obj, const char *key, const char *path, uint32_t *out,
               struct berr **err) {
  uint64_t v;
  int r = get_uint(obj, key, path, UINT32_MAX, "uint32", &v, err);
  if (r > 0)
    *out = (uint32_t)v;
  return r;
}

int get_id(const json_node *obj, const char *key, const char *path, uint32_t *out,
           struct berr **err) {
  uint64_t v;
  int r = get_uint(obj, key, path, SPEC_ID_MAX, "an id (0 to 2147483647)", &v, err);
  if (r > 0)
    *out = (uint32_t)v;
  return r;
}

int get_uint64(const json_node *obj, const char *key, const char *path, uint64_t *out,
               struct berr **err) {
  return get_uint(obj, key, path, UINT64_MAX, "uint64", out, err);
}

int get_int32(const json_node *obj, const char *key, const char *path, int32_t *out,
              struct berr **err) {
  int64_t v;
  int r = get_sint(obj, key, path, INT32_MIN, INT32_MAX, "int32", &v, err);
  if (r > 0)
    *out = (int32_t)v;
  return r;
}

int get_int(const json_node *obj, const char *key, const char *path, int *out, struct berr **err) {
  int64_t v;
  int r = get_sint(obj, key, path, INT32_MIN, INT32_MAX, "int", &v, err);
  if (r > 0)
    *out = (int)v;
  return r;
}

int get_int64(const json_node *obj, const char *key, const char *path, int64_t *out,
              struct berr **err) {
  return get_sint(obj, key, path, INT64_MIN, INT64_MAX, "int64", out, err);
}

int get_string_list(const json_node *obj, const char *key, const char *path,
                    struct spec_string_list *out, struct berr **err) {
  char p[JP_MAX];
  const json_node *n;
  if (!child(obj, key, path, p, &n))
    return 0;
  return node_string_list(n, p, out, err) < 0 ? -1 : 1;
}

int need(int r, const char *path, const char *key, struct berr **err) {
  if (r == 0) {
    char p[JP_MAX];
    return spec_err(err, jp_key(p, path, key), "required");
  }
  return r;
}

int get_object_array(const json_node *obj, const char *key, const char *path, size_t elem_size,
                     void **items, size_t *len, spec_elem_fn fn, struct berr **err) {
  const json_node *arr;
  int r = get_array(obj, key, path, &arr, err);
  if (r <= 0)
    return r;
  size_t n = json_array_len(arr);
  if (n == 0)
    return 1;
  char *base = calloc(n, elem_size);
  if (base == NULL)
    return berr_set(err, ENOMEM, "%s", key);
  *items = base;
  *len = n;
  char ap[JP_MAX];
  jp_key(ap, path, key);
  for (size_t i = 0; i < n; i++) {
    char p[JP_MAX];
    const json_node *e = json_array_at(arr, i);
    jp_index(p, ap, i);
    if (node_object(e, p, err) < 0 || fn(e, p, base + i * elem_size, err) < 0)
      return -1;
  }
  return 1;
}

int get_string_map(const json_node *obj, const char *key, const char *path,
                   struct spec_key_value **items, size_t *len, struct berr **err) {
  const json_node *m;
  int r = get_object(obj, key, path, &m, err);
  if (r <= 0)
    return r;
  size_t n = json_object_len(m);
  if (n == 0)
    return 1;
  *items = calloc(n, sizeof(**items));
  if (*items == NULL)
    return berr_set(err, ENOMEM, "%s", key);
  *len = n;
  char mp[JP_MAX];
  jp_key(mp, path, key);
  for (size_t i = 0; i < n; i++) {
    char p[JP_MAX];
    const char *k = json_object_key(m, i);
    (*items)[i].key = strdup(k);
    if ((*items)[i].key == NULL)
      return berr_set(err, ENOMEM, "%s", key);
    if (node_string(json_object_value(m, i), jp_map(p, mp, k), &(*items)[i].value, err) < 0)
      return -1;
  }
  return 1;
}

static int parse_id_mapping(const json_node *n, const char *path, void *elem,
                            struct berr **err) {
  struct spec_id_mapping *m = elem;
  if (need(get_uint32(n, "containerID", path, &m->container_id, err), path, "containerID",
           err) < 0 ||
      need(get_uint32(n, "hostID", path, &m->host_id, err), path, "hostID", err) < 0 ||
      need(get_uint32(n, "size", path, &m->size, err), path, "size", err) < 0)
    return -1;
  /* what the kernel takes in uid_map: a range of at least one id that neither wraps nor
   * reaches 4294967295 (-1, "no id") on either side */
  if (m->size == 0)
    return spec_err(err, path, "size must be at least 1");
  if ((uint64_t)m->container_id + m->size > UINT32_MAX || (uint64_t)m->host_id + m->size > UINT32_MAX)
    return spec_err(err, path,
                    "containerID %" PRIu32 " / hostID %" PRIu32 " + size %" PRIu32
                    " goes past 4294967294, the highest id",
                    m->container_id, m->host_id, m->size);
  return 0;
}

int get_id_mappings(const json_node *obj, const char *key, const char *path,
                    struct spec_id_mapping **items, size_t *len, struct berr **err) {
  return get_object_array(obj, key, path, sizeof(**items), (void **)items, len,
                          parse_id_mapping, err);
}

/* ---------------------------------------------------------------- process */

static int parse_user(const json_node *proc, const char *path, struct spec_user *u,
                      struct berr **err) {
  const json_node *o, *gids;
  char up[JP_MAX];
  int r = get_object(proc, "user", path, &o, err);
  if (r <= 0)
    return r;
  jp_key(up, path, "user");
  if (need(get_id(o, "uid", up, &u->uid, err), up, "uid", err) < 0 ||
      need(get_id(o, "gid", up, &u->gid, err), up, "gid", err) < 0)
    return -1;
  r = get_uint32(o, "umask", up, &u->umask, err);
  if (r < 0)
    return -1;
  u->has_umask = r > 0;
  if (get_string(o, "username", up, &u->username, err) < 0)
    return -1;
  r = get_array(o, "additionalGids", up, &gids, err);
  if (r <= 0)
    return r;
  size_t n = json_array_len(gids);
  if (n == 0)
    return 0;
  u->additional_gids = calloc(n, sizeof(uint32_t));
  if (u->additional_gids == NULL)
    return berr_set(err, ENOMEM, "%s", up);
  char gp[JP_MAX];
  jp_key(gp, up, "additionalGids");
  for (size_t i = 0; i < n; i++) {
    char p[JP_MAX];
    uint64_t v;
    if (node_uint(json_array_at(gids, i), jp_index(p, gp, i), SPEC_ID_MAX,
                  "an id (0 to 2147483647)", &v, err) < 0)
      return -1;
    u->additional_gids[i] = (uint32_t)v;
    u->additional_gids_len = i + 1;
  }
  return 0;
}

/* Parses one capability set into a bitmask; 1 if present. */
static int parse_cap_set(const json_node *caps, const char *key, const char *path, uint64_t *mask,
                         struct berr **err) {
  cleanup_strv char **names = NULL;
  struct spec_string_list l = {0};
  int r = get_string_list(caps, key, path, &l, err);
  names = l.items; /* freed on return */
  if (r <= 0)
    return r;
  for (size_t i = 0; i < l.len; i++) {
    int cap = cap_from_name(l.items[i]);
    if (cap < 0) {
      char kp[JP_MAX], p[JP_MAX];
      return spec_err(err, jp_index(p, jp_key(kp, path, key), i), "unknown capability \"%s\"",
                      l.items[i]);
    }
    *mask |= UINT64_C(1) << cap;
  }
  return 1;
}

static int parse_capabilities(const json_node *proc, const char *path,
                              struct spec_capabilities **out, struct berr **err) {
  const json_node *o;
  char cp[JP_MAX];
  int r = get_object(proc, "capabilities", path, &o, err);
  if (r <= 0)
    return r;
  struct spec_capabilities *c = calloc(1, sizeof(*c));
  if (c == NULL)
    return berr_set(err, ENOMEM, "%s", path);
  *out = c;
  jp_key(cp, path, "capabilities");
  static const char *const sets[] = {"bounding", "effective", "inheritable", "permitted",
                                     "ambient"};
  uint64_t *masks[] = {&c->bounding, &c->effective, &c->inheritable, &c->permitted, &c->ambient};
  bool *has[] = {&c->has_bounding, &c->has_effective, &c->has_inheritable, &c->has_permitted,
                 &c->has_ambient};
  for (size_t i = 0; i < 5; i++) {
    r = parse_cap_set(o, sets[i], cp, masks[i], err);
    if (r < 0)
      return -1;
    *has[i] = r > 0;
  }
  return 0;
}

static int parse_rlimit(const json_node *n, const char *path, void *elem, struct berr **err) {
  struct spec_rlimit *rl = elem;
  char p[JP_MAX];
  if (need(get_string(n, "type", path, &rl->type, err), path, "type", err) < 0)
    return -1;
  rl->resource = rlimit_from_name(rl->type);
  if (rl->resource < 0)
    return spec_err(err, jp_key(p, path, "type"), "unknown rlimit \"%s\"", rl->type);
  if (need(get_uint64(n, "soft", path, &rl->soft, err), path, "soft", err) < 0 ||
      need(get_uint64(n, "hard", path, &rl->hard, err), path, "hard", err) < 0)
    return -1;
  if (rl->soft > rl->hard)
    return spec_err(err, path, "soft limit %" PRIu64 " is greater than hard limit %" PRIu64,
                    rl->soft, rl->hard);
  return 0;
}

static int parse_rlimits(const json_node *proc, const char *path, struct spec_process *p,
                         struct berr **err) {
  if (get_object_array(proc, "rlimits", path, sizeof(*p->rlimits), (void **)&p->rlimits,
                       &p->rlimits_len, parse_rlimit, err) < 0)
    return -1;
  for (size_t i = 0; i < p->rlimits_len; i++)
    for (size_t j = 0; j < i; j++)
      if (p->rlimits[i].resource == p->rlimits[j].resource) {
        char rp[JP_MAX], ip[JP_MAX], tp[JP_MAX];
        jp_index(ip, jp_key(rp, path, "rlimits"), i);
        return spec_err(err, jp_key(tp, ip, "type"), "duplicate rlimit \"%s\"",
                        p->rlimits[i].type);
      }
  return 0;
}

static int parse_scheduler(const json_node *proc, const char *path, struct spec_scheduler **out,
                           struct berr **err) {
  const json_node *o;
  char sp[JP_MAX], p[JP_MAX];
  cleanup_free char *policy = NULL;
  int r = get_object(proc, "scheduler", path, &o, err);
  if (r <= 0)
    return r;
  struct spec_scheduler *s = calloc(1, sizeof(*s));
  if (s == NULL)
    return berr_set(err, ENOMEM, "%s", path);
  *out = s;
  jp_key(sp, path, "scheduler");
  if (need(get_string(o, "policy", sp, &policy, err), sp, "policy", err) < 0)
    return -1;
  s->policy = sched_policy_from_name(policy);
  if (s->policy < 0)
    return spec_err(err, jp_key(p, sp, "policy"), "unknown scheduler policy \"%s\"", policy);
  if (get_int32(o, "nice", sp, &s->nice, err) < 0 ||
      get_int32(o, "priority", sp, &s->priority, err) < 0 ||
      get_uint64(o, "runtime", sp, &s->runtime, err) < 0 ||
      get_uint64(o, "deadline", sp, &s->deadline, err) < 0 ||
      get_uint64(o, "period", sp, &s->period, err) < 0)
    return -1;
  struct spec_string_list flags = {0};
  r = get_string_list(o, "flags", sp, &flags, err);
  for (size_t i = 0; r > 0 && i < flags.len; i++) {
    uint64_t f;
    if (sched_flag_from_name(flags.items[i], &f) < 0) {
      char fp[JP_MAX];
      r = spec_err(err, jp_index(p, jp_key(fp, sp, "flags"), i), "unknown scheduler flag \"%s\"",
                   flags.items[i]);
      break;
    }
    s->flags |= f;
  }
  spec_string_list_free(&flags);
  return r < 0 ? -1 : 0;
}

static int parse_io_priority(const json_node *proc, const char *path,
                             struct spec_io_priority **out, struct berr **err) {
  const json_node *o;
  char ip[JP_MAX], p[JP_MAX];
  cleanup_free char *klass = NULL;
  int r = get_object(proc, "ioPriority", path, &o, err);
  if (r <= 0)
    return r;
  struct spec_io_priority *io = calloc(1, sizeof(*io));
  if (io == NULL)
    return berr_set(err, ENOMEM, "%s", path);
  *out = io;
  jp_key(ip, path, "ioPriority");
  if (need(get_string(o, "class", ip, &klass, err), ip, "class", err) < 0)
    return -1;
  io->klass = ioprio_class_from_name(klass);
  if (io->klass < 0)
    return spec_err(err, jp_key(p, ip, "class"), "unknown I/O priority class \"%s\"", klass);
  return get_int32(o, "priority", ip, &io->priority, err) < 0 ? -1 : 0;
}

static int parse_process_extras(const json_node *o, const char *path, struct spec_process *p,
                                struct berr **err) {
  const json_node *cs, *aff;
  char cp[JP_MAX];
  int r = get_object(o, "consoleSize", path, &cs, err);
  if (r < 0)
    return -1;
  if (r > 0) {
    p->console_size = calloc(1, sizeof(*p->console_size));
    if (p->console_size == NULL)
      return berr_set(err, ENOMEM, "%s", path);
    jp_key(cp, path, "consoleSize");
    if (need(get_uint64(cs, "height", cp, &p->console_size->height, err), cp, "height", err) < 0 ||
        need(get_uint64(cs, "width", cp, &p->console_size->width, err), cp, "width", err) < 0)
      return -1;
  }
  r = get_object(o, "execCPUAffinity", path, &aff, err);
  if (r < 0)
    return -1;
  if (r > 0) {
    p->exec_cpu_affinity = calloc(1, sizeof(*p->exec_cpu_affinity));
    if (p->exec_cpu_affinity == NULL)
      return berr_set(err, ENOMEM, "%s", path);
    jp_key(cp, path, "execCPUAffinity");
    if (get_string(aff, "initial", cp, &p->exec_cpu_affinity->initial, err) < 0 ||
        get_string(aff, "final", cp, &p->exec_cpu_affinity->final, err) < 0)
      return -1;
  }
  r = get_int(o, "oomScoreAdj", path, &p->oom_score_adj, err);
  if (r < 0)
    return -1;
  p->has_oom_score_adj = r > 0;
  if (get_bool(o, "noNewPrivileges", path, &p->no_new_privileges, err) < 0 ||
      get_label(o, "apparmorProfile", path, &p->apparmor_profile, err) < 0 ||
      get_label(o, "selinuxLabel", path, &p->selinux_label, err) < 0 ||
      get_string(o, "commandLine", path, &p->command_line, err) < 0)
    return -1;
  return 0;
}

/* Parses a process object at path ("process" in config.json, "" in process.json). */
static int parse_process_fields(const json_node *o, const char *path, struct spec_process *p,
                                struct berr **err) {
  char p1[JP_MAX];
  if (get_bool(o, "terminal", path, &p->terminal, err) < 0)
    return -1;
  if (need(get_string(o, "cwd", path, &p->cwd, err), path, "cwd", err) < 0 ||
      spec_require_abs(jp_key(p1, path, "cwd"), p->cwd, err) < 0)
    return -1;
  if (need(get_string_list(o, "args", path, &p->args, err), path, "args", err) < 0)
    return -1;
  if (p->args.len == 0)
    return spec_err(err, jp_key(p1, path, "args"), "must contain at least one entry");
  if (get_string_list(o, "env", path, &p->env, err) < 0 || parse_user(o, path, &p->user, err) < 0 ||
      parse_capabilities(o, path, &p->capabilities, err) < 0 ||
      parse_rlimits(o, path, p, err) < 0 || parse_scheduler(o, path, &p->scheduler, err) < 0 ||
      parse_io_priority(o, path, &p->io_priority, err) < 0 ||
      parse_process_extras(o, path, p, err) < 0)
    return -1;
  return 0;
}

static int parse_process(const json_node *n, const char *path, struct spec_process **out,
                         struct berr **err) {
  if (node_object(n, path, err) < 0)
    return -1;
  struct spec_process *p = calloc(1, sizeof(*p));
  if (p == NULL)
    return berr_set(err, ENOMEM, "parse process");
  if (parse_process_fields(n, path, p, err) < 0) {
    spec_process_free(p);
    return -1;
  }
  *out = p;
  return 0;
}

/* ----------------------------------------------------------------- mounts */

static int append_data(char **data, const char *opt, const char *path, struct berr **err) {
  char *joined = NULL;
  int r = *data ? asprintf(&joined, "%s,%s", *data, opt) : asprintf(&joined, "%s", opt);
  if (r < 0)
    return berr_set(err, ENOMEM, "%s", path);
  free(*data);
  *data = joined;
  return 0;
}

static void apply_flag_option(struct spec_mount *m, const struct mount_option *o) {
  if (o->clear) {
    m->flags &= ~o->flag;
    m->clear_flags |= o->flag;
  } else {
    m->flags |= o->flag;
    m->clear_flags &= ~o->flag;
  }
}

/* The atime modes are an enum inside MOUNT_ATTR__ATIME, not bits: mount_setattr(2)
 * takes a new mode only with all of MOUNT_ATTR__ATIME in attr_clr, and refuses a
 * partial MOUNT_ATTR__ATIME in attr_clr (EINVAL). So every atime option sets a whole
 * mode: clearing one (ratime, rnostrictatime) falls back to the kernel's default,
 * relatime, as "atime"/"nostrictatime" do in mount(8); rnorelatime is strictatime. */
static bool is_atime_attr(const struct mount_option *o) {
  return (o->attr & MOUNT_ATTR__ATIME) == o->attr; /* relatime is 0 */
}

static void apply_attr_option(struct spec_mount *m, const struct mount_option *o) {
  m->attr_recursive = true;
  if (is_atime_attr(o)) {
    uint64_t mode = o->attr;
    if (o->clear)
      mode = o->attr == MOUNT_ATTR_RELATIME ? MOUNT_ATTR_STRICTATIME : MOUNT_ATTR_RELATIME;
    m->attr_clr |= MOUNT_ATTR__ATIME;
    m->attr_set = (m->attr_set & ~(uint64_t)MOUNT_ATTR__ATIME) | mode;
  } else if (o->clear) {
    m->attr_clr |= o->attr;
    m->attr_set &= ~o->attr;
  } else {
    m->attr_clr &= ~o->attr;
    m->attr_set |= o->attr;
  }
}

static int apply_extension_option(struct spec_mount *m, const struct mount_option *o) {
  if (strcmp(o->name, "tmpcopyup") == 0)
    m->tmpcopyup = true;
  else if (strcmp(o->name, "idmap") == 0)
    m->idmap = true;
  else if (strcmp(o->name, "ridmap") == 0)
    m->ridmap = true;
  return 0;
}

/* Translates options[] through the mount option table. */
static int translate_mount_options(struct spec_mount *m, const char *path, struct berr **err) {
  char op[JP_MAX], p[JP_MAX];
  jp_key(op, path, "options");
  /* type "bind" is a bind mount even without a bind/rbind option */
  if (m->type && strcmp(m->type, "bind") == 0) {
    m->is_bind = true;
    m->flags |= MS_BIND;
  }
  for (size_t i = 0; i < m->options.len; i++) {
    const struct mount_option *o = mount_option_lookup(m->options.items[i]);
    if (o && o->kind == MOPT_FLAG && (o->flag & MS_BIND))
      m->is_bind = true;
  }
  for (size_t i = 0; i < m->options.len; i++) {
    const char *name = m->options.items[i];
    const struct mount_option *o = mount_option_lookup(name);
    if (*name == '\0')
      continue;
    if (o == NULL) {
      /* filesystem data (key=value) means nothing to a bind: the kernel ignores it, and runc
       * and engines pass it (mode=755, size=1k); a bare unknown word is a typo of a flag */
      if (m->is_bind && strchr(name, '=') != NULL && name[0] != '=') {
        log_debug("%s: \"%s\" ignored: filesystem data means nothing to a bind mount",
                  jp_index(p, op, i), name);
        continue;
      }
      if (m->is_bind)
        return spec_err(err, jp_index(p, op, i),
                        "unknown option \"%s\" for a bind mount (neither a mount flag nor "
                        "key=value filesystem data)",
                        name);
      if (append_data(&m->data, name, path, err) < 0)
        return -1;
      continue;
    }
    switch (o->kind) {
    case MOPT_FLAG:
      apply_flag_option(m, o);
      break;
    case MOPT_PROPAGATION:
      m->propagation = o->flag;
      break;
    case MOPT_ATTR:
      apply_attr_option(m, o);
      break;
    case MOPT_EXTENSION:
      apply_extension_option(m, o);
      break;
    }
  }
  return 0;
}

static int parse_mount(const json_node *n, const char *path, void *elem, struct berr **err) {
  struct spec_mount *m = elem;
  char p[JP_MAX];
  if (need(get_string(n, "destination", path, &m->destination, err), path, "destination", err) <
          0 ||
      spec_require_abs(jp_key(p, path, "destination"), m->destination, err) < 0)
    return -1;
  /* from here on errors name the mount by index and destination: "mounts[3] (/data).type" */
  char mp[JP_MAX];
  snprintf(mp, sizeof(mp), "%s (%s)", path, m->destination);
  if (get_string(n, "source", mp, &m->source, err) < 0 ||
      get_string(n, "type", mp, &m->type, err) < 0 ||
      get_string_list(n, "options", mp, &m->options, err) < 0 ||
      get_id_mappings(n, "uidMappings", mp, &m->uid_mappings, &m->uid_mappings_len, err) < 0 ||
      get_id_mappings(n, "gidMappings", mp, &m->gid_mappings, &m->gid_mappings_len, err) < 0)
    return -1;
  bool has_uid = json_get(n, "uidMappings") != NULL, has_gid = json_get(n, "gidMappings") != NULL;
  if (has_uid != has_gid)
    return spec_err(err, jp_key(p, mp, has_uid ? "uidMappings" : "gidMappings"),
                    "must be specified along with %s", has_uid ? "gidMappings" : "uidMappings");
  return translate_mount_options(m, mp, err);
}

/* ------------------------------------------------------------------ hooks */

static int parse_hook(const json_node *n, const char *path, void *elem, struct berr **err) {
  struct spec_hook *h = elem;
  char p[JP_MAX];
  if (need(get_string(n, "path", path, &h->path, err), path, "path", err) < 0 ||
      spec_require_abs(jp_key(p, path, "path"), h->path, err) < 0)
    return -1;
  if (get_string_list(n, "args", path, &h->args, err) < 0 ||
      get_string_list(n, "env", path, &h->env, err) < 0)
    return -1;
  int r = get_int(n, "timeout", path, &h->timeout, err);
  if (r < 0)
    return -1;
  h->has_timeout = r > 0;
  if (h->has_timeout && h->timeout < 1)
    return spec_err(err, jp_key(p, path, "timeout"), "must be at least 1, got %d", h->timeout);
  return 0;
}

static int parse_hooks(const json_node *root, struct spec_hooks *hooks, struct berr **err) {
  /* in the order of hook_name_at() (tables.c) */
  struct spec_hook_list *lists[] = {&hooks->prestart,        &hooks->create_runtime,
                                    &hooks->create_container, &hooks->start_container,
                                    &hooks->poststart,       &hooks->poststop};
  const json_node *o;
  int r = get_object(root, "hooks", "", &o, err);
  if (r <= 0)
    return r;
  for (size_t i = 0; hook_name_at(i); i++)
    if (get_object_array(o, hook_name_at(i), "hooks", sizeof(struct spec_hook),
                         (void **)&lists[i]->items, &lists[i]->len, parse_hook, err) < 0)
      return -1;
  return 0;
}

/* ------------------------------------------------------------- top level */

static int check_oci_version(const char *v, struct berr **err) {
  /* every 1.x.y (with any pre-release suffix): "1.0.2-dev", "1.3.0", "1.4.0" */
  if (v[0] == '1' && v[1] == '.' && v[2] >= '0' && v[2] <= '9')
    return 0;
  return spec_err(err, "ociVersion", "unsupported version \"%s\" (berth supports 1.x)", v);
}

static int parse_root(const json_node *root, struct spec_root *r, struct berr **err) {
  const json_node *o;
  if (need(get_object(root, "root", "", &o, err), "", "root", err) < 0)
    return -1;
  if (need(get_string(o, "path", "root", &r->path, err), "root", "path", err) < 0 ||
      get_bool(o, "readonly", "root", &r->readonly, err) < 0)
    return -1;
  if (r->path[0] == '\0')
    return spec_err(err, "root.path", "must not be empty");
  return 0;
}

int spec_stop_signal(const struct spec_key_value *annotations, size_t len) {
  for (size_t i = 0; i < len; i++)
    if (strcmp(annotations[i].key, SPEC_STOP_SIGNAL_KEY) == 0)
      return signal_from_name(annotations[i].value);
  return 0;
}

static int parse_spec_fields(const json_node *root, struct spec *s, struct berr **err) {
  const json_node *n;
  if (node_object(root, "", err) < 0)
    return -1;
  if (need(get_string(root, "ociVersion", "", &s->oci_version, err), "", "ociVersion", err) < 0 ||
      check_oci_version(s->oci_version, err) < 0)
    return -1;
  if (parse_root(root, &s->root, err) < 0)
    return -1;
  n = json_get(root, "process");
  if (n && json_type_of(n) != JSON_NULL && parse_process(n, "process", &s->process, err) < 0)
    return -1;
  if (get_string(root, "hostname", "", &s->hostname, err) < 0 ||
      get_string(root, "domainname", "", &s->domainname, err) < 0)
    return -1;
  if (get_object_array(root, "mounts", "", sizeof(*s->mounts), (void **)&s->mounts,
                       &s->mounts_len, parse_mount, err) < 0)
    return -1;
  if (parse_hooks(root, &s->hooks, err) < 0)
    return -1;
  if (get_string_map(root, "annotations", "", &s->annotations, &s->annotations_len, err) < 0)
    return -1;
  if (spec_stop_signal(s->annotations, s->annotations_len) < 0)
    return spec_err(err, "annotations[\"" SPEC_STOP_SIGNAL_KEY "\"]",
                    "not a signal (SIGTERM, SIGRTMIN+3, 15, ...)");
  const json_node *lo;
  int r = get_object(root, "linux", "", &lo, err);
  if (r < 0 || (r > 0 && spec_parse_linux(lo, "linux", &s->linux, err) < 0))
    return -1;
  return 0;
}

int spec_parse(const char *text, size_t len, struct spec **out, struct berr **err) {
  cleanup_json json_node *root = NULL;
  if (json_parse(text, len, &root, err) < 0)
    return berr_prefix(err, "config.json");
  struct spec *s = calloc(1, sizeof(*s));
  if (s == NULL)
    return berr_set(err, ENOMEM, "config.json");
  if (parse_spec_fields(root, s, err) < 0) {
    spec_free(s);
    return berr_prefix(err, "config.json");
  }
  *out = s;
  return 0;
}

int spec_parse_process(const char *text, size_t len, struct spec_process **out,
                       struct berr **err) {
  cleanup_json json_node *root = NULL;
  if (json_parse(text, len, &root, err) < 0 || parse_process(root, "", out, err) < 0)
    return berr_prefix(err, "process.json");
  return 0;
}

/* Reads a whole file with one open/fstat/read. */
static int read_regular_at(int dirfd, const char *name, char **out, size_t *len) {
  cleanup_close int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0)
    return -1;
  if (!S_ISREG(st.st_mode)) {
    errno = EINVAL;
    return -1;
  }
  if ((size_t)st.st_size > INPUT_MAX) {
    errno = EFBIG;
    return -1;
  }
  cleanup_free char *buf = malloc((size_t)st.st_size + 1);
  if (buf == NULL)
    return -1;
  size_t done = 0;
  while (done < (size_t)st.st_size) {
    ssize_t n = read(fd, buf + done, (size_t)st.st_size - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -1;
    if (n == 0)
      break;
    done += (size_t)n;
  }
  buf[done] = '\0';
  *len = done;
  *out = steal_ptr(&buf);
  return 0;
}

int spec_load_text(const char *bundle, struct spec **out, char **text_out, size_t *len_out,
                   struct berr **err) {
  cleanup_close int dirfd = open(bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
  cleanup_free char *text = NULL;
  size_t len = 0;
  if (dirfd < 0 || read_regular_at(dirfd, "config.json", &text, &len) < 0)
    return berr_errno(err, "open config.json in bundle %s", bundle);
  if (spec_parse(text, len, out, err) < 0)
    return -1;
  if (text_out) {
    *text_out = steal_ptr(&text);
    *len_out = len;
  }
  return 0;
}

int spec_load_bundle(const char *bundle, struct spec **out, struct berr **err) {
  return spec_load_text(bundle, out, NULL, NULL, err);
}

int spec_load_copy(int dirfd, const char *name, struct spec **out, struct berr **err) {
  cleanup_free char *text = NULL;
  size_t len = 0;
  if (read_regular_at(dirfd, name, &text, &len) < 0)
    return berr_errno(err, "open %s", name);
  return spec_parse(text, len, out, err);
}

int spec_copy_cgroups_path(int dirfd, const char *name, char **out) {
  cleanup_free char *text = NULL;
  size_t len = 0;
  *out = NULL;
  if (read_regular_at(dirfd, name, &text, &len) < 0)
    return -1;
  /* a key is spelt out in the text unless written with \u escapes: without either, the field
   * is absent and nothing needs parsing (berth spec's and most bundles' configs) */
  if (memmem(text, len, "cgroupsPath", 11) == NULL && memmem(text, len, "\\u", 2) == NULL)
    return 0;
  static const char *const path[] = {"linux", "cgroupsPath"};
  return json_lookup_string(text, len, path, 2, out) < 0 ? -1 : 0;
}

/* ---------------------------------------------------------------- helpers */

const struct spec_namespace *spec_find_namespace(const struct spec *s, enum spec_ns_type t) {
  if (s == NULL || s->linux == NULL)
    return NULL;
  for (size_t i = 0; i < s->linux->namespaces_len; i++)
    if (s->linux->namespaces[i].type == t)
      return &s->linux->namespaces[i];
  return NULL;
}

bool spec_has_new_namespace(const struct spec *s, enum spec_ns_type t) {
  const struct spec_namespace *ns = spec_find_namespace(s, t);
  return ns != NULL && ns->path == NULL;
}
