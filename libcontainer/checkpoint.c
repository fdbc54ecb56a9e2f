/* berth checkpoint: CRIU dumps a running container into an image directory (criu.h). As runc
 * does: namespaces joined by path are declared external (net[INODE]:extRootNetNS,
 * pid[INODE]:extRootPidNS), bind mounts, masked files and devices are external mounts, and
 * descriptors.json records what the init's stdio was, for restore to hand back. Unless
 * --leave-running or --pre-dump, CRIU's dump ends the container's processes and the container
 * is then removed (cgroup, state, poststop hooks) so its id is free for restore. A failed dump
 * leaves it running (CRIU resumes what it froze). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "container.h"
#include "criu.h"
#include "handle.h"
#include "json.h"
#include "log.h"
#include "util.h"

#define DESCRIPTORS "descriptors.json"

/* the devices every container has (devices.c makes them), declared as runc declares its own */
static const char *const default_devices[] = {"/dev/null", "/dev/zero", "/dev/full",
                                              "/dev/random", "/dev/urandom", "/dev/tty"};

int criu_open_dir(const char *path, const char *flag, bool create, int *fd, struct berr **err) {
  if (create && mkdir(path, 0700) < 0 && errno != EEXIST)
    return berr_errno(err, "%s \"%s\"", flag, path);
  *fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (*fd < 0)
    return berr_errno(err, "%s \"%s\"", flag, path);
  return 0;
}

/* ADDR:PORT (the last colon splits, so an IPv6 address works) */
static int page_server(struct pb_buf *o, const char *s, struct berr **err) {
  const char *colon = strrchr(s, ':');
  char *end;
  long port = colon ? strtol(colon + 1, &end, 10) : 0;
  if (colon == NULL || colon == s || colon[1] == '\0' || *end || port <= 0 || port > 65535)
    return berr_code(err, EINVAL, "--page-server \"%s\": want ADDRESS:PORT", s);
  struct pb_buf ps = {0};
  cleanup_free char *addr = strndup(s, (size_t)(colon - s));
  if (addr == NULL)
    return berr_set(err, ENOMEM, "--page-server");
  pb_string(&ps, 1, addr);
  pb_int32(&ps, 2, (int32_t)port);
  pb_message(o, CO_PS, &ps);
  pb_buf_free(&ps);
  return 0;
}

static int status_fd(const struct criu_flags *f, struct berr **err) {
  if (f->status_fd < 0)
    return 0;
  int fl = fcntl(f->status_fd, F_GETFL);
  if (fl < 0)
    return berr_errno(err, "--status-fd %d", f->status_fd);
  if ((fl & O_ACCMODE) != O_WRONLY)
    return berr_code(err, EINVAL, "--status-fd %d: not open write-only", f->status_fd);
  return 0;
}

/* The freezer CRIU stops the tasks with (without one it uses ptrace). */
static void freeze_cgroup(struct pb_buf *o, const char *cg) {
  char path[PATH_MAX];
  if (cg == NULL)
    return;
  if (access("/sys/fs/cgroup/freezer", F_OK) == 0)
    snprintf(path, sizeof(path), "/sys/fs/cgroup/freezer%s", cg);
  else if (access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0)
    snprintf(path, sizeof(path), "/sys/fs/cgroup%s", cg);
  else
    return;
  if (access(path, F_OK) == 0)
    pb_string(o, CO_FREEZE_CGROUP, path);
}

static int external_ns(struct pb_buf *o, const struct spec *spec, struct berr **err) {
  static const struct {
    enum spec_ns_type type;
    const char *name, *key;
  } ext[] = {{NS_NETWORK, "net", "extRootNetNS"}, {NS_PID, "pid", "extRootPidNS"}};
  for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
    const struct spec_namespace *ns = spec_find_namespace(spec, ext[i].type);
    if (ns == NULL || ns->path == NULL)
      continue;
    struct stat st;
    if (stat(ns->path, &st) < 0)
      return berr_errno(err, "linux.namespaces: %s path \"%s\"", ext[i].name, ns->path);
    char buf[128];
    snprintf(buf, sizeof(buf), "%s[%llu]:%s", ext[i].name, (unsigned long long)st.st_ino,
             ext[i].key);
    pb_string(o, CO_EXTERNAL, buf);
  }
  return 0;
}

static void external_mounts(struct pb_buf *o, const struct spec *spec, pid_t pid) {
  for (size_t i = 0; i < spec->mounts_len; i++)
    if (spec->mounts[i].is_bind)
      criu_ext_mnt(o, spec->mounts[i].destination, spec->mounts[i].destination);
  const struct spec_linux *lx = spec->linux;
  for (size_t i = 0; lx && i < lx->masked_paths.len; i++) {
    char path[PATH_MAX];
    struct stat st;
    snprintf(path, sizeof(path), "/proc/%d/root%s", (int)pid, lx->masked_paths.items[i]);
    if (stat(path, &st) == 0 && !S_ISDIR(st.st_mode))
      criu_ext_mnt(o, lx->masked_paths.items[i], "/dev/null");
  }
  for (size_t i = 0; i < sizeof(default_devices) / sizeof(default_devices[0]); i++)
    criu_ext_mnt(o, default_devices[i], default_devices[i]);
  for (size_t i = 0; lx && i < lx->devices_len; i++)
    criu_ext_mnt(o, lx->devices[i].path, lx->devices[i].path);
}

/* descriptors.json: where the init's fds 0, 1, 2 pointed ("pipe:[123]", "/dev/null"), the
 * array runc writes, for restore to reconnect pipes */
static int write_descriptors(int images_fd, pid_t pid, struct berr **err) {
  cleanup_json_writer json_writer *w = json_writer_new(false);
  if (w == NULL)
    return berr_set(err, ENOMEM, DESCRIPTORS);
  jw_array_begin(w);
  for (int fd = 0; fd < 3; fd++) {
    char path[64], target[PATH_MAX];
    snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)pid, fd);
    ssize_t n = readlink(path, target, sizeof(target) - 1);
    target[n < 0 ? 0 : n] = '\0';
    jw_string(w, n < 0 ? "/dev/null" : target);
  }
  jw_array_end(w);
  size_t len;
  const char *text = json_writer_text(w, &len);
  if (text == NULL)
    return berr_set(err, ENOMEM, DESCRIPTORS);
  return write_file_atomic_at(images_fd, DESCRIPTORS, text, len, 0600, err);
}

static int build_opts(struct pb_buf *o, const struct handle *h, const struct spec *spec,
                      const struct criu_flags *f, int images_fd, int work_fd,
                      struct berr **err) {
  criu_common_opts(o, f, images_fd, work_fd, f->pre_dump ? "pre-dump.log" : "dump.log");
  pb_int32(o, CO_PID, h->st->pid);
  pb_string(o, CO_ROOT, h->st->rootfs);
  pb_bool(o, CO_LEAVE_RUNNING, f->leave_running || f->pre_dump);
  freeze_cgroup(o, h->st->cgroup_path);
  if (f->page_server && page_server(o, f->page_server, err) < 0)
    return -1;
  if (f->parent_path) {
    pb_string(o, CO_PARENT_IMG, f->parent_path);
    pb_bool(o, CO_TRACK_MEM, true);
  } else if (f->pre_dump) {
    pb_bool(o, CO_TRACK_MEM, true);
  }
  if (f->lazy_pages && f->status_fd >= 0)
    pb_int32(o, CO_STATUS_FD, f->status_fd);
  if (external_ns(o, spec, err) < 0)
    return -1;
  if (!f->pre_dump) {
    external_mounts(o, spec, h->st->pid);
    if (write_descriptors(images_fd, h->st->pid, err) < 0)
      return -1;
  }
  return 0;
}

int container_checkpoint(const char *root, const char *id, const struct criu_flags *f,
                         struct berr **err) {
  cleanup_handle struct handle h = HANDLE_INIT;
  if (handle_open(root, id, &h, err) < 0)
    return -1;
  if (h.status != STATUS_RUNNING && h.status != STATUS_PAUSED)
    return berr_code(err, EINVAL, "container \"%s\" is %s: only a running container can be "
                     "checkpointed", id, container_status_name(h.status));
  if (f->lazy_pages && f->pre_dump)
    return berr_code(err, EINVAL, "--lazy-pages and --pre-dump: use one of them");
  if (status_fd(f, err) < 0)
    return -1;
  cleanup_spec struct spec *spec = NULL;
  if (container_spec_at(h.dirfd, h.st, &spec, err) < 0 || criu_available(err) < 0)
    return -1;
  const char *images = f->image_path ? f->image_path : "checkpoint";
  cleanup_close int images_fd = -1, work_fd = -1;
  if (criu_open_dir(images, "--image-path", true, &images_fd, err) < 0 ||
      criu_open_dir(f->work_path ? f->work_path : images, "--work-path", true, &work_fd, err) < 0)
    return -1;
  struct pb_buf o = {0};
  int r = build_opts(&o, &h, spec, f, images_fd, work_fd, err);
  if (r == 0 && o.oom)
    r = berr_set(err, ENOMEM, "criu request");
  char log_path[PATH_MAX];
  snprintf(log_path, sizeof(log_path), "%s/%s", f->work_path ? f->work_path : images,
           f->pre_dump ? "pre-dump.log" : "dump.log");
  int pass[3] = {images_fd, work_fd, f->status_fd};
  struct criu_run run = {.type = f->pre_dump ? CRIU_PRE_DUMP : CRIU_DUMP, .opts = &o,
                         .pass_fds = pass, .n_pass = f->status_fd >= 0 ? 3 : 2,
                         .null_stdio = true, .log_path = log_path};
  if (r == 0)
    r = criu_run(&run, err);
  pb_buf_free(&o);
  if (r < 0)
    return berr_prefix(err, "checkpoint \"%s\"", id);
  if (f->leave_running || f->pre_dump)
    return 0;
  /* CRIU killed the processes after the dump: the container goes, as runc's does */
  if (handle_destroy(&h, err) < 0)
    return berr_prefix(err, "checkpoint \"%s\": dumped, but removing the container", id);
  return 0;
}
