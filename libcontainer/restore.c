/* berth restore: a new container from the bundle's config.json whose processes CRIU restores
 * from an image directory (criu.h). Made as create makes one: the state directory (pid 0
 * until CRIU answers), the cgroup with linux.resources and the device rules (CRIU is moved
 * into it, so the restored tasks land there: cg_root), the config copy; the prestart and
 * createRuntime hooks run when CRIU has set up the namespaces (its "setup-namespaces"
 * notification), as runc runs them. What runc hands CRIU, berth hands it: the rootfs bound on
 * <state dir>/criu-root while CRIU runs (then detached, as runc does), bind mounts
 * as external mounts (destination -> source), masked files -> /dev/null, the joined network and
 * pid namespaces as inherited fds, pipes of descriptors.json as inherited fds (berth's own
 * stdio), and the pty master (orphan-pts-master) sent on to --console-socket. The restored init
 * is berth's child (rst_sibling). Any failure kills it and removes everything made. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "container.h"
#include "criu.h"
#include "hooks.h"
#include "json.h"
#include "log.h"
#include "pathsafe.h"
#include "spec.h"
#include "util.h"

#define CRIU_ROOT "criu-root"

struct restore_ctx {
  const struct restore_opts *o;
  const struct criu_flags *f;
  struct spec *spec;
  char *config_text;
  size_t config_len;
  char *bundle, *rootfs;
  int rootfd, dirfd, images_fd, work_fd, console_fd, net_fd, pid_fd;
  struct cgroup *cgroup;
  struct container_state *st;
  json_node *descriptors;
  char criu_root[PATH_MAX];
  pid_t pid;
  bool hooks_ran, done;
};

static void release(struct restore_ctx *c) {
  if (!c->done) {
    if (c->pid > 0) {
      kill(c->pid, SIGKILL);
      while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
        ;
    }
    if (c->cgroup)
      cgroup_destroy(c->cgroup);
    if (c->hooks_ran && c->spec->hooks.poststop.len) {
      cleanup_free char *json = state_to_json(c->st, STATUS_STOPPED, false);
      hooks_run_warn(&c->spec->hooks.poststop, "poststop", c->bundle, json ? json : "{}");
    }
    /* never a tree walk into a rootfs still bound there */
    if (c->dirfd >= 0 && unlinkat(c->dirfd, CRIU_ROOT, AT_REMOVEDIR) < 0 && errno != ENOENT)
      log_warn("restore: %s: %s: the state directory is left", c->criu_root, strerror(errno));
    else if (c->dirfd >= 0)
      state_dir_remove(c->rootfd, c->o->id, NULL);
  } else if (c->dirfd >= 0) {
    unlinkat(c->dirfd, CRIU_ROOT, AT_REMOVEDIR);
  }
  int *fds[] = {&c->rootfd, &c->dirfd, &c->images_fd, &c->work_fd, &c->console_fd,
                &c->net_fd, &c->pid_fd};
  for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
    if (*fds[i] >= 0)
      close(steal_fd(fds[i]));
  if (c->st) {
    c->st->annotations = NULL; /* borrowed from the spec */
    c->st->annotations_len = 0;
  }
  json_free(c->descriptors);
  cgroup_free(c->cgroup);
  container_state_free(c->st);
  spec_free(c->spec);
  free(c->config_text);
  free(c->bundle);
  free(c->rootfs);
}

/* ---- before anything is made ---- */

static int validate(struct restore_ctx *c, struct berr **err) {
  const struct restore_opts *o = c->o;
  if (container_id_validate(o->id, err) < 0)
    return -1;
  if (o->systemd_cgroup)
    return berr_code(err, EOPNOTSUPP, "restore: --systemd-cgroup is not supported yet");
  if (c->f->lazy_pages && c->f->status_fd >= 0)
    return berr_code(err, EINVAL, "restore: --status-fd is a checkpoint option");
  c->bundle = realpath(o->bundle ? o->bundle : ".", NULL);
  if (c->bundle == NULL)
    return berr_errno(err, "bundle \"%s\"", o->bundle ? o->bundle : ".");
  if (spec_load_text(c->bundle, &c->spec, &c->config_text, &c->config_len, err) < 0)
    return -1;
  const struct spec_linux *lx = c->spec->linux;
  if (lx && lx->intel_rdt)
    return berr_code(err, EOPNOTSUPP, "linux.intelRdt: not supported by restore yet");
  char path[PATH_MAX * 2];
  const char *root = c->spec->root.path;
  snprintf(path, sizeof(path), "%s%s%s", root[0] == '/' ? "" : c->bundle,
           root[0] == '/' ? "" : "/", root);
  c->rootfs = realpath(path, NULL);
  if (c->rootfs == NULL)
    return berr_errno(err, "root.path \"%s\"", root);
  bool terminal = c->spec->process && c->spec->process->terminal;
  if (terminal && o->console_socket == NULL)
    return berr_code(err, EINVAL,
                     "process.terminal is true: --console-socket is required to receive the pty");
  if (terminal && unix_connect(o->console_socket, &c->console_fd, err) < 0)
    return berr_prefix(err, "--console-socket");
  if (geteuid() != 0)
    return berr_code(err, EPERM, "restore: CRIU needs root");
  return 0;
}

static int open_ns(const struct spec *spec, enum spec_ns_type t, const char *name, int *fd,
                   struct berr **err) {
  const struct spec_namespace *ns = spec_find_namespace(spec, t);
  if (ns == NULL || ns->path == NULL)
    return 0;
  *fd = open(ns->path, O_RDONLY | O_CLOEXEC);
  if (*fd < 0)
    return berr_errno(err, "linux.namespaces: %s path \"%s\"", name, ns->path);
  return 0;
}

static int open_images(struct restore_ctx *c, struct berr **err) {
  const char *images = c->f->image_path ? c->f->image_path : "checkpoint";
  if (criu_open_dir(images, "--image-path", false, &c->images_fd, err) < 0 ||
      criu_open_dir(c->f->work_path ? c->f->work_path : images, "--work-path", true, &c->work_fd,
                    err) < 0)
    return -1;
  cleanup_free char *text = NULL;
  size_t len;
  if (read_file_at(c->images_fd, "descriptors.json", &text, &len, err) < 0 ||
      json_parse(text, len, &c->descriptors, err) < 0)
    return berr_prefix(err, "--image-path \"%s\": descriptors.json (written by checkpoint)",
                       images);
  return 0;
}

/* ---- the container record and its cgroup ---- */

static int note_cgroup_path(void *arg, const char *path, struct berr **err) {
  struct restore_ctx *c = arg;
  free(c->st->cgroup_path);
  if ((c->st->cgroup_path = strdup(path)) == NULL)
    return berr_set(err, ENOMEM, "state");
  return state_write(c->dirfd, c->st, err);
}

static int new_state(struct restore_ctx *c, struct berr **err) {
  if (state_new(c->spec, c->o->id, c->bundle, c->rootfs, &c->st, err) < 0)
    return -1;
  return state_write(c->dirfd, c->st, err);
}

static int make_record(struct restore_ctx *c, struct berr **err) {
  if (state_root_open(c->o->root, &c->rootfd, err) < 0 ||
      state_dir_create(c->rootfd, c->o->id, &c->dirfd, err) < 0 || new_state(c, err) < 0 ||
      cgroup_create(c->spec, c->o->id, false, note_cgroup_path, c, &c->cgroup, err) < 0)
    return -1;
  free(c->st->cgroup_path);
  c->st->cgroup_path = strdup(cgroup_path(c->cgroup));
  if (c->st->cgroup_path == NULL)
    return berr_set(err, ENOMEM, "state");
  if (state_write(c->dirfd, c->st, err) < 0 ||
      cgroup_devices_apply(c->cgroup, c->spec, err) < 0 ||
      write_file_atomic_at(c->dirfd, STATE_CONFIG, c->config_text, c->config_len, 0600, err) < 0)
    return -1;
  if (mkdirat(c->dirfd, CRIU_ROOT, 0700) < 0)
    return berr_errno(err, "restore: mkdir %s", CRIU_ROOT);
  char link[64];
  snprintf(link, sizeof(link), "/proc/self/fd/%d", c->dirfd);
  ssize_t n = readlink(link, c->criu_root, sizeof(c->criu_root) - sizeof(CRIU_ROOT) - 2);
  if (n < 0)
    return berr_errno(err, "restore: state directory");
  snprintf(c->criu_root + n, sizeof(c->criu_root) - (size_t)n, "/%s", CRIU_ROOT);
  return 0;
}

/* ---- the rootfs: mount points CRIU mounts on (not below a tmpfs, whose contents it
 * restores) ---- */

static bool below(const char *path, const char *dir) {
  size_t n = strlen(dir);
  if (n == 1)
    return path[1] != '\0';
  return strncmp(path, dir, n) == 0 && path[n] == '/';
}

static bool below_tmpfs(const struct spec *spec, const char *dest) {
  for (size_t i = 0; i < spec->mounts_len; i++) {
    const struct spec_mount *m = &spec->mounts[i];
    if (m->type && strcmp(m->type, "tmpfs") == 0 && below(dest, m->destination))
      return true;
  }
  return false;
}

/* a bind mount's source as an absolute path (relative ones are the bundle's) */
static void mount_source(const struct restore_ctx *c, const struct spec_mount *m, char *out,
                         size_t len) {
  const char *s = m->source ? m->source : "";
  snprintf(out, len, "%s%s%s", s[0] == '/' ? "" : c->bundle, s[0] == '/' ? "" : "/", s);
}

static int make_mountpoints(struct restore_ctx *c, struct berr **err) {
  cleanup_close int rootfs = open(c->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfs < 0)
    return berr_errno(err, "root.path \"%s\"", c->rootfs);
  for (size_t i = 0; i < c->spec->mounts_len; i++) {
    const struct spec_mount *m = &c->spec->mounts[i];
    if (below_tmpfs(c->spec, m->destination))
      continue;
    enum pathsafe_kind kind = PATHSAFE_DIR;
    struct stat st;
    char src[PATH_MAX * 2];
    mount_source(c, m, src, sizeof(src));
    if (m->is_bind && stat(src, &st) == 0 && !S_ISDIR(st.st_mode))
      kind = PATHSAFE_FILE;
    int fd = pathsafe_mkpath(rootfs, m->destination, kind, err);
    if (fd < 0)
      return berr_prefix(err, "mounts[%zu] (%s)", i, m->destination);
    close(fd);
  }
  return 0;
}

/* ---- the request ---- */

static int build_opts(struct restore_ctx *c, struct pb_buf *o, struct berr **err) {
  const struct spec *spec = c->spec;
  criu_common_opts(o, c->f, c->images_fd, c->work_fd, "restore.log");
  pb_bool(o, CO_RST_SIBLING, true);
  pb_bool(o, CO_EVASIVE_DEVICES, true);
  pb_string(o, CO_ROOT, c->criu_root);
  for (size_t i = 0; i < spec->mounts_len; i++) {
    const struct spec_mount *m = &spec->mounts[i];
    char src[PATH_MAX * 2];
    if (!m->is_bind)
      continue;
    mount_source(c, m, src, sizeof(src));
    criu_ext_mnt(o, m->destination, src);
  }
  /* masked files were declared as /dev/null; the default devices as themselves */
  const struct spec_linux *lx = spec->linux;
  static const char *const defaults[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random",
                                         "/dev/urandom", "/dev/tty"};
  for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
    criu_ext_mnt(o, defaults[i], defaults[i]);
  for (size_t i = 0; lx && i < lx->devices_len; i++)
    criu_ext_mnt(o, lx->devices[i].path, lx->devices[i].path);
  if (c->net_fd >= 0)
    criu_inherit_fd(o, "extRootNetNS", c->net_fd);
  if (c->pid_fd >= 0)
    criu_inherit_fd(o, "extRootPidNS", c->pid_fd);
  /* the init's stdio pipes become ours (fds 0-2), as runc hands them */
  size_t n = json_array_len(c->descriptors);
  for (size_t i = 0; i < n && i < 3; i++) {
    const char *s = json_string(json_array_at(c->descriptors, i));
    if (s && strstr(s, "pipe:"))
      criu_inherit_fd(o, s, (int)i);
  }
  if (o->oom)
    return berr_set(err, ENOMEM, "criu request");
  return 0;
}

static int on_notify(void *arg, const char *script, pid_t pid, int fd, struct berr **err) {
  struct restore_ctx *c = arg;
  cleanup_close int master = fd;
  if (strcmp(script, "setup-namespaces") == 0) {
    c->pid = pid;
    c->st->pid = pid;
    c->st->start_time = proc_start_time(pid, NULL);
    if (state_write(c->dirfd, c->st, err) < 0)
      return -1;
    c->hooks_ran = true;
    cleanup_free char *json = state_to_json(c->st, STATUS_CREATING, false);
    if (hooks_run(&c->spec->hooks.prestart, "prestart", c->bundle, json, err) < 0 ||
        hooks_run(&c->spec->hooks.create_runtime, "createRuntime", c->bundle, json, err) < 0)
      return -1;
  } else if (strcmp(script, "post-restore") == 0) {
    c->pid = pid;
  } else if (strcmp(script, "orphan-pts-master") == 0) {
    if (master < 0)
      return berr_code(err, EPROTO, "criu: orphan-pts-master came without the pty master");
    if (c->console_fd < 0)
      return berr_code(err, EINVAL, "the checkpoint has a terminal: --console-socket is required");
    if (send_fd(c->console_fd, master, "/dev/ptmx", 9, err) < 0)
      return berr_prefix(err, "--console-socket");
  }
  return 0;
}

static int run_criu(struct restore_ctx *c, struct berr **err) {
  struct pb_buf o = {0};
  char log_path[PATH_MAX];
  snprintf(log_path, sizeof(log_path), "%s/restore.log",
           c->f->work_path ? c->f->work_path
                           : (c->f->image_path ? c->f->image_path : "checkpoint"));
  int pass[4] = {c->images_fd, c->work_fd};
  size_t n = 2;
  if (c->net_fd >= 0)
    pass[n++] = c->net_fd;
  if (c->pid_fd >= 0)
    pass[n++] = c->pid_fd;
  struct criu_run run = {.type = CRIU_RESTORE, .opts = &o, .pass_fds = pass, .n_pass = n,
                         .root_src = c->rootfs, .root_dst = c->criu_root,
                         .cgroup_path = c->st->cgroup_path, .notify = on_notify, .arg = c,
                         .log_path = log_path};
  int r = build_opts(c, &o, err);
  if (r == 0)
    r = criu_run(&run, err);
  pb_buf_free(&o);
  if (r < 0)
    return -1;
  if (run.restored_pid > 0)
    c->pid = run.restored_pid;
  if (c->pid <= 0)
    return berr_code(err, EPROTO, "criu restore: no pid in its answer");
  c->st->pid = c->pid;
  c->st->start_time = proc_start_time(c->pid, NULL);
  c->st->creating = false;
  if (state_write(c->dirfd, c->st, err) < 0)
    return -1;
  if (c->o->pid_file && pid_file_write(c->o->pid_file, c->pid, err) < 0)
    return -1;
  return 0;
}

int container_restore(const struct restore_opts *o, const struct criu_flags *f, pid_t *pid,
                      struct berr **err) {
  struct restore_ctx c = {.o = o, .f = f, .rootfd = -1, .dirfd = -1, .images_fd = -1,
                          .work_fd = -1, .console_fd = -1, .net_fd = -1, .pid_fd = -1};
  int r = -1;
  if (validate(&c, err) == 0 && criu_available(err) == 0 && open_images(&c, err) == 0 &&
      open_ns(c.spec, NS_NETWORK, "network", &c.net_fd, err) == 0 &&
      open_ns(c.spec, NS_PID, "pid", &c.pid_fd, err) == 0 && make_record(&c, err) == 0 &&
      make_mountpoints(&c, err) == 0 && run_criu(&c, err) == 0) {
    c.done = true;
    *pid = c.pid;
    r = 0;
  }
  release(&c);
  return r < 0 ? berr_prefix(err, "restore \"%s\"", o->id) : 0;
}
