/* exec --cgroup: an exec'd process placed in an existing sub-cgroup of the container's, as
 * runc's `exec --cgroup [CONTROLLER[,CONTROLLER]:]PATH` does. PATH is relative to the
 * container's cgroup and may not leave it (no "..", ".", empty or absolute parts); berth does
 * not create it. A plain PATH applies to every hierarchy (the only form on cgroup v2); a
 * CONTROLLER:PATH only to the v1 hierarchies holding that controller, which take it over the
 * plain one. Hierarchies without a matching spec get the container's cgroup itself. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "internal.h"

struct sub_spec {
  const char *arg;  /* as given, for messages */
  char *ctls;       /* "cpu,memory"; NULL: every hierarchy */
  const char *path; /* points into arg */
  bool used;
};

static int check_sub_path(const char *arg, const char *path, struct berr **err) {
  if (path[0] == '\0' || path[0] == '/')
    goto bad;
  for (const char *p = path;;) {
    size_t l = strcspn(p, "/");
    if (l == 0 || (l == 1 && p[0] == '.') || (l == 2 && p[0] == '.' && p[1] == '.'))
      goto bad;
    if (p[l] == '\0')
      return 0;
    p += l + 1;
  }
bad:
  return berr_code(err, EINVAL,
                  "--cgroup \"%s\": the path must be relative to the container's cgroup and "
                  "stay below it (no \"..\", \".\" or empty parts)",
                  arg);
}

static int parse_subs(char *const *args, struct sub_spec *out, size_t n, bool unified,
                      struct berr **err) {
  bool have_all = false;
  for (size_t i = 0; i < n; i++) {
    const char *colon = strchr(args[i], ':');
    out[i].arg = args[i];
    out[i].path = colon ? colon + 1 : args[i];
    if (colon && (colon == args[i] || unified))
      return berr_code(err, EINVAL, "--cgroup \"%s\": %s", args[i],
                      unified ? "cgroup v2 has one hierarchy: give only a path"
                              : "the controller before ':' is empty");
    if (colon && (out[i].ctls = strndup(args[i], colon - args[i])) == NULL)
      return berr_set(err, ENOMEM, "--cgroup");
    if (!colon && have_all)
      return berr_code(err, EINVAL, "--cgroup \"%s\": a path for every controller was already given",
                      args[i]);
    have_all |= !colon;
    if (check_sub_path(args[i], out[i].path, err) < 0)
      return -1;
  }
  return 0;
}

/* The spec for one hierarchy: a CONTROLLER:PATH naming one of its controllers, else the plain
 * PATH, else NULL. */
static struct sub_spec *match(struct sub_spec *s, size_t n, const struct cg_hier *h) {
  struct sub_spec *all = NULL;
  for (size_t i = 0; i < n; i++) {
    if (s[i].ctls == NULL) {
      all = &s[i];
      continue;
    }
    if (h->v2)
      continue;
    cleanup_free char *list = strdup(s[i].ctls);
    char *save = NULL;
    for (char *c = list ? strtok_r(list, ",", &save) : NULL; c; c = strtok_r(NULL, ",", &save))
      if (cg_list_has(h->ctls, c))
        return s[i].used = true, &s[i];
  }
  return all ? (all->used = true, all) : NULL;
}

static int enter_sub(const struct cg_hier *h, struct sub_spec *s, pid_t pid, struct berr **err) {
  cleanup_free char *dir = NULL;
  if (asprintf(&dir, "%s/%s", h->dir, s->path) < 0)
    return berr_set(err, ENOMEM, "--cgroup");
  if (access(dir, F_OK) != 0)
    return berr_errno(err, "--cgroup \"%s\": %s (berth does not create it)", s->arg, dir);
  if (cg_writef(dir, "cgroup.procs", "cgroup", err, "%d", pid) < 0)
    return berr_prefix(err, "--cgroup \"%s\"", s->arg);
  return 0;
}

int cgroup_enter_sub_path(const char *path, char *const *subs, pid_t pid, struct berr **err) {
  size_t n = 0;
  while (subs[n])
    n++;
  cleanup_cgroup struct cgroup *cg = NULL;
  if (cg_open_stored(path, &cg, err) < 0)
    return -1;
  struct sub_spec *s = calloc(n + 1, sizeof(*s));
  if (s == NULL)
    return berr_set(err, ENOMEM, "--cgroup");
  struct sub_spec **m = calloc(cg->n + 1, sizeof(*m));
  int r = m ? parse_subs(subs, s, n, cg->unified, err) : berr_set(err, ENOMEM, "--cgroup");
  /* a hierarchy without the container's directory was not ours to join */
  for (size_t i = 0; i < cg->n && r == 0; i++)
    m[i] = cg_file_exists(cg->h[i].dir, "cgroup.procs") ? match(s, n, &cg->h[i]) : NULL;
  for (size_t i = 0; i < n && r == 0; i++)
    if (!s[i].used)
      r = berr_code(err, EINVAL, "--cgroup \"%s\": no cgroup hierarchy of the container has %s",
                    s[i].arg, s[i].ctls ? s[i].ctls : "it");
  for (size_t i = 0; i < cg->n && r == 0; i++) {
    const struct cg_hier *h = &cg->h[i];
    if (m[i])
      r = enter_sub(h, m[i], pid, err);
    else if (cg_file_exists(h->dir, "cgroup.procs") &&
             cg_writef(h->dir, "cgroup.procs", "cgroup", err, "%d", pid) < 0)
      r = berr_prefix(err, "enter pid %d into %s", pid, h->dir);
  }
  free(m);
  for (size_t i = 0; i < n; i++)
    free(s[i].ctls);
  free(s);
  return r;
}
