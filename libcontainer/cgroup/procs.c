/* The processes of a cgroup: cgroup.procs of its directory and every sub-cgroup (ps lists
 * them, delete and kill --all signal them), read in one hierarchy (the processes are the same
 * in all of them). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../cleanup.h"
#include "internal.h"

struct pidset {
  pid_t *v;
  size_t n, cap;
};

static int pidset_add(struct pidset *s, pid_t pid) {
  for (size_t i = 0; i < s->n; i++)
    if (s->v[i] == pid)
      return 0;
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 32;
    pid_t *v = realloc(s->v, cap * sizeof(*v));
    if (v == NULL)
      return -1;
    s->v = v;
    s->cap = cap;
  }
  s->v[s->n++] = pid;
  return 0;
}

static int walk(const char *dir, cg_pid_fn fn, void *data, int depth, struct berr **err) {
  cleanup_free char *procs = cg_read(dir, "cgroup.procs");
  if (procs == NULL)
    return errno == ENOENT && depth > 0 ? 0 : berr_errno(err, "cgroup: read %s/cgroup.procs", dir);
  for (char *p = procs; *p;) {
    char *end;
    long pid = strtol(p, &end, 10);
    if (end == p)
      break;
    if (pid > 0 && fn((pid_t)pid, data, err) < 0)
      return -1;
    p = end + strspn(end, "\n");
  }
  if (depth > 32)
    return 0;
  cleanup_dir DIR *d = opendir(dir);
  struct dirent *de;
  while (d && (de = readdir(d)) != NULL) {
    if (de->d_type != DT_DIR || de->d_name[0] == '.')
      continue;
    cleanup_free char *sub = NULL;
    if (asprintf(&sub, "%s/%s", dir, de->d_name) < 0)
      return berr_set(err, ENOMEM, "cgroup");
    if (walk(sub, fn, data, depth + 1, err) < 0)
      return -1;
  }
  return 0;
}

int cg_for_each_pid(const char *dir, cg_pid_fn fn, void *data, struct berr **err) {
  return walk(dir, fn, data, 0, err);
}

static int collect(pid_t pid, void *set, struct berr **err) {
  return pidset_add(set, pid) < 0 ? berr_set(err, ENOMEM, "cgroup") : 0;
}

int cgroup_pids(const char *path, pid_t **out, size_t *n, struct berr **err) {
  cleanup_cgroup struct cgroup *cg = NULL;
  if (cg_open_stored(path, &cg, err) < 0)
    return -1;
  /* the pids controller's hierarchy when there is one, else any that has the directory */
  const struct cg_hier *h = cg_find(cg, "pids");
  if (h == NULL || access(h->dir, F_OK) != 0) {
    h = NULL;
    for (size_t i = 0; i < cg->n && h == NULL; i++)
      if (access(cg->h[i].dir, F_OK) == 0)
        h = &cg->h[i];
  }
  if (h == NULL)
    return berr_set(err, ENOENT, "cgroup %s: not found in any hierarchy", path);
  struct pidset s = {0};
  if (cg_for_each_pid(h->dir, collect, &s, err) < 0) {
    free(s.v);
    return -1;
  }
  *out = s.v;
  *n = s.n;
  return 0;
}
