/* --systemd-cgroup: the unit's name and cgroup from linux.cgroupsPath, and the properties of
 * StartTransientUnit from linux.resources (runc's mapping). Pure logic: no D-Bus traffic. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cleanup.h"
#include "../scheduling.h"
#include "../state.h"
#include "internal.h"

#define FIELD "linux.cgroupsPath"
#define INFINITY_U64 UINT64_MAX
#define CPU_BITS 8192

void cgroup_unit_clear(struct cgroup_unit *u) {
  free(u->slice);
  free(u->unit);
  free(u->path);
  *u = (struct cgroup_unit){0};
}

/* What systemd accepts in a unit name's prefix ([A-Za-z0-9:_.@\-]; ':' separates our parts),
 * not starting with '.' (a cgroup directory must not be hidden, ".", or ".."). */
static bool unit_chars_ok(const char *s, size_t n) {
  if (n > 0 && s[0] == '.')
    return false;
  for (size_t i = 0; i < n; i++)
    if (!(('a' <= s[i] && s[i] <= 'z') || ('A' <= s[i] && s[i] <= 'Z') ||
          ('0' <= s[i] && s[i] <= '9') || strchr("_.@-\\", s[i])))
      return false;
  return n > 0;
}

/* "a-b-c.slice" -> "/a.slice/a-b.slice/a-b-c.slice", "-.slice" -> "" (the root), as systemd
 * nests slices by their dashes. */
int cg_systemd_slice_path(const char *slice, char **out, const char *cp, struct berr **err) {
  size_t l = strlen(slice);
  if (l <= 6 || strcmp(slice + l - 6, ".slice") != 0 || l > 255)
    return berr_code(err, EINVAL, FIELD " \"%s\": \"%s\" is not a slice (a name ending in .slice)",
                     cp, slice);
  size_t n = l - 6;
  if (n == 1 && slice[0] == '-')
    return (*out = strdup("")) ? 0 : berr_set(err, ENOMEM, "cgroup");
  if (!unit_chars_ok(slice, n) || slice[0] == '-' || slice[n - 1] == '-' ||
      strstr(slice, "--") != NULL)
    return berr_code(err, EINVAL, FIELD " \"%s\": invalid slice name \"%s\"", cp, slice);
  char buf[4096] = "";
  size_t used = 0;
  for (size_t i = 0; i <= n; i++) {
    if (i < n && slice[i] != '-')
      continue;
    /* one level per dash: the name up to here plus ".slice" */
    used += (size_t)snprintf(buf + used, sizeof(buf) - used, "/%.*s.slice", (int)i, slice);
    if (used >= sizeof(buf))
      return berr_code(err, ENAMETOOLONG, FIELD " \"%s\": slice name too long", cp);
  }
  return (*out = strdup(buf)) ? 0 : berr_set(err, ENOMEM, "cgroup");
}

/* The name part of the default unit "berth-<name>.scope" from the container id. systemd's
 * unit names take no '+', which container ids may hold: escaped as systemd-escape does
 * ("\x2b"). The unit name must stay within 255 bytes: a longer one takes the form of a long
 * id's state directory ('_', the id's first 200 bytes with '+' as '_', '-', its hash). */
static void default_unit_part(const char *id, char *out, size_t cap) {
  size_t o = 0;
  const char *p = id;
  for (; *p && o + 5 < cap; p++) {
    if (*p == '+') {
      memcpy(out + o, "\\x2b", 4);
      o += 4;
    } else {
      out[o++] = *p;
    }
  }
  out[o] = '\0';
  if (*p == '\0' && o > 0 && o <= 255 - strlen("berth-.scope"))
    return;
  o = (size_t)snprintf(out, cap, "_%.200s", id);
  for (size_t i = 1; i < o; i++)
    if (out[i] == '+')
      out[i] = '_';
  snprintf(out + o, cap - o, "-%016llx", (unsigned long long)container_id_hash(id));
}

/* "slice:prefix:name" (runc's and crun's form; podman's "machine.slice:libpod:<id>") */
int cgroup_systemd_unit(const char *cgroups_path, const char *id, struct cgroup_unit *u,
                        struct berr **err) {
  *u = (struct cgroup_unit){0};
  char def[1100];
  const char *cp = cgroups_path;
  if (cp == NULL || cp[0] == '\0') {
    char name[1024] = "";
    if (id)
      default_unit_part(id, name, sizeof(name));
    snprintf(def, sizeof(def), "system.slice:berth:%s", name);
    cp = def;
  }
  const char *c1 = strchr(cp, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
  if (c2 == NULL || strchr(c2 + 1, ':'))
    return berr_code(err, EINVAL,
                     FIELD " \"%s\": with --systemd-cgroup it must be \"slice:prefix:name\" "
                     "(e.g. \"system.slice:berth:c1\")",
                     cp);
  cleanup_free char *slice = c1 == cp ? strdup("system.slice") : strndup(cp, (size_t)(c1 - cp));
  cleanup_free char *prefix = strndup(c1 + 1, (size_t)(c2 - c1 - 1));
  const char *name = c2 + 1;
  cleanup_free char *parent = NULL;
  if (slice == NULL || prefix == NULL)
    return berr_set(err, ENOMEM, "cgroup");
  if (cg_systemd_slice_path(slice, &parent, cp, err) < 0)
    return -1;
  if (!unit_chars_ok(name, strlen(name)) || (prefix[0] && !unit_chars_ok(prefix, strlen(prefix))))
    return berr_code(err, EINVAL,
                     FIELD " \"%s\": the prefix and name may only hold letters, digits and "
                     "\"_.@-\\\", must not start with \".\", and the name must not be empty",
                     cp);
  size_t nl = strlen(name);
  u->is_slice = nl > 6 && strcmp(name + nl - 6, ".slice") == 0;
  if (u->is_slice) {
    /* a slice unit: systemd places it by its own name, which must be under the given slice */
    cleanup_free char *own = NULL;
    if (cg_systemd_slice_path(name, &own, cp, err) < 0)
      return -1;
    size_t pl = strlen(parent);
    if (strncmp(own, parent, pl) != 0 || own[pl] != '/' || strchr(own + pl + 1, '/'))
      return berr_code(err, EINVAL,
                       FIELD " \"%s\": the slice %s is not a child of %s (systemd nests slices "
                       "by the dashes in their names)",
                       cp, name, slice);
    u->unit = strdup(name);
  } else if (asprintf(&u->unit, "%s%s%s.scope", prefix, prefix[0] ? "-" : "", name) < 0) {
    u->unit = NULL;
  }
  if (u->unit == NULL || asprintf(&u->path, "%s/%s", parent, u->unit) < 0) {
    u->path = NULL;
    cgroup_unit_clear(u);
    return berr_set(err, ENOMEM, "cgroup");
  }
  if (strlen(u->unit) > 255) {
    cgroup_unit_clear(u);
    return berr_code(err, ENAMETOOLONG, FIELD " \"%s\": the unit name is longer than 255", cp);
  }
  u->slice = steal_ptr(&slice);
  return 0;
}

/* ---- properties: a(sv) ---- */

static void prop(struct dbus_buf *b, const char *name, const char *sig) {
  dbus_struct_begin(b);
  dbus_put_string(b, name);
  dbus_variant_begin(b, sig);
}

static void prop_u64(struct dbus_buf *b, const char *name, uint64_t v) {
  prop(b, name, "t");
  dbus_put_u64(b, v);
}

static void prop_bool(struct dbus_buf *b, const char *name, bool v) {
  prop(b, name, "b");
  dbus_put_bool(b, v);
}

static void prop_string(struct dbus_buf *b, const char *name, const char *v) {
  prop(b, name, "s");
  dbus_put_string(b, v);
}

/* AllowedCPUs / AllowedMemoryNodes: a bitmask as bytes, cpu 8i+j in bit j of byte i */
static int prop_cpuset(struct dbus_buf *b, const char *name, const char *list, const char *field,
                       struct berr **err) {
  unsigned long mask[CPU_BITS / (sizeof(unsigned long) * CHAR_BIT)];
  if (idlist_parse(list, mask, CPU_BITS, field, err) < 0)
    return -1;
  const size_t lb = sizeof(unsigned long) * CHAR_BIT;
  size_t n = 0;
  for (size_t i = 0; i < CPU_BITS; i++)
    if (mask[i / lb] & (1UL << (i % lb)))
      n = i / 8 + 1;
  prop(b, name, "ay");
  size_t at = dbus_array_begin(b, 1);
  for (size_t i = 0; i < n; i++) {
    uint8_t byte = 0;
    for (size_t j = 0; j < 8; j++)
      if (mask[(8 * i + j) / lb] & (1UL << ((8 * i + j) % lb)))
        byte |= (uint8_t)(1u << j);
    dbus_put_byte(b, byte);
  }
  dbus_array_end(b, at, 1);
  return 0;
}

static int memory_props(struct dbus_buf *b, const struct spec_memory *m, struct berr **err) {
  if (m->has_limit && m->limit != 0)
    prop_u64(b, "MemoryMax", m->limit < 0 ? INFINITY_U64 : (uint64_t)m->limit);
  if (m->has_reservation && m->reservation != 0)
    prop_u64(b, "MemoryLow", m->reservation < 0 ? INFINITY_U64 : (uint64_t)m->reservation);
  if (m->has_swap) {
    int64_t sv = 0;
    if (cg_v2_swap_value(m, &sv, err) < 0)
      return -1;
    if (sv != 0 || m->swap > 0)
      prop_u64(b, "MemorySwapMax", sv < 0 ? INFINITY_U64 : (uint64_t)sv);
  }
  return 0;
}

static int cpu_props(struct dbus_buf *b, const struct spec_cpu *c, struct berr **err) {
  if (c->has_shares && c->shares != 0)
    prop_u64(b, "CPUWeight", cg_v2_cpu_weight(c->shares));
  uint64_t period = c->has_period && c->period ? c->period : 100000;
  if (c->has_quota && c->quota != 0) {
    uint64_t per_sec = INFINITY_U64;
    if (c->quota > 0) {
      /* systemd keeps a percentage: round up to 10 ms per second, so the kernel's own
       * cpu.max (written after) is never above what systemd would restore */
      per_sec = (uint64_t)c->quota * 1000000 / period;
      if (per_sec % 10000)
        per_sec = (per_sec / 10000 + 1) * 10000;
    }
    prop_u64(b, "CPUQuotaPerSecUSec", per_sec);
  }
  if (c->has_period && c->period)
    prop_u64(b, "CPUQuotaPeriodUSec", c->period);
  if (c->cpus && *c->cpus &&
      prop_cpuset(b, "AllowedCPUs", c->cpus, "linux.resources.cpu.cpus", err) < 0)
    return -1;
  if (c->mems && *c->mems &&
      prop_cpuset(b, "AllowedMemoryNodes", c->mems, "linux.resources.cpu.mems", err) < 0)
    return -1;
  return 0;
}

static int resource_props(struct dbus_buf *b, const struct spec_resources *r, struct berr **err) {
  if (r == NULL)
    return 0;
  if (r->memory && memory_props(b, r->memory, err) < 0)
    return -1;
  if (r->cpu && cpu_props(b, r->cpu, err) < 0)
    return -1;
  if (r->has_pids_limit && r->pids_limit != 0)
    prop_u64(b, "TasksMax", r->pids_limit < 0 ? INFINITY_U64 : (uint64_t)r->pids_limit);
  if (r->block_io && r->block_io->has_weight && r->block_io->weight >= 10 &&
      r->block_io->weight <= 1000)
    prop_u64(b, "IOWeight", 1 + ((uint64_t)r->block_io->weight - 10) * 9999 / 990);
  return 0;
}

static void unit_props(struct dbus_buf *b, const struct cgroup_unit *u, const char *description,
                       pid_t pid) {
  if (description)
    prop_string(b, "Description", description);
  if (u->is_slice) {
    /* a slice's parent comes from its name; Wants= orders it after the parent */
    prop(b, "Wants", "as");
    size_t w = dbus_array_begin(b, 4);
    dbus_put_string(b, u->slice);
    dbus_array_end(b, w, 4);
  } else {
    prop_string(b, "Slice", u->slice);
    prop_bool(b, "Delegate", true);
  }
  prop_bool(b, "DefaultDependencies", false);
  if (pid > 0 && !u->is_slice) {
    prop(b, "PIDs", "au");
    size_t p = dbus_array_begin(b, 4);
    dbus_put_u32(b, (uint32_t)pid);
    dbus_array_end(b, p, 4);
  }
  const char *accounting[] = {"MemoryAccounting", "CPUAccounting", "IOAccounting",
                              "TasksAccounting"};
  for (size_t i = 0; i < sizeof(accounting) / sizeof(accounting[0]); i++)
    prop_bool(b, accounting[i], true);
}

int cgroup_systemd_properties(const struct cgroup_unit *u, const char *description,
                              const struct spec_resources *res, pid_t pid, struct dbus_buf *b,
                              struct berr **err) {
  size_t at = dbus_array_begin(b, 8);
  if (u) /* NULL: the resources alone (SetUnitProperties for update) */
    unit_props(b, u, description, pid);
  if (resource_props(b, res, err) < 0)
    return -1;
  dbus_array_end(b, at, 8);
  if (b->oom)
    return berr_set(err, ENOMEM, "systemd properties");
  return 0;
}
