/* events --stats: the "intel_rdt" object, as runc's types.IntelRdt names its fields, from the
 * resctrl files the host has (info/L3, info/MB, the schemata of the root and the container's
 * group, mon_data of its MON group or, without one, of its group). */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "resctrl.h"
#include "util.h"

/* The trimmed first line of dirfd/path, or NULL. */
static char *read_line(int dirfd, const char *path) {
  char *text = NULL;
  if (read_file_at(dirfd, path, &text, NULL, NULL) < 0)
    return NULL;
  text[strcspn(text, "\n")] = '\0';
  return text;
}

static bool read_u64(int dirfd, const char *path, uint64_t *v) {
  cleanup_free char *s = read_line(dirfd, path);
  char *end;
  if (s == NULL || s[0] < '0' || s[0] > '9')
    return false;
  *v = strtoull(s, &end, 10);
  return *end == '\0';
}

static void kv_u64(json_writer *w, int dirfd, const char *key, const char *path) {
  uint64_t v;
  if (read_u64(dirfd, path, &v) && v != 0) /* runc: omitempty */
    jw_kv_uint(w, key, v);
}

/* The line of resource res ("L3", "MB") of dirfd/schemata, trimmed, as runc reports it. */
static void kv_schema(json_writer *w, int dirfd, const char *key, const char *res) {
  cleanup_free char *text = NULL;
  if (dirfd < 0 || read_file_at(dirfd, "schemata", &text, NULL, NULL) < 0)
    return;
  size_t rlen = strlen(res);
  for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
    l += strspn(l, " ");
    if (strncmp(l, res, rlen) == 0 && l[rlen] == ':') {
      jw_kv_string(w, key, l);
      return;
    }
  }
}

static void l3_info(json_writer *w, int rootfd) {
  cleanup_free char *mask = read_line(rootfd, "info/L3/cbm_mask");
  if (mask == NULL)
    return;
  jw_key(w, "l3_cache_info");
  jw_object_begin(w);
  if (mask[0])
    jw_kv_string(w, "cbm_mask", mask);
  kv_u64(w, rootfd, "min_cbm_bits", "info/L3/min_cbm_bits");
  kv_u64(w, rootfd, "num_closids", "info/L3/num_closids");
  jw_object_end(w);
}

static void mb_info(json_writer *w, int rootfd) {
  if (faccessat(rootfd, "info/MB", F_OK, 0) < 0)
    return;
  jw_key(w, "mem_bw_info");
  jw_object_begin(w);
  kv_u64(w, rootfd, "bandwidth_gran", "info/MB/bandwidth_gran");
  kv_u64(w, rootfd, "delay_linear", "info/MB/delay_linear");
  kv_u64(w, rootfd, "min_bandwidth", "info/MB/min_bandwidth");
  kv_u64(w, rootfd, "num_closids", "info/MB/num_closids");
  jw_object_end(w);
}

static int compare_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* mon_data/mon_L3_XX of the monitored directory, sorted; NULL-terminated. */
static char **l3_domains(int mondir) {
  cleanup_close int fd = openat(mondir, "mon_data", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = fd < 0 ? NULL : fdopendir(fd);
  if (d == NULL)
    return NULL;
  fd = -1;
  char **names = calloc(1, sizeof(char *));
  size_t n = 0;
  for (struct dirent *de; names && (de = readdir(d)) != NULL;) {
    if (strncmp(de->d_name, "mon_L3_", 7) != 0)
      continue;
    char **nn = realloc(names, (n + 2) * sizeof(char *));
    if (nn == NULL)
      break;
    names = nn;
    if (asprintf(&names[n], "mon_data/%s", de->d_name) >= 0)
      names[++n] = NULL;
  }
  closedir(d);
  if (names && n)
    qsort(names, n, sizeof(char *), compare_names);
  return names;
}

/* "mbm_stats": [{mbm_total_bytes, mbm_local_bytes}...] or "cmt_stats": [{llc_occupancy}...],
 * one per L3 domain, when the host counts them. */
static void mon_stats(json_writer *w, int mondir, char **doms, const char *key,
                      const char *const *files) {
  char path[512];
  uint64_t v;
  snprintf(path, sizeof(path), "%s/%s", doms[0], files[0]);
  if (faccessat(mondir, path, F_OK, 0) < 0)
    return;
  jw_key(w, key);
  jw_array_begin(w);
  for (size_t i = 0; doms[i]; i++) {
    jw_object_begin(w);
    for (size_t f = 0; files[f]; f++) {
      snprintf(path, sizeof(path), "%s/%s", doms[i], files[f]);
      jw_kv_uint(w, files[f], read_u64(mondir, path, &v) ? v : 0);
    }
    jw_object_end(w);
  }
  jw_array_end(w);
}

void resctrl_stats(int rootfd, const struct resctrl_group *g, const char *id, json_writer *w) {
  static const char *const mbm[] = {"mbm_total_bytes", "mbm_local_bytes", NULL};
  static const char *const cmt[] = {"llc_occupancy", NULL};
  cleanup_close int gfd = openat(rootfd, strcmp(g->name, RESCTRL_ROOT_GROUP) ? g->name : ".",
                                 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  cleanup_free char *mon = NULL;
  if (g->mon && asprintf(&mon, "mon_groups/%s", id) < 0)
    mon = NULL;
  cleanup_close int mondir =
      gfd < 0 ? -1 : mon ? openat(gfd, mon, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                          : fcntl(gfd, F_DUPFD_CLOEXEC, 0);
  jw_object_begin(w);
  l3_info(w, rootfd);
  kv_schema(w, rootfd, "l3_cache_schema_root", "L3");
  kv_schema(w, gfd, "l3_cache_schema", "L3");
  mb_info(w, rootfd);
  kv_schema(w, rootfd, "mem_bw_schema_root", "MB");
  kv_schema(w, gfd, "mem_bw_schema", "MB");
  cleanup_strv char **doms = mondir < 0 ? NULL : l3_domains(mondir);
  if (doms && doms[0]) {
    mon_stats(w, mondir, doms, "mbm_stats", mbm);
    mon_stats(w, mondir, doms, "cmt_stats", cmt);
  }
  jw_object_end(w);
}
