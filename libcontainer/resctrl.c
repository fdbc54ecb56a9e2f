/* linux.intelRdt: see resctrl.h. */
#include "resctrl.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "util.h"

#define RDTGROUP_SUPER_MAGIC 0x7655821
#define MOUNT_HINT                                                                                 \
  "(it needs a CPU with Intel RDT or AMD PQoS and `mount -t resctrl resctrl /sys/fs/resctrl`)"

void resctrl_group_clear(struct resctrl_group *g) {
  free(steal_ptr(&g->name));
  free(steal_ptr(&g->old_schemata));
  g->created = g->mon = false;
}

bool resctrl_group_name_ok(const char *name) {
  if (name == NULL || name[0] == '\0')
    return false;
  if (strcmp(name, RESCTRL_ROOT_GROUP) == 0)
    return true;
  return strcmp(name, ".") != 0 && strcmp(name, "..") != 0 && strchr(name, '/') == NULL &&
         strchr(name, '\n') == NULL && strlen(name) <= 255;
}

/* ---- the mount ---- */

/* The mount point of the first resctrl filesystem in /proc/self/mountinfo (malloc'ed), or NULL. */
static char *find_mount(struct berr **err) {
  cleanup_fclose FILE *f = fopen("/proc/self/mountinfo", "re");
  if (f == NULL) {
    berr_errno(err, "linux.intelRdt: open /proc/self/mountinfo");
    return NULL;
  }
  cleanup_free char *line = NULL;
  size_t cap = 0;
  while (getline(&line, &cap, f) > 0) {
    char mp[4096], fstype[64];
    const char *sep = strstr(line, " - ");
    if (sep && sscanf(line, "%*s %*s %*s %*s %4095s", mp) == 1 &&
        sscanf(sep + 3, "%63s", fstype) == 1 && strcmp(fstype, "resctrl") == 0) {
      mountinfo_unescape(mp);
      return strdup(mp);
    }
  }
  return NULL;
}

int resctrl_open(int *rootfd, struct berr **err) {
  cleanup_berr struct berr *e = NULL;
  cleanup_free char *mp = find_mount(&e);
  if (mp == NULL && e) {
    return berr_move(err, &e);
  }
  if (mp == NULL)
    return berr_code(err, ENOENT, "linux.intelRdt: no resctrl filesystem is mounted " MOUNT_HINT);
  cleanup_close int fd = open(mp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return berr_errno(err, "linux.intelRdt: open the resctrl mount %s", mp);
  struct statfs fs;
  if (fstatfs(fd, &fs) < 0)
    return berr_errno(err, "linux.intelRdt: statfs %s", mp);
  /* something else mounted over it since mountinfo was read */
  if (fs.f_type != RDTGROUP_SUPER_MAGIC)
    return berr_code(err, ENOENT, "linux.intelRdt: %s is not a resctrl filesystem " MOUNT_HINT,
                     mp);
  *rootfd = steal_fd(&fd);
  return 0;
}

/* ---- files of a group ---- */

static bool is_root(const char *name) {
  return strcmp(name, RESCTRL_ROOT_GROUP) == 0;
}

/* "g1/" for a group's paths in messages, "" for the root group's ("mon_groups/c1"). */
static const char *dir_of(const char *name, char buf[260]) {
  if (is_root(name))
    return "";
  snprintf(buf, 260, "%s/", name);
  return buf;
}

static int open_group(int rootfd, const char *name) {
  return openat(rootfd, is_root(name) ? "." : name,
                O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* ` (resctrl: <info/last_cmd_status>)`, the kernel's reason for a refused write, or "". */
static void last_cmd_status(int rootfd, char *buf, size_t size) {
  cleanup_free char *text = NULL;
  buf[0] = '\0';
  if (read_file_at(rootfd, "info/last_cmd_status", &text, NULL, NULL) < 0)
    return;
  text[strcspn(text, "\n")] = '\0';
  if (text[0] && strcmp(text, "ok") != 0)
    snprintf(buf, size, " (resctrl: %s)", text);
}

/* Writes one line (schemata lines end with a newline, or the kernel refuses them). */
static int write_line(int rootfd, int gfd, const char *file, const char *line, bool newline,
                      struct berr **err) {
  cleanup_free char *data = NULL;
  int n = asprintf(&data, "%s%s", line, newline ? "\n" : "");
  if (n < 0)
    return berr_set(err, ENOMEM, "write %s", file);
  /* resctrl ignores the offset; O_APPEND keeps every line in a plain file (the unit tests'
   * stand-in for resctrl) */
  cleanup_close int fd = openat(gfd, file, O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0)
    return berr_errno(err, "open %s", file);
  if (write_all(fd, data, (size_t)n) < 0) {
    int e = errno;
    char why[512];
    last_cmd_status(rootfd, why, sizeof(why));
    return berr_set(err, e, "write %s%s", file, why);
  }
  return 0;
}

static const char *skip_space(const char *s) {
  while (*s == ' ' || *s == '\t')
    s++;
  return s;
}

/* The schemata text on one line, for messages: "L3:0=ff;1=ff, MB:0=100;1=100". */
static void flatten(const char *text, char *out, size_t size) {
  size_t o = 0;
  out[0] = '\0';
  for (const char *line = text; *line;) {
    size_t n = strcspn(line, "\n");
    const char *p = skip_space(line);
    int len = (int)(n - (size_t)(p - line));
    if (len > 0 && o < size)
      o += snprintf(out + o, size - o, "%s%.*s", o ? ", " : "", len, p);
    line += n + (line[n] == '\n');
  }
}

/* ---- comparing schemata ---- */

/* Equal values: as hex numbers when both parse (leading zeros, case), else as text. */
static bool value_equal(const char *a, size_t alen, const char *b, size_t blen) {
  char x[64], y[64];
  if (alen >= sizeof(x) || blen >= sizeof(y))
    return alen == blen && memcmp(a, b, alen) == 0;
  memcpy(x, a, alen), x[alen] = '\0';
  memcpy(y, b, blen), y[blen] = '\0';
  char *ex, *ey;
  errno = 0;
  unsigned long long vx = strtoull(x, &ex, 16), vy = strtoull(y, &ey, 16);
  if (errno == 0 && ex != x && ey != y && *ex == '\0' && *ey == '\0')
    return vx == vy;
  return strcmp(x, y) == 0;
}

/* The value of domain `dom` (dlen bytes) on a schemata line's "0=ff;1=f0" part, or NULL. */
static const char *find_domain(const char *list, const char *dom, size_t dlen, size_t *vlen) {
  for (const char *p = list; *p && *p != '\n';) {
    p = skip_space(p);
    size_t klen = strcspn(p, "=;\n");
    const char *k_end = p + klen;
    while (klen > 0 && p[klen - 1] == ' ')
      klen--;
    if (*k_end != '=')
      return NULL;
    const char *v = skip_space(k_end + 1);
    size_t n = strcspn(v, ";\n");
    while (n > 0 && v[n - 1] == ' ')
      n--;
    if (klen == dlen && memcmp(p, dom, dlen) == 0) {
      *vlen = n;
      return v;
    }
    p = v + strcspn(v, ";\n");
    if (*p == ';')
      p++;
  }
  return NULL;
}

/* The "0=ff;1=f0" part of the schemata line for resource res (rlen bytes), or NULL. */
static const char *find_resource(const char *schemata, const char *res, size_t rlen) {
  for (const char *line = schemata; line && *line; line = strchr(line, '\n'), line += !!line) {
    const char *p = skip_space(line);
    if (strncmp(p, res, rlen) == 0 && *skip_space(p + rlen) == ':')
      return skip_space(p + rlen) + 1;
  }
  return NULL;
}

bool resctrl_schema_matches(const char *schemata, const char *want) {
  want = skip_space(want);
  size_t rlen = strcspn(want, ":");
  if (want[rlen] != ':')
    return false;
  while (rlen > 0 && want[rlen - 1] == ' ')
    rlen--;
  const char *have = find_resource(schemata, want, rlen);
  if (have == NULL)
    return false;
  const char *p = want + strcspn(want, ":") + 1;
  bool any = false;
  while (*(p = skip_space(p)) != '\0') {
    size_t dlen = strcspn(p, "=;");
    if (p[dlen] != '=')
      return false;
    const char *v = skip_space(p + dlen + 1);
    size_t vlen = strcspn(v, ";"), hlen = 0;
    while (dlen > 0 && p[dlen - 1] == ' ')
      dlen--;
    size_t vtrim = vlen;
    while (vtrim > 0 && v[vtrim - 1] == ' ')
      vtrim--;
    const char *h = find_domain(have, p, dlen, &hlen);
    if (h == NULL || !value_equal(v, vtrim, h, hlen))
      return false;
    any = true;
    p = v + vlen + (v[vlen] == ';');
  }
  return any;
}

/* ---- create ---- */

static bool has_schemas(const struct spec_intel_rdt *rdt) {
  return (rdt->l3_cache_schema && rdt->l3_cache_schema[0]) ||
         (rdt->mem_bw_schema && rdt->mem_bw_schema[0]) || rdt->schemata.len > 0;
}

/* l3CacheSchema and memBwSchema against an existing group's schemata file. */
static int check_existing(int gfd, const struct spec_intel_rdt *rdt, const char *name,
                          struct berr **err) {
  const char *fields[] = {"l3CacheSchema", "memBwSchema"};
  const char *values[] = {rdt->l3_cache_schema, rdt->mem_bw_schema};
  cleanup_free char *text = NULL;
  for (int i = 0; i < 2; i++) {
    if (values[i] == NULL || values[i][0] == '\0')
      continue;
    if (text == NULL && read_file_at(gfd, "schemata", &text, NULL, err) < 0)
      return berr_prefix(err, "linux.intelRdt: resctrl group \"%s\"", name);
    if (!resctrl_schema_matches(text, values[i])) {
      char have[1024];
      flatten(text, have, sizeof(have));
      return berr_code(err, EINVAL,
                       "linux.intelRdt.%s \"%s\": the existing resctrl group \"%s\" has other "
                       "values (its schemata: %s); use another closID, or the group's values",
                       fields[i], values[i], name, have);
    }
  }
  return 0;
}

int resctrl_make(int rootfd, const struct spec_intel_rdt *rdt, const char *id,
                 struct resctrl_group *g, resctrl_note_fn note, void *arg, struct berr **err) {
  bool clos = rdt->clos_id && rdt->clos_id[0];
  g->name = strdup(clos ? rdt->clos_id : id);
  if (g->name == NULL)
    return berr_set(err, ENOMEM, "linux.intelRdt");
  cleanup_close int gfd = open_group(rootfd, g->name);
  if (gfd >= 0)
    return check_existing(gfd, rdt, g->name, err);
  if (errno != ENOENT)
    return berr_errno(err, "linux.intelRdt: open resctrl group \"%s\"", g->name);
  if (clos && !has_schemas(rdt))
    return berr_code(err, ENOENT,
                     "linux.intelRdt.closID \"%s\": no such resctrl group; without "
                     "l3CacheSchema, memBwSchema or schemata it must exist beforehand",
                     g->name);
  g->created = true;
  if (note && note(arg, g, err) < 0)
    return -1;
  if (mkdirat(rootfd, g->name, 0755) < 0) {
    int e = errno;
    g->created = false;
    if (e == ENOSPC)
      return berr_set(err, e, "linux.intelRdt: make resctrl group \"%s\": no free class of "
                      "service (CLOSID) left", g->name);
    return berr_set(err, e, "linux.intelRdt: make resctrl group \"%s\"", g->name);
  }
  return 0;
}

static int write_schemas(int rootfd, int gfd, const struct spec_intel_rdt *rdt,
                         struct berr **err) {
  if (rdt->l3_cache_schema && rdt->l3_cache_schema[0] &&
      write_line(rootfd, gfd, "schemata", rdt->l3_cache_schema, true, err) < 0)
    return berr_prefix(err, "linux.intelRdt.l3CacheSchema \"%s\"", rdt->l3_cache_schema);
  if (rdt->mem_bw_schema && rdt->mem_bw_schema[0] &&
      write_line(rootfd, gfd, "schemata", rdt->mem_bw_schema, true, err) < 0)
    return berr_prefix(err, "linux.intelRdt.memBwSchema \"%s\"", rdt->mem_bw_schema);
  for (size_t i = 0; i < rdt->schemata.len; i++)
    if (write_line(rootfd, gfd, "schemata", rdt->schemata.items[i], true, err) < 0)
      return berr_prefix(err, "linux.intelRdt.schemata[%zu] \"%s\"", i, rdt->schemata.items[i]);
  return 0;
}

static int make_mon_group(int gfd, const char *id, struct resctrl_group *g, resctrl_note_fn note,
                          void *arg, struct berr **err) {
  char d[260];
  cleanup_close int mfd = openat(gfd, "mon_groups", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (mfd < 0 && errno == ENOENT)
    return berr_code(err, ENOTSUP,
                     "linux.intelRdt.enableMonitoring: resctrl group \"%s\" has no mon_groups: "
                     "this host has no resctrl monitoring (CMT/MBM)", g->name);
  if (mfd < 0)
    return berr_errno(err, "linux.intelRdt.enableMonitoring: open %smon_groups",
                      dir_of(g->name, d));
  if (faccessat(mfd, id, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    return berr_code(err, EEXIST,
                     "linux.intelRdt.enableMonitoring: MON group %smon_groups/%s already "
                     "exists: it would not be the container's own", dir_of(g->name, d), id);
  g->mon = true;
  if (note && note(arg, g, err) < 0)
    return -1;
  if (mkdirat(mfd, id, 0755) < 0) {
    int e = errno;
    g->mon = false;
    return berr_set(err, e, "linux.intelRdt.enableMonitoring: make MON group %smon_groups/%s%s",
                    dir_of(g->name, d), id,
                    e == ENOSPC ? " (no free monitoring id, RMID, left)" : "");
  }
  return 0;
}

int resctrl_configure(int rootfd, const struct spec_intel_rdt *rdt, const char *id,
                      struct resctrl_group *g, resctrl_note_fn note, void *arg,
                      struct berr **err) {
  cleanup_close int gfd = open_group(rootfd, g->name);
  if (gfd < 0)
    return berr_errno(err, "linux.intelRdt: open resctrl group \"%s\"", g->name);
  if (has_schemas(rdt)) {
    /* an existing group is someone else's too: put its values back if create fails */
    if (!g->created && read_file_at(gfd, "schemata", &g->old_schemata, NULL, err) < 0)
      return berr_prefix(err, "linux.intelRdt: resctrl group \"%s\"", g->name);
    if (write_schemas(rootfd, gfd, rdt, err) < 0)
      return -1;
  }
  if (rdt->enable_monitoring && make_mon_group(gfd, id, g, note, arg, err) < 0)
    return -1;
  return 0;
}

int resctrl_setup(int rootfd, const struct spec_intel_rdt *rdt, const char *id,
                  struct resctrl_group *g, resctrl_note_fn note, void *arg, struct berr **err) {
  if (resctrl_make(rootfd, rdt, id, g, note, arg, err) < 0 ||
      resctrl_configure(rootfd, rdt, id, g, note, arg, err) < 0)
    return -1;
  return 0;
}

static void restore_schemata(int rootfd, const struct resctrl_group *g) {
  cleanup_close int gfd = open_group(rootfd, g->name);
  char *save = NULL;
  cleanup_free char *text = strdup(g->old_schemata);
  for (char *line = text ? strtok_r(text, "\n", &save) : NULL; line;
       line = strtok_r(NULL, "\n", &save)) {
    cleanup_berr struct berr *e = NULL;
    const char *l = skip_space(line);
    if (*l && (gfd < 0 || write_line(rootfd, gfd, "schemata", l, true, &e) < 0))
      log_warn("linux.intelRdt: restore \"%s\" in resctrl group \"%s\": %s", l, g->name,
               e ? berr_message(&e) : strerror(errno));
  }
}

void resctrl_undo(int rootfd, struct resctrl_group *g, const char *id) {
  if (g->name == NULL)
    return;
  if (g->old_schemata)
    restore_schemata(rootfd, g);
  cleanup_berr struct berr *e = NULL;
  if (resctrl_remove(rootfd, g, id, false, &e) < 0)
    log_warn("%s", berr_message(&e));
}

/* ---- the container's processes ---- */

int resctrl_enter(int rootfd, const struct resctrl_group *g, const char *id, pid_t pid,
                  struct berr **err) {
  char d[260];
  char buf[32];
  snprintf(buf, sizeof(buf), "%d", (int)pid);
  cleanup_close int gfd = open_group(rootfd, g->name);
  if (gfd < 0)
    return berr_errno(err, "linux.intelRdt: open resctrl group \"%s\"", g->name);
  if (write_line(rootfd, gfd, "tasks", buf, false, err) < 0)
    return berr_prefix(err, "linux.intelRdt: put pid %d in resctrl group \"%s\"", (int)pid,
                       g->name);
  if (!g->mon)
    return 0;
  cleanup_free char *tasks = NULL;
  if (asprintf(&tasks, "mon_groups/%s/tasks", id) < 0)
    return berr_set(err, ENOMEM, "linux.intelRdt");
  if (write_line(rootfd, gfd, tasks, buf, false, err) < 0)
    return berr_prefix(err, "linux.intelRdt.enableMonitoring: put pid %d in MON group "
                       "%smon_groups/%s", (int)pid, dir_of(g->name, d), id);
  return 0;
}

/* ---- delete ---- */

/* True when dir's tasks file lists a task (or cannot be read: then it is not ours to judge). */
static bool has_tasks(int dirfd, const char *dir) {
  cleanup_free char *path = NULL, *text = NULL;
  if (asprintf(&path, "%s/tasks", dir) < 0)
    return true;
  if (read_file_at(dirfd, path, &text, NULL, NULL) < 0)
    return errno != ENOENT;
  return text[strspn(text, " \n")] != '\0';
}

static int remove_dir(int dirfd, const char *name, const char *what, bool only_unused,
                      struct berr **err) {
  if (only_unused && has_tasks(dirfd, name)) {
    log_warn("linux.intelRdt: %s \"%s\" has tasks: left alone", what, name);
    return 0;
  }
  if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return berr_errno(err, "linux.intelRdt: remove %s \"%s\"", what, name);
  return 0;
}

int resctrl_remove(int rootfd, const struct resctrl_group *g, const char *id, bool only_unused,
                   struct berr **err) {
  char d[260];
  if (g->mon) {
    cleanup_close int gfd = open_group(rootfd, g->name);
    cleanup_close int mfd =
        gfd < 0 ? -1 : openat(gfd, "mon_groups", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (mfd < 0 && errno != ENOENT)
      return berr_errno(err, "linux.intelRdt: open %smon_groups", dir_of(g->name, d));
    if (mfd >= 0 && remove_dir(mfd, id, "MON group", only_unused, err) < 0)
      return -1;
  }
  if (g->created && !is_root(g->name))
    return remove_dir(rootfd, g->name, "resctrl group", only_unused, err);
  return 0;
}

/* ---- update ---- */

int resctrl_update(int rootfd, const char *group, const char *l3_cache_schema,
                   const char *mem_bw_schema, struct berr **err) {
  cleanup_close int gfd = open_group(rootfd, group);
  if (gfd < 0)
    return berr_errno(err, "linux.intelRdt: open resctrl group \"%s\"", group);
  if (l3_cache_schema && write_line(rootfd, gfd, "schemata", l3_cache_schema, true, err) < 0)
    return berr_prefix(err, "--l3-cache-schema \"%s\"", l3_cache_schema);
  if (mem_bw_schema && write_line(rootfd, gfd, "schemata", mem_bw_schema, true, err) < 0)
    return berr_prefix(err, "--mem-bw-schema \"%s\"", mem_bw_schema);
  return 0;
}
