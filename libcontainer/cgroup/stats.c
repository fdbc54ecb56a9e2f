/* events --stats: the container's usage read from its cgroup files, written as the "data"
 * object of runc's stats event (libcontainer/cgroups/stats.go names and units: nanoseconds for
 * cpu, bytes for memory). Each controller is read from the hierarchy that holds it (v1 file
 * names there, v2 names in the unified hierarchy); a controller that is missing is left out. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../cleanup.h"
#include "../json.h"
#include "internal.h"

/* "key value" lines (cpu.stat, memory.stat, cpuacct.stat): the value of key. */
static bool kv_get(const char *text, const char *key, uint64_t *v) {
  size_t l = strlen(key);
  for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
    if (strncmp(p, key, l) == 0 && p[l] == ' ') {
      *v = strtoull(p + l + 1, NULL, 10);
      return true;
    }
  return false;
}

/* A file holding one number; "max" reads as max_value. */
static bool read_u64(const char *dir, const char *file, uint64_t max_value, uint64_t *v) {
  cleanup_free char *t = cg_read(dir, file);
  if (t == NULL || *t == '\0')
    return false;
  *v = strcmp(t, "max") == 0 ? max_value : strtoull(t, NULL, 10);
  return true;
}

static void kv_u64(json_writer *w, const char *key, const char *dir, const char *file,
                   uint64_t max_value) {
  uint64_t v = 0;
  read_u64(dir, file, max_value, &v);
  jw_kv_uint(w, key, v);
}

/* The hierarchy that holds ctl and has the container's directory. */
static const struct cg_hier *hier(const struct cgroup *cg, const char *ctl) {
  const struct cg_hier *h = cg_find(cg, ctl);
  return h && access(h->dir, F_OK) == 0 ? h : NULL;
}

static void cpu_stats(const struct cgroup *cg, json_writer *w) {
  const struct cg_hier *acct = hier(cg, "cpuacct"), *cpu = hier(cg, "cpu");
  if (acct == NULL && cpu && cpu->v2)
    acct = cpu;
  jw_key(w, "cpu");
  jw_object_begin(w);
  jw_key(w, "usage");
  jw_object_begin(w);
  uint64_t total = 0, user = 0, sys = 0;
  if (acct && acct->v2) {
    cleanup_free char *st = cg_read(acct->dir, "cpu.stat");
    kv_get(st, "usage_usec", &total);
    kv_get(st, "user_usec", &user);
    kv_get(st, "system_usec", &sys);
    total *= 1000;
    user *= 1000;
    sys *= 1000;
  } else if (acct) {
    cleanup_free char *st = cg_read(acct->dir, "cpuacct.stat");
    read_u64(acct->dir, "cpuacct.usage", 0, &total);
    long hz = sysconf(_SC_CLK_TCK); /* cpuacct.stat counts USER_HZ ticks */
    if (kv_get(st, "user", &user) && hz > 0)
      user = user * (1000000000ULL / (uint64_t)hz);
    if (kv_get(st, "system", &sys) && hz > 0)
      sys = sys * (1000000000ULL / (uint64_t)hz);
  }
  jw_kv_uint(w, "total", total);
  jw_key(w, "percpu");
  jw_array_begin(w);
  cleanup_free char *percpu = acct && !acct->v2 ? cg_read(acct->dir, "cpuacct.usage_percpu") : NULL;
  for (char *p = percpu, *end; p && *p; p = end) {
    uint64_t v = strtoull(p, &end, 10);
    if (end == p)
      break;
    jw_uint(w, v);
  }
  jw_array_end(w);
  jw_kv_uint(w, "kernel", sys);
  jw_kv_uint(w, "user", user);
  jw_object_end(w);
  uint64_t periods = 0, throttled = 0, ttime = 0;
  if (cpu) {
    cleanup_free char *st = cg_read(cpu->dir, "cpu.stat");
    kv_get(st, "nr_periods", &periods);
    kv_get(st, "nr_throttled", &throttled);
    if (cpu->v2 ? kv_get(st, "throttled_usec", &ttime) : kv_get(st, "throttled_time", &ttime))
      ttime *= cpu->v2 ? 1000 : 1;
  }
  jw_key(w, "throttling");
  jw_object_begin(w);
  jw_kv_uint(w, "periods", periods);
  jw_kv_uint(w, "throttled_periods", throttled);
  jw_kv_uint(w, "throttled_time", ttime);
  jw_object_end(w);
  jw_object_end(w);
}

static void mem_entry(json_writer *w, const char *key, const char *dir, const char *prefix,
                      bool v2) {
  char f[96];
  jw_key(w, key);
  jw_object_begin(w);
  if (v2) { /* prefix: "memory" or "memory.swap" */
    snprintf(f, sizeof(f), "%s.current", prefix);
    kv_u64(w, "usage", dir, f, UINT64_MAX);
    snprintf(f, sizeof(f), "%s.peak", prefix);
    kv_u64(w, "max", dir, f, UINT64_MAX);
    snprintf(f, sizeof(f), "%s.max", prefix);
    kv_u64(w, "limit", dir, f, UINT64_MAX);
    jw_kv_uint(w, "failcnt", 0);
  } else { /* prefix: "memory" or "memory.memsw" */
    const char *names[][2] = {{"usage", "usage_in_bytes"}, {"max", "max_usage_in_bytes"},
                              {"limit", "limit_in_bytes"}, {"failcnt", "failcnt"}};
    for (size_t i = 0; i < 4; i++) {
      snprintf(f, sizeof(f), "%s.%s", prefix, names[i][1]);
      kv_u64(w, names[i][0], dir, f, UINT64_MAX);
    }
  }
  jw_object_end(w);
}

static void memory_stats(const struct cgroup *cg, json_writer *w) {
  const struct cg_hier *h = hier(cg, "memory");
  if (h == NULL)
    return;
  cleanup_free char *st = cg_read(h->dir, "memory.stat");
  uint64_t cache = 0;
  kv_get(st, h->v2 ? "file" : "total_cache", &cache);
  jw_key(w, "memory");
  jw_object_begin(w);
  jw_kv_uint(w, "cache", cache);
  mem_entry(w, "usage", h->dir, "memory", h->v2);
  mem_entry(w, "swap", h->dir, h->v2 ? "memory.swap" : "memory.memsw", h->v2);
  jw_key(w, "raw");
  jw_object_begin(w);
  for (char *line = st, *nl; line && *line; line = nl ? nl + 1 : NULL) {
    nl = strchr(line, '\n');
    char *sp = strchr(line, ' ');
    if (sp == NULL || (nl && sp > nl))
      continue;
    *sp = '\0';
    jw_kv_uint(w, line, strtoull(sp + 1, NULL, 10));
  }
  jw_object_end(w);
  jw_object_end(w);
}

static void pids_stats(const struct cgroup *cg, json_writer *w) {
  const struct cg_hier *h = hier(cg, "pids");
  if (h == NULL)
    return;
  jw_key(w, "pids");
  jw_object_begin(w);
  kv_u64(w, "current", h->dir, "pids.current", 0);
  kv_u64(w, "limit", h->dir, "pids.max", 0); /* "max" is 0: no limit, as runc reports it */
  jw_object_end(w);
}

static void blkio_entry(json_writer *w, long maj, long min, const char *op, uint64_t v) {
  jw_object_begin(w);
  jw_kv_uint(w, "major", (uint64_t)maj);
  jw_kv_uint(w, "minor", (uint64_t)min);
  jw_kv_string(w, "op", op);
  jw_kv_uint(w, "value", v);
  jw_object_end(w);
}

/* v1: "8:0 Read 4096" lines ("Total N" skipped). */
static void blkio_v1_list(json_writer *w, const char *key, const char *dir, const char *file) {
  cleanup_free char *t = cg_read(dir, file);
  jw_key(w, key);
  jw_array_begin(w);
  for (char *line = t, *nl; line && *line; line = nl ? nl + 1 : NULL) {
    nl = strchr(line, '\n');
    long maj, min;
    char op[16];
    unsigned long long v;
    if (sscanf(line, "%ld:%ld %15s %llu", &maj, &min, op, &v) == 4)
      blkio_entry(w, maj, min, op, v);
  }
  jw_array_end(w);
}

/* v2: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 ..." lines. */
static void blkio_v2_list(json_writer *w, const char *key, const char *text, const char *rkey,
                          const char *wkey) {
  jw_key(w, key);
  jw_array_begin(w);
  for (const char *line = text; line && *line;) {
    const char *nl = strchr(line, '\n');
    long maj, min;
    uint64_t r = 0, wr = 0;
    char buf[512];
    snprintf(buf, sizeof(buf), "%.*s", nl ? (int)(nl - line) : (int)strlen(line), line);
    if (sscanf(buf, "%ld:%ld", &maj, &min) == 2) {
      for (char *tok = strtok(buf, " "); tok; tok = strtok(NULL, " ")) {
        char *eq = strchr(tok, '=');
        if (eq && (size_t)(eq - tok) == strlen(rkey) && strncmp(tok, rkey, eq - tok) == 0)
          r = strtoull(eq + 1, NULL, 10);
        else if (eq && (size_t)(eq - tok) == strlen(wkey) && strncmp(tok, wkey, eq - tok) == 0)
          wr = strtoull(eq + 1, NULL, 10);
      }
      blkio_entry(w, maj, min, "Read", r);
      blkio_entry(w, maj, min, "Write", wr);
    }
    line = nl ? nl + 1 : NULL;
  }
  jw_array_end(w);
}

static void blkio_stats(const struct cgroup *cg, json_writer *w) {
  const struct cg_hier *h = hier(cg, "blkio");
  if (h == NULL)
    h = hier(cg, "io");
  if (h == NULL)
    return;
  jw_key(w, "blkio");
  jw_object_begin(w);
  if (h->v2) {
    cleanup_free char *t = cg_read(h->dir, "io.stat");
    blkio_v2_list(w, "ioServiceBytesRecursive", t, "rbytes", "wbytes");
    blkio_v2_list(w, "ioServicedRecursive", t, "rios", "wios");
  } else {
    /* the CFQ files when the kernel has them, else the throttle layer's */
    bool cfq = cg_file_exists(h->dir, "blkio.io_service_bytes_recursive");
    blkio_v1_list(w, "ioServiceBytesRecursive", h->dir,
                  cfq ? "blkio.io_service_bytes_recursive"
                      : "blkio.throttle.io_service_bytes_recursive");
    blkio_v1_list(w, "ioServicedRecursive", h->dir,
                  cfq ? "blkio.io_serviced_recursive" : "blkio.throttle.io_serviced_recursive");
  }
  jw_object_end(w);
}

static void hugetlb_stats(const struct cgroup *cg, json_writer *w) {
  const struct cg_hier *h = hier(cg, "hugetlb");
  jw_key(w, "hugetlb");
  jw_object_begin(w);
  cleanup_dir DIR *d = h ? opendir(h->dir) : NULL;
  const char *usage = h && h->v2 ? ".current" : ".usage_in_bytes";
  struct dirent *de;
  while (d && (de = readdir(d)) != NULL) {
    const char *n = de->d_name;
    size_t l = strlen(n), ul = strlen(usage);
    if (strncmp(n, "hugetlb.", 8) != 0 || l <= 8 + ul || strcmp(n + l - ul, usage) != 0 ||
        strstr(n, ".rsvd."))
      continue;
    char size[32], f[128];
    snprintf(size, sizeof(size), "%.*s", (int)(l - 8 - ul), n + 8);
    jw_key(w, size);
    jw_object_begin(w);
    kv_u64(w, "usage", h->dir, n, UINT64_MAX);
    snprintf(f, sizeof(f), h->v2 ? "hugetlb.%s.max" : "hugetlb.%s.max_usage_in_bytes", size);
    kv_u64(w, "max", h->dir, f, UINT64_MAX);
    uint64_t failcnt = 0;
    if (h->v2) {
      snprintf(f, sizeof(f), "hugetlb.%s.events", size);
      cleanup_free char *ev = cg_read(h->dir, f);
      kv_get(ev, "max", &failcnt);
    } else {
      snprintf(f, sizeof(f), "hugetlb.%s.failcnt", size);
      read_u64(h->dir, f, 0, &failcnt);
    }
    jw_kv_uint(w, "failcnt", failcnt);
    jw_object_end(w);
  }
  jw_object_end(w);
}

int cgroup_stats_fields(const char *path, json_writer *w, struct berr **err) {
  cleanup_cgroup struct cgroup *cg = NULL;
  if (cg_open_stored(path, &cg, err) < 0)
    return -1;
  cpu_stats(cg, w);
  memory_stats(cg, w);
  pids_stats(cg, w);
  blkio_stats(cg, w);
  hugetlb_stats(cg, w);
  return 0;
}

int cgroup_stats(const char *path, json_writer *w, struct berr **err) {
  jw_object_begin(w);
  int r = cgroup_stats_fields(path, w, err);
  jw_object_end(w);
  return r;
}
