/* The cgroup API: mode detection, path computation, create/enter/destroy. The per-version work
 * lives in v1.c / v2.c and the resource writers in resources_v1.c / resources_v2.c. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "../cleanup.h"
#include "../log.h"
#include "../state.h"
#include "../util.h"
#include "internal.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* ---- small helpers ---- */

bool cg_list_has(const char *list, const char *ctl) {
  size_t l = strlen(ctl);
  for (const char *p = list; p && *p;) {
    size_t n = strcspn(p, ", \n");
    if (n == l && strncmp(p, ctl, l) == 0)
      return true;
    p += n;
    p += strspn(p, ", \n");
  }
  return false;
}

struct cg_hier *cg_find(const struct cgroup *cg, const char *ctl) {
  for (int want_v2 = 0; want_v2 <= 1; want_v2++)
    for (size_t i = 0; i < cg->n; i++)
      if (cg->h[i].v2 == want_v2 && cg_list_has(cg->h[i].ctls, ctl))
        return &cg->h[i];
  return NULL;
}

int cg_write(const char *dir, const char *file, const char *val, const char *field,
             struct berr **err) {
  cleanup_free char *p = NULL;
  if (asprintf(&p, "%s/%s", dir, file) < 0)
    return berr_set(err, ENOMEM, "%s: write %s", field, file);
  cleanup_close int fd = open(p, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return berr_errno(err, "%s: write %s", field, file);
  size_t len = strlen(val);
  ssize_t r = write(fd, val, len);
  if (r < 0)
    return berr_errno(err, "%s: write %s \"%s\"", field, file, val);
  if ((size_t)r != len)
    return berr_set(err, EIO, "%s: write %s \"%s\": short write", field, file, val);
  log_debug("cgroup: %s/%s = %s", dir, file, val);
  return 0;
}

int cg_writef(const char *dir, const char *file, const char *field, struct berr **err,
              const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  cleanup_free char *v = NULL;
  int r = vasprintf(&v, fmt, ap);
  va_end(ap);
  if (r < 0)
    return berr_set(err, ENOMEM, "%s: write %s", field, file);
  return cg_write(dir, file, v, field, err);
}

char *cg_read(const char *dir, const char *file) {
  cleanup_free char *p = NULL;
  if (asprintf(&p, "%s/%s", dir, file) < 0)
    return NULL;
  cleanup_berr struct berr *e = NULL;
  char *buf = NULL;
  if (read_file_at(AT_FDCWD, p, &buf, NULL, &e) < 0) {
    errno = e ? berr_errcode(&e) : EIO;
    return NULL;
  }
  size_t l = strlen(buf);
  while (l > 0 && buf[l - 1] == '\n')
    buf[--l] = '\0';
  return buf;
}

bool cg_file_exists(const char *dir, const char *file) {
  cleanup_free char *p = NULL;
  if (asprintf(&p, "%s/%s", dir, file) < 0)
    return false;
  return access(p, F_OK) == 0;
}

int cg_missing(const char *field, const char *ctl, bool v2, struct berr **err) {
  if (v2)
    return berr_set(err, ENOTSUP,
                    "%s: the %s controller is not available in cgroup v2 here (not in the parent's "
                    "cgroup.controllers)",
                    field, ctl);
  return berr_set(err, ENOTSUP,
                  "%s: the %s cgroup controller is not mounted on this host (no v1 hierarchy has it)",
                  field, ctl);
}

void cg_hiers_free(struct cg_hier *h, size_t n) {
  for (size_t i = 0; h && i < n; i++) {
    free(h[i].mnt);
    free(h[i].ctls);
    free(h[i].dir);
    free(h[i].created);
  }
  free(h);
}

/* ---- mode detection ---- */

/* A pure cgroup v2 host: /sys/fs/cgroup itself is cgroup2. errno set when statfs fails. */
static bool cg_root_is_v2(void) {
  struct statfs sfs;
  errno = 0;
  return statfs(CG_ROOT, &sfs) == 0 &&
         (unsigned long)sfs.f_type == (unsigned long)CGROUP2_SUPER_MAGIC;
}

bool cgroup_host_unified(void) {
  return cg_root_is_v2();
}

int cg_discover(struct cg_hier **out, size_t *n, bool *unified, struct berr **err) {
  bool v2 = cg_root_is_v2();
  if (!v2 && errno != 0)
    return berr_errno(err, "cgroup: statfs %s", CG_ROOT);
  if (v2) {
    struct cg_hier *h = calloc(1, sizeof(*h));
    if (h == NULL || (h->mnt = strdup(CG_ROOT)) == NULL) {
      free(h);
      return berr_set(err, ENOMEM, "cgroup");
    }
    h->v2 = true;
    h->ctls = cg_read(CG_ROOT, "cgroup.controllers");
    if (h->ctls == NULL)
      h->ctls = strdup("");
    *out = h;
    *n = 1;
    *unified = true;
    return 0;
  }
  *unified = false;
  return cg_v1_discover(out, n, err);
}

/* ---- paths ---- */

/* Appends the components of src to buf (which holds an absolute path), rejecting "..". */
static int append_components(char *buf, size_t cap, const char *src, const char *what,
                             struct berr **err) {
  for (const char *p = src; *p;) {
    p += strspn(p, "/");
    size_t l = strcspn(p, "/");
    if (l == 0)
      break;
    if (l == 2 && strncmp(p, "..", 2) == 0)
      return berr_set(err, EINVAL, "%s \"%s\": \"..\" is not allowed in a cgroup path", what, src);
    if (l == 1 && p[0] == '.') {
      p += l;
      continue;
    }
    size_t used = strlen(buf);
    bool slash = used > 0 && buf[used - 1] == '/';
    if (used + l + 2 > cap)
      return berr_set(err, ENAMETOOLONG, "%s \"%s\": path too long", what, src);
    if (!slash)
      buf[used++] = '/';
    memcpy(buf + used, p, l);
    buf[used + l] = '\0';
    p += l;
  }
  return 0;
}

int cgroup_compute_path(const char *cgroups_path, const char *id, const char *own_cgroup,
                        char **out, struct berr **err) {
  char buf[4096] = "/";
  const char *field = "linux.cgroupsPath";
  if (cgroups_path == NULL || cgroups_path[0] == '\0') {
    if (id == NULL || id[0] == '\0' || strchr(id, '/') || strcmp(id, "..") == 0 ||
        strcmp(id, ".") == 0)
      return berr_set(err, EINVAL, "cgroup: container id \"%s\" cannot name a cgroup",
                      id ? id : "");
    char name[CONTAINER_DIR_NAME_MAX];
    container_dir_name(id, name); /* a long id is hashed, as its state directory */
    snprintf(buf, sizeof(buf), "/berth/%s", name);
  } else {
    if (cgroups_path[0] != '/' &&
        append_components(buf, sizeof(buf), own_cgroup ? own_cgroup : "/", "own cgroup", err) < 0)
      return -1;
    if (append_components(buf, sizeof(buf), cgroups_path, field, err) < 0)
      return -1;
    if (strcmp(buf, "/") == 0)
      return berr_set(err, EINVAL, "%s \"%s\": the root cgroup cannot be used", field,
                      cgroups_path);
  }
  *out = strdup(buf);
  return *out ? 0 : berr_set(err, ENOMEM, "cgroup path");
}

/* berth's own cgroup, for relative paths: the "0::" line on pure v2, else name=systemd, else
 * the first v1 line. */
static char *own_cgroup(bool unified) {
  cleanup_free char *text = NULL;
  cleanup_berr struct berr *e = NULL;
  if (read_file_at(AT_FDCWD, "/proc/self/cgroup", &text, NULL, &e) < 0)
    return strdup("/");
  char *best = NULL;
  int best_rank = 99;
  for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
    char *c1 = strchr(line, ':');
    char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (c2 == NULL)
      continue;
    *c2 = '\0';
    const char *ctls = c1 + 1;
    int rank;
    if (unified)
      rank = ctls[0] == '\0' && strncmp(line, "0:", 2) == 0 ? 0 : 99;
    else if (cg_list_has(ctls, "name=systemd"))
      rank = 1;
    else if (ctls[0] != '\0')
      rank = 2;
    else
      rank = 99;
    if (rank < best_rank) {
      best_rank = rank;
      best = c2 + 1;
    }
  }
  return strdup(best ? best : "/");
}

/* ---- create ---- */

/* One pass of mkdir -p below h->mnt; 1 when a parent vanished under us. */
static int mkdir_p_once(struct cg_hier *h, const char *path, bool exclusive, struct berr **err) {
  char buf[4096];
  snprintf(buf, sizeof(buf), "%s", h->mnt);
  h->made_dir = false;
  for (const char *p = path; *p;) {
    p += strspn(p, "/");
    size_t l = strcspn(p, "/");
    if (l == 0)
      break;
    size_t used = strlen(buf);
    if (used + l + 2 > sizeof(buf))
      return berr_set(err, ENAMETOOLONG, "cgroup: %s%s", h->mnt, path);
    snprintf(buf + used, sizeof(buf) - used, "/%.*s", (int)l, p);
    p += l;
    bool last = p[strspn(p, "/")] == '\0';
    bool made = mkdir(buf, 0755) == 0;
    if (made) {
      h->made_dir = last;
      if (h->created == NULL && (h->created = strdup(buf)) == NULL)
        return berr_set(err, ENOMEM, "cgroup");
    } else if (errno == ENOENT) {
      return 1;
    } else if (errno == EEXIST && exclusive && last) {
      return berr_code(err, EEXIST,
                       "cgroup %s already exists: another container with this id (in another "
                       "--root?) uses it",
                       path);
    } else if (errno != EEXIST) {
      return berr_errno(err, "cgroup: mkdir %s", buf);
    }
    /* v1 cpuset: a child copies its parent's cpus/mems and an empty cpuset refuses every
     * process. Every directory of the path whose cpuset.cpus or cpuset.mems is empty is filled
     * from its parent, top down, also one that existed (runc does the same): an empty cpuset
     * holds no process, so this takes nothing from anyone, and a filled one is left alone.
     * A concurrent delete may remove an empty /berth at any moment (ENOENT): start over then. */
    if (!h->v2 && cg_list_has(h->ctls, "cpuset")) {
      cleanup_berr struct berr *e = NULL;
      if (cg_v1_cpuset_init(h, buf + strlen(h->mnt), &e) < 0) {
        if (berr_errcode(&e) == ENOENT)
          return 1;
        return berr_move(err, &e);
      }
    }
  }
  return 0;
}

/* The default parent (/berth) is removed when its last container goes, so
 * a concurrent delete can take a parent away between two mkdirs: retry. */
int cg_mkdir_p(struct cg_hier *h, const char *path, bool exclusive, struct berr **err) {
  for (int attempt = 0; attempt < 8; attempt++) {
    int r = mkdir_p_once(h, path, exclusive, err);
    if (r <= 0)
      return r;
  }
  return berr_code(err, ENOENT, "cgroup: mkdir %s%s: a parent keeps disappearing", h->mnt, path);
}

/* exclusive: the default path is berth's own; two containers must never share it,
 * or deleting one would kill the other's processes. */
static int create_dirs(struct cgroup *cg, const struct spec_resources *res, bool exclusive,
                       struct berr **err) {
  for (size_t i = 0; i < cg->n; i++) {
    struct cg_hier *h = &cg->h[i];
    if (asprintf(&h->dir, "%s%s", h->mnt, cg->path) < 0) {
      h->dir = NULL;
      return berr_set(err, ENOMEM, "cgroup");
    }
    if (cg_mkdir_p(h, cg->path, exclusive, err) < 0)
      return -1;
    if (h->v2) {
      if (cg->unified && cg_v2_enable(h, cg->path, res, err) < 0)
        return -1;
      if (cg_v2_load_controllers(h, err) < 0)
        return -1;
    }
  }
  return 0;
}

struct cgroup *cg_alloc(void) {
  struct cgroup *cg = calloc(1, sizeof(*cg));
  if (cg)
    cg->dev_prog = -1;
  return cg;
}

int cgroup_expected_path(const struct spec *spec, const char *id, char **out, struct berr **err) {
  const char *cp = spec && spec->linux ? spec->linux->cgroups_path : NULL;
  cleanup_free char *own =
      cp && cp[0] && cp[0] != '/' ? own_cgroup(cg_root_is_v2()) : NULL;
  return cgroup_compute_path(cp, id, own, out, err);
}

int cgroup_create(const struct spec *spec, const char *id, bool systemd, cgroup_path_fn on_path,
                  void *arg, struct cgroup **out, struct berr **err) {
  if (systemd)
    return cg_systemd_create(spec, id, out, err);
  struct cgroup *cg = cg_alloc();
  if (cg == NULL)
    return berr_set(err, ENOMEM, "cgroup");
  cleanup_cgroup struct cgroup *guard = cg;
  if (cg_discover(&cg->h, &cg->n, &cg->unified, err) < 0)
    return -1;
  const char *cp = spec->linux ? spec->linux->cgroups_path : NULL;
  /* only a relative linux.cgroupsPath is below berth's own cgroup */
  cleanup_free char *own = cp && cp[0] && cp[0] != '/' ? own_cgroup(cg->unified) : NULL;
  if (cgroup_compute_path(cp, id, own, &cg->path, err) < 0 ||
      (on_path && on_path(arg, cg->path, err) < 0))
    return -1;
  const struct spec_resources *res = spec->linux ? spec->linux->resources : NULL;
  int r = create_dirs(cg, res, cp == NULL || cp[0] == '\0', err);
  if (r == 0)
    r = cg_check_not_frozen(cg, err);
  if (r == 0)
    r = cg->unified ? cg_v2_apply(cg, res, err) : cg_v1_apply(cg, res, err);
  if (r < 0) {
    cgroup_destroy(cg);
    return -1;
  }
  log_debug("cgroup: created %s (%s)", cg->path, cg->unified ? "cgroup v2" : "cgroup v1");
  *out = steal_ptr(&guard);
  return 0;
}

int cgroup_devices_prepare(struct cgroup *cg, const struct spec *spec, struct berr **err) {
  if (cg == NULL || cg->sd || !cg->unified || cg->dev_prog >= 0)
    return 0;
  if (cg_v2_devices_load(spec, &cg->dev_prog, err) == 0)
    return 0;
  /* rootless: loading a device program takes CAP_SYS_ADMIN (or CAP_BPF); the container's
   * user namespace already keeps it from making device nodes, and the user's own permissions
   * bound what it opens (as runc and crun do rootless) */
  if (geteuid() != 0 && (berr_errcode(err) == EPERM || berr_errcode(err) == EACCES)) {
    log_debug("%s: rootless, device access not restricted by a cgroup program",
              berr_message(err));
    berr_cleanup(err);
    return 0;
  }
  return -1;
}

int cgroup_devices_apply(struct cgroup *cg, const struct spec *spec, struct berr **err) {
  if (cg == NULL || cg->sd)
    return 0;
  if (!cg->unified)
    return cg_v1_devices(cg, spec, err);
  if (cg->dev_prog < 0 && cgroup_devices_prepare(cg, spec, err) < 0)
    return -1;
  if (cg->dev_prog < 0)
    return 0; /* rootless, see prepare */
  cleanup_close int prog = steal_fd(&cg->dev_prog);
  return cg_v2_devices_attach(cg, prog, err);
}

int cgroup_enter(struct cgroup *cg, pid_t pid, struct berr **err) {
  if (cg->sd)
    return cg_systemd_start(cg, pid, err);
  for (size_t i = 0; i < cg->n; i++) {
    if (cg->h[i].dir == NULL)
      continue;
    if (cg_writef(cg->h[i].dir, "cgroup.procs", "cgroup", err, "%d", (int)pid) < 0)
      return berr_prefix(err, "enter pid %d into %s", (int)pid, cg->h[i].dir);
  }
  return 0;
}

const char *cgroup_path(const struct cgroup *cg) { return cg->path; }

const char *cgroup_unit(const struct cgroup *cg) { return cg->sd ? cg->sd->u.unit : NULL; }

int cgroup_open_unified(const struct cgroup *cg) {
  /* systemd moves the init into its unit itself: never clone into the cgroup */
  if (cg == NULL || cg->sd || !cg->unified || cg->n != 1 || cg->h[0].dir == NULL)
    return -1;
  return open(cg->h[0].dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

void cgroup_free(struct cgroup *cg) {
  if (cg == NULL)
    return;
  cg_hiers_free(cg->h, cg->n);
  cg_systemd_free(cg->sd);
  if (cg->dev_prog >= 0)
    close(cg->dev_prog);
  free(cg->path);
  free(cg);
}

void cgroup_cleanup(struct cgroup **cg) { cgroup_free(*cg); }

/* ---- kill, wait, remove ---- */

struct signal_count {
  int sig, found;
};

static int signal_one(pid_t pid, void *data, struct berr **err) {
  (void)err;
  struct signal_count *s = data;
  if (kill(pid, s->sig) == 0)
    s->found++;
  return 0;
}

/* Sends sig to every pid in dir/cgroup.procs and below; returns how many were found. */
static int signal_tree(const char *dir, int sig) {
  struct signal_count s = {.sig = sig};
  cg_for_each_pid(dir, signal_one, &s, NULL);
  return s.found;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* Removes dir and its sub-cgroups, depth first, killing what is in them. */
static int rmdir_tree(const char *dir, int depth, struct berr **err) {
  if (depth < 32) {
    cleanup_dir DIR *d = opendir(dir);
    if (d == NULL && errno == ENOENT)
      return 0;
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) {
      if (de->d_type != DT_DIR || de->d_name[0] == '.')
        continue;
      cleanup_free char *sub = NULL;
      if (asprintf(&sub, "%s/%s", dir, de->d_name) < 0)
        return berr_set(err, ENOMEM, "cgroup");
      if (rmdir_tree(sub, depth + 1, err) < 0)
        return -1;
    }
  }
  /* EBUSY while tasks are still attached: SIGKILLed ones still exiting (listed in cgroup.procs
   * for a few ms, then briefly not), or one moved in meanwhile. Kill what is listed and retry
   * while they drain (bounded: 10 s). */
  for (int i = 0;; i++) {
    if (rmdir(dir) == 0 || errno == ENOENT)
      return 0;
    if (errno != EBUSY || i >= 1000)
      return berr_errno(err, "cgroup: rmdir %s", dir);
    signal_tree(dir, SIGKILL);
    sleep_ms(10);
  }
}

/* v2: cgroup.events says no process is left in dir or below ("populated 0"). */
static bool v2_unpopulated(const char *dir) {
  cleanup_free char *ev = cg_read(dir, "cgroup.events");
  for (const char *l = ev; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : "")
    if (strncmp(l, "populated ", 10) == 0)
      return l[10] == '0';
  return false;
}

/* Kills everything in dir (cgroup.kill on v2, else SIGKILL until empty, bounded ~5s). */
void cg_kill_all(const char *dir, bool v2) {
  if (access(dir, F_OK) != 0)
    return;
  /* the common delete, of a stopped container: nothing to kill, and cgroup.kill would wait for
   * the kernel's cgroup_mutex (milliseconds when other cgroups are being made and removed) */
  if (v2 && v2_unpopulated(dir))
    return;
  if (v2)
    cg_v2_kill(dir);
  for (int i = 0; i < 500; i++) {
    if (signal_tree(dir, SIGKILL) == 0)
      return;
    sleep_ms(10);
  }
  log_warn("cgroup: processes of %s survive SIGKILL", dir);
}

void cgroup_destroy(struct cgroup *cg) {
  if (cg == NULL)
    return;
  if (cg->sd) /* then the directories berth made where systemd did not (cgroup v1) */
    cg_systemd_destroy(cg);
  for (size_t i = 0; i < cg->n; i++) {
    struct cg_hier *h = &cg->h[i];
    if (h->dir == NULL || h->created == NULL)
      continue; /* never remove a directory we did not make */
    /* We may have made only a parent: a create of the same id in another --root (or another
     * runtime) can make the directory between our two mkdirs, and we then fail with "already
     * exists". That directory and its processes are the other container's. */
    if (h->made_dir) {
      cg_kill_all(h->dir, h->v2);
      cleanup_berr struct berr *e = NULL;
      if (rmdir_tree(h->dir, 0, &e) < 0) {
        log_warn("%s", berr_message(&e));
        continue;
      }
    }
    /* the parents we made, up to the topmost one, when nothing else lives there */
    size_t top = strlen(h->created);
    char buf[4096];
    snprintf(buf, sizeof(buf), "%s", h->dir);
    for (char *s = strrchr(buf, '/'); s && (size_t)(s - buf) >= top; s = strrchr(buf, '/')) {
      *s = '\0';
      if (rmdir(buf) < 0)
        break;
    }
    free(h->created);
    h->created = NULL;
  }
}

/* The default parent "/berth" goes when its last container goes; another
 * container's cgroup keeps it (rmdir fails with EBUSY/ENOTEMPTY). */
static void remove_default_parent(const char *mnt, const char *path) {
  if (strncmp(path, "/berth/", 7) != 0 || strchr(path + 7, '/') != NULL)
    return;
  cleanup_free char *parent = NULL;
  if (asprintf(&parent, "%s/berth", mnt) >= 0)
    rmdir(parent);
}

/* The stored path comes from state.json: berth wrote it normalised ("/a/b", see
 * cgroup_compute_path), so anything else (the root, "//", ".", "..", a trailing "/") did not
 * come from berth and must not make delete or kill --all walk a host cgroup. */
static int check_stored_path(const char *path, struct berr **err) {
  if (path == NULL || path[0] != '/' || path[1] == '\0')
    return berr_set(err, EINVAL, "cgroup: invalid stored path \"%s\"", path ? path : "");
  for (const char *p = path + 1;;) {
    size_t l = strcspn(p, "/");
    if (l == 0 || (l == 1 && p[0] == '.') || (l == 2 && p[0] == '.' && p[1] == '.'))
      return berr_set(err, EINVAL, "cgroup: invalid stored path \"%s\"", path);
    if (p[l] == '\0')
      return 0;
    p += l + 1;
  }
}

/* Calls fn(mnt + path) for each mounted hierarchy, in order, until fn
 * returns non-zero: < 0 is an error, > 0 means done. */
typedef int (*stored_dir_fn)(const char *dir, const struct cg_hier *h, void *data,
                             struct berr **err);

static int for_each_stored_dir(const char *path, stored_dir_fn fn, void *data,
                               struct berr **err) {
  if (check_stored_path(path, err) < 0)
    return -1;
  struct cg_hier *h = NULL;
  size_t n = 0;
  bool unified;
  if (cg_discover(&h, &n, &unified, err) < 0)
    return -1;
  int r = 0;
  for (size_t i = 0; i < n && r == 0; i++) {
    cleanup_free char *dir = NULL;
    r = asprintf(&dir, "%s%s", h[i].mnt, path) < 0 ? berr_set(err, ENOMEM, "cgroup")
                                                     : fn(dir, &h[i], data, err);
  }
  cg_hiers_free(h, n);
  return r;
}

int cg_open_stored(const char *path, struct cgroup **out, struct berr **err) {
  if (check_stored_path(path, err) < 0)
    return -1;
  cleanup_cgroup struct cgroup *cg = cg_alloc();
  if (cg == NULL || (cg->path = strdup(path)) == NULL)
    return berr_set(err, ENOMEM, "cgroup");
  if (cg_discover(&cg->h, &cg->n, &cg->unified, err) < 0)
    return -1;
  for (size_t i = 0; i < cg->n; i++) {
    struct cg_hier *h = &cg->h[i];
    if (asprintf(&h->dir, "%s%s", h->mnt, path) < 0) {
      h->dir = NULL;
      return berr_set(err, ENOMEM, "cgroup");
    }
    if (h->v2 && access(h->dir, F_OK) == 0 && cg_v2_load_controllers(h, err) < 0)
      return -1;
  }
  *out = steal_ptr(&cg);
  return 0;
}

int cgroup_update_path(const char *path, const struct spec_resources *res, struct berr **err) {
  cleanup_cgroup struct cgroup *cg = NULL;
  if (cg_open_stored(path, &cg, err) < 0)
    return -1;
  for (size_t i = 0; i < cg->n; i++)
    if (!cg->h[i].v2 && access(cg->h[i].dir, F_OK) != 0)
      return berr_errno(err, "cgroup %s", cg->h[i].dir);
  if (cg->unified) {
    /* a controller the container did not need at create may have to be delegated now */
    if (cg_v2_enable(&cg->h[0], path, res, err) < 0 || cg_v2_load_controllers(&cg->h[0], err) < 0)
      return -1;
    return cg_v2_apply(cg, res, err);
  }
  return cg_v1_apply(cg, res, err);
}

static int destroy_dir(const char *dir, const struct cg_hier *h, void *path, struct berr **err) {
  cg_kill_all(dir, h->v2);
  if (rmdir_tree(dir, 0, err) < 0)
    return -1;
  remove_default_parent(h->mnt, path);
  return 0;
}

/* A create killed before its init existed: the directory is ours only if nothing lives in it
 * (a create of the same id in another --root may have made it and be running there). */
static int remove_unused_dir(const char *dir, const struct cg_hier *h, void *path,
                             struct berr **err) {
  /* an init that died with its create (PR_SET_PDEATHSIG) drains in a few ms: wait, bounded */
  int i = 0;
  while (rmdir(dir) < 0 && errno == EBUSY && i++ < 100)
    sleep_ms(10);
  if (access(dir, F_OK) == 0) {
    log_warn("cgroup %s left in place: processes of another container may be in it", dir);
    return 0;
  }
  remove_default_parent(h->mnt, path);
  return 0;
}

int cgroup_remove_unused_path(const char *path, struct berr **err) {
  return for_each_stored_dir(path, remove_unused_dir, (void *)path, err) < 0 ? -1 : 0;
}

/* Pure cgroup v2 and a container whose processes are all gone (run, delete of a stopped one):
 * its directory is empty, and rmdir alone removes it, without the discovery, freeze,
 * populated and sub-cgroup reads of the full way. false: anything else (processes left,
 * sub-cgroups, v1, already gone), for the full way to handle. */
static bool remove_empty_v2(const char *path) {
  char dir[4096];
  if (!cg_root_is_v2() || snprintf(dir, sizeof(dir), "%s%s", CG_ROOT, path) >= (int)sizeof(dir) ||
      rmdir(dir) < 0)
    return false;
  remove_default_parent(CG_ROOT, path);
  return true;
}

int cgroup_destroy_path(const char *path, struct berr **err) {
  if (check_stored_path(path, err) < 0)
    return -1;
  if (remove_empty_v2(path))
    return 0;
  /* a frozen (paused) container dies only once thawed */
  if (cgroup_is_frozen(path)) {
    cgroup_signal_all(path, SIGKILL, NULL);
    cgroup_freeze(path, false, NULL);
  }
  return for_each_stored_dir(path, destroy_dir, (void *)path, err) < 0 ? -1 : 0;
}

static int enter_dir(const char *dir, const struct cg_hier *h, void *pid, struct berr **err) {
  /* a hierarchy without the container's directory was not ours to join */
  if (cg_file_exists(dir, "cgroup.procs") &&
      cg_writef(dir, "cgroup.procs", "cgroup", err, "%d", *(pid_t *)pid) < 0)
    return berr_prefix(err, "enter pid %d into %s", *(pid_t *)pid, dir);
  return 0;
}

int cgroup_enter_path(const char *path, pid_t pid, struct berr **err) {
  return for_each_stored_dir(path, enter_dir, &pid, err) < 0 ? -1 : 0;
}

int cgroup_open_unified_path(const char *path) {
  cleanup_berr struct berr *e = NULL;
  cleanup_free char *dir = NULL;
  if (check_stored_path(path, &e) < 0 || !cg_root_is_v2() ||
      asprintf(&dir, "%s%s", CG_ROOT, path) < 0)
    return -1;
  return open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

static int signal_dir(const char *dir, const struct cg_hier *h, void *sig, struct berr **err) {
  /* the processes are the same in every hierarchy: the first that has the directory does */
  if (access(dir, F_OK) != 0)
    return 0;
  signal_tree(dir, *(int *)sig);
  return 1;
}

int cgroup_signal_all(const char *path, int sig, struct berr **err) {
  int r = for_each_stored_dir(path, signal_dir, &sig, err);
  if (r == 0)
    return berr_set(err, ENOENT, "cgroup %s: not found in any hierarchy", path);
  return r < 0 ? -1 : 0;
}

static uint64_t oom_kill_count(const char *dir, const char *file) {
  cleanup_free char *text = cg_read(dir, file);
  const char *p = text;
  while (p && (p = strstr(p, "oom_kill ")) != NULL) {
    if (p == text || p[-1] == '\n')
      return strtoull(p + 9, NULL, 10);
    p += 9;
  }
  return 0;
}

uint64_t cgroup_oom_kill_count(const char *path) {
  cleanup_berr struct berr *e = NULL;
  cleanup_cgroup struct cgroup *cg = NULL;
  if (cg_open_stored(path, &cg, &e) < 0)
    return 0;
  uint64_t n = 0;
  for (size_t i = 0; i < cg->n && n == 0; i++) {
    if (cg->h[i].v2)
      n = oom_kill_count(cg->h[i].dir, "memory.events");
    else if (cg_list_has(cg->h[i].ctls, "memory"))
      n = oom_kill_count(cg->h[i].dir, "memory.oom_control");
  }
  return n;
}

bool cgroup_oom_killed(const char *path) { return cgroup_oom_kill_count(path) > 0; }
