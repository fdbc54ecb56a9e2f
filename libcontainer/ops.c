/* start, kill, delete, state and list: the operations on an existing
 * container. Those that change it hold the container's lock while they work; state and list
 * only read (state.json is replaced atomically) and never wait behind a slow create. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "container.h"
#include "handle.h"
#include "hooks.h"
#include "log.h"
#include "resctrl.h"
#include "rootmount.h"
#include "spec.h"
#include "util.h"

void handle_release(struct handle *h) {
  if (h->dirfd >= 0)
    close(h->dirfd);
  if (h->rootfd >= 0)
    close(h->rootfd);
  container_state_free(h->st);
}

static int root_open(const char *root, const char *id, struct berr **err) {
  int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0)
    return fd;
  if (errno == ENOENT)
    return berr_code(err, ENOENT, "container \"%s\" does not exist", id);
  return berr_errno(err, "open state root %s", root);
}

/* Reads <rootfd>/<id>'s state and status; `lock` for operations that change the container. */
static int load_at(int rootfd, const char *id, bool lock, struct handle *h, struct berr **err) {
  int r = lock ? state_dir_open(rootfd, id, &h->dirfd, err)
               : state_dir_open_unlocked(rootfd, id, &h->dirfd, err);
  if (r < 0 || state_read(h->dirfd, id, &h->st, err) < 0)
    return -1;
  h->status = !lock && state_create_in_progress(h->dirfd, h->st) ? STATUS_CREATING
                                                                  : state_status(h->dirfd, h->st);
  return 0;
}

int handle_open(const char *root, const char *id, struct handle *h, struct berr **err) {
  h->rootfd = root_open(root, id, err);
  if (h->rootfd < 0)
    return -1;
  return load_at(h->rootfd, id, true, h, err);
}

static int load_unlocked(int rootfd, const char *id, struct container_state **st,
                         enum container_status *status, struct berr **err) {
  cleanup_handle struct handle h = HANDLE_INIT;
  if (load_at(rootfd, id, false, &h, err) < 0)
    return -1;
  *status = h.status;
  *st = steal_ptr(&h.st);
  return 0;
}

int container_load(const char *root, const char *id, struct container_state **st,
                   enum container_status *status, struct berr **err) {
  cleanup_close int rootfd = root_open(root, id, err);
  if (rootfd < 0)
    return -1;
  return load_unlocked(rootfd, id, st, status, err);
}

int container_spec_at(int dirfd, const struct container_state *st, struct spec **out,
                      struct berr **err) {
  if (spec_load_copy(dirfd, STATE_CONFIG, out, err) == 0)
    return 0;
  if (berr_errcode(err) != ENOENT)
    return -1;
  /* created by a berth that kept no copy */
  berr_cleanup(err);
  return spec_load_bundle(st->bundle, out, err);
}

int container_spec(const char *root, const struct container_state *st, struct spec **out,
                   struct berr **err) {
  char name[CONTAINER_DIR_NAME_MAX];
  container_dir_name(st->id, name);
  cleanup_close int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  cleanup_close int dirfd =
      rootfd < 0 ? -1 : openat(rootfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dirfd < 0)
    return berr_errno(err, "container \"%s\": open its state directory", st->id);
  return container_spec_at(dirfd, st, out, err);
}

/* The config the container was created from, for hooks run after create (poststart,
 * poststop). */
static struct spec *load_created_spec(const struct handle *h) {
  struct spec *s = NULL;
  cleanup_berr struct berr *err = NULL;
  if (container_spec_at(h->dirfd, h->st, &s, &err) < 0)
    log_warn("container %s: cannot read its config for hooks: %s", h->st->id, berr_message(&err));
  return s;
}

static int run_hooks(const struct container_state *st, enum container_status status,
                     const struct spec_hook_list *hooks, const char *phase, struct berr **err) {
  if (hooks->len == 0)
    return 0;
  cleanup_free char *json = state_to_json(st, status, false);
  return hooks_run(hooks, phase, st->bundle, json ? json : "{}", err);
}

static void run_hooks_warn(const struct container_state *st, enum container_status status,
                           const struct spec_hook_list *hooks, const char *phase) {
  if (hooks->len == 0)
    return;
  cleanup_free char *json = state_to_json(st, status, false);
  hooks_run_warn(hooks, phase, st->bundle, json ? json : "{}");
}

static int kill_and_wait(const struct container_state *st, struct berr **err);

/* linux.intelRdt: the MON group and the group berth made (unmounting resctrl took them along).
 * A create killed before its init existed: only those no task is in. */
static int remove_resctrl(const struct container_state *st, struct berr **err) {
  if (st->resctrl_group == NULL || (!st->resctrl_created && !st->resctrl_mon))
    return 0;
  cleanup_close int fd = -1;
  cleanup_berr struct berr *e = NULL;
  if (resctrl_open(&fd, &e) < 0) {
    if (berr_errcode(&e) != ENOENT) {
      return berr_move(err, &e);
    }
    log_debug("%s: nothing to remove", berr_message(&e));
    return 0;
  }
  struct resctrl_group g = {.name = st->resctrl_group, .created = st->resctrl_created,
                            .mon = st->resctrl_mon};
  return resctrl_remove(fd, &g, st->id, st->pid == 0, err);
}

/* A container that shared a mount namespace: its rootfs bind and all below it (rootmount.h). */
static int remove_root_mount(const struct container_state *st, struct berr **err) {
  if (st->root_mount_id == 0)
    return 0;
  cleanup_close int nsfd = -1;
  if (st->root_mount_ns && rootmount_open_ns(st->root_mount_ns, st->root_mount_ns_ino, &nsfd,
                                             err) < 0)
    return -1;
  if (st->root_mount_ns && nsfd < 0)
    return 0;
  return rootmount_undo(nsfd, st->rootfs, st->root_mount_id, err);
}

/* Lifecycle steps 12 and 13 for a stopped container: undo create (the rootfs's mounts in a
 * shared mount namespace, the cgroup, the state directory), then the poststop hooks, whose
 * failures are warnings. */
static int destroy(struct handle *h, struct berr **err) {
  if (remove_root_mount(h->st, err) < 0)
    return berr_prefix(err, "delete container \"%s\"", h->st->id);
  if (h->st->cgroup_path && (h->st->pid == 0 ? cgroup_remove_unused_path(h->st->cgroup_path, err)
                                              : cgroup_destroy_path(h->st->cgroup_path, err)) < 0)
    return berr_prefix(err, "delete container \"%s\"", h->st->id);
  if (remove_resctrl(h->st, err) < 0)
    return berr_prefix(err, "delete container \"%s\"", h->st->id);
  /* the processes and the cgroup are gone: a unit systemd cannot stop now is its problem, not
   * a reason to keep the container */
  cleanup_berr struct berr *se = NULL;
  if (h->st->systemd_unit && cgroup_systemd_stop(h->st->systemd_unit, &se) < 0)
    log_warn("delete container \"%s\": %s", h->st->id, berr_message(&se));
  struct spec *s = h->st->has_poststop ? load_created_spec(h) : NULL;
  if (s) {
    run_hooks_warn(h->st, STATUS_STOPPED, &s->hooks.poststop, "poststop");
    spec_free(s);
  }
  return state_dir_remove(h->rootfd, h->st->id, err);
}

/* A failing startContainer or poststart hook (runtime.md, lifecycle steps 7 and 9): the
 * error is already in *err; stop the container and continue at step 12, so the container
 * is gone when start returns (delete --force of it is no error, as after a failed create). */
static int stop_and_destroy(struct handle *h) {
  cleanup_berr struct berr *e = NULL;
  if (kill_and_wait(h->st, &e) < 0 || destroy(h, &e) < 0)
    log_warn("container %s: destroy after the failed start: %s", h->st->id, berr_message(&e));
  return -1;
}

int handle_destroy(struct handle *h, struct berr **err) {
  if (kill_and_wait(h->st, err) < 0)
    return -1;
  return destroy(h, err);
}

/* ---- start ---- */

/* Waits for the parked process's byte, or for its death (pidfd). */
static bool fifo_wait_byte(int fifo, int pidfd) {
  struct pollfd p[2] = {{.fd = fifo, .events = POLLIN}, {.fd = pidfd, .events = POLLIN}};
  char byte;
  for (;;) {
    int r = poll(p, pidfd >= 0 ? 2 : 1, -1);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      return false;
    if (p[0].revents & POLLIN)
      return read(fifo, &byte, 1) == 1;
    if ((p[0].revents & (POLLHUP | POLLERR)) || (p[1].revents & POLLIN))
      return false;
  }
}

/* After the byte, the process keeps its end open until execve (close on
 * exec); anything it writes before that is why it failed to start. */
static int fifo_wait_exec(int fifo, const char *id, struct berr **err) {
  char msg[1024];
  size_t used = 0;
  struct pollfd p = {.fd = fifo, .events = POLLIN};
  for (;;) {
    if (poll(&p, 1, -1) < 0 && errno != EINTR)
      return berr_errno(err, "wait for the container process");
    ssize_t n = read(fifo, msg + used, sizeof(msg) - 1 - used);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
      continue;
    if (n <= 0 || used + n >= sizeof(msg) - 1) {
      used += n > 0 ? n : 0;
      break;
    }
    used += n;
  }
  if (used == 0)
    return 0;
  msg[used] = '\0';
  return berr_code(err, ECANCELED, "container \"%s\" failed to start: %s", id, msg);
}

/* Releases the parked process, then waits for it to exec, so poststart hooks
 * run after the user process started and its failures reach the caller. */
static int release_fifo(struct handle *h, int *reader, struct berr **err) {
  cleanup_close int pidfd = pidfd_open_pid(h->st->pid);
  cleanup_close int fifo = *reader >= 0 ? steal_fd(reader)
                                         : openat(h->dirfd, EXEC_FIFO,
                                                  O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fifo < 0)
    return berr_errno(err, "open exec fifo");
  if (!fifo_wait_byte(fifo, pidfd))
    return berr_code(err, ESRCH, "container \"%s\": its process exited before start", h->st->id);
  unlinkat(h->dirfd, EXEC_FIFO, 0);
  return fifo_wait_exec(fifo, h->st->id, err);
}

int container_start(const char *root, const char *id, struct berr **err) {
  return container_start_fifo(root, id, -1, err);
}

int container_start_fifo(const char *root, const char *id, int fifo_reader, struct berr **err) {
  cleanup_close int reader = fifo_reader;
  cleanup_handle struct handle h = HANDLE_INIT;
  if (handle_open(root, id, &h, err) < 0)
    return -1;
  /* with create's reader the process did not wait for us: it may have run and exited already
   * (its byte, or why it failed, is still in the fifo) */
  if (h.status != STATUS_CREATED && !(reader >= 0 && h.status == STATUS_STOPPED))
    return berr_code(err, EINVAL, "container \"%s\" is %s, not created: cannot start", id,
                    container_status_name(h.status));
  if (release_fifo(&h, &reader, err) < 0)
    return berr_errcode(err) == ECANCELED ? stop_and_destroy(&h) : -1;
  cleanup_spec struct spec *s = h.st->has_poststart ? load_created_spec(&h) : NULL;
  if (s && run_hooks(h.st, STATUS_RUNNING, &s->hooks.poststart, "poststart", err) < 0)
    return stop_and_destroy(&h);
  return 0;
}

/* ---- kill ---- */

/* Without a cgroup, "all processes" are those in the container's pid namespace. */
static int kill_pidns_members(pid_t init, int sig) {
  char path[64];
  struct stat ref, ours;
  snprintf(path, sizeof(path), "/proc/%d/ns/pid", init);
  if (stat(path, &ref) < 0 || stat("/proc/self/ns/pid", &ours) < 0)
    return -1;
  /* a container in the host's pid namespace: that would be every process */
  if (ref.st_ino == ours.st_ino && ref.st_dev == ours.st_dev)
    return 0;
  cleanup_dir DIR *d = opendir("/proc");
  if (d == NULL)
    return -1;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    pid_t pid = atoi(de->d_name);
    struct stat st;
    if (pid <= 0 || pid == init)
      continue;
    snprintf(path, sizeof(path), "/proc/%d/ns/pid", pid);
    if (stat(path, &st) == 0 && st.st_ino == ref.st_ino && st.st_dev == ref.st_dev)
      kill(pid, sig);
  }
  return 0;
}

static void thaw_after_kill(const struct container_state *st) {
  cleanup_berr struct berr *e = NULL;
  if (st->cgroup_path && cgroup_freeze(st->cgroup_path, false, &e) < 0)
    log_warn("container %s: thaw after SIGKILL: %s", st->id, berr_message(&e));
}

/* "container not running" is runc's text, which containerd's shim (checkKillError) takes as
 * "already gone"; any other message makes it retry the kill for ever. */
static int not_running(const char *id, struct berr **err) {
  return berr_code(err, ESRCH, "container \"%s\" is stopped: container not running", id);
}

static int signal_init(const struct container_state *st, int sig, struct berr **err) {
  cleanup_close int pidfd = pidfd_open_pid(st->pid);
  /* the pidfd pins the process: re-check it is still the container's */
  if (pidfd < 0 || !state_pid_is_container(st))
    return not_running(st->id, err);
  if (pidfd_signal(pidfd, sig) < 0)
    return berr_errno(err, "signal container \"%s\"", st->id);
  return 0;
}

int container_kill(const char *root, const char *id, int sig, bool all, struct berr **err) {
  cleanup_handle struct handle h = HANDLE_INIT;
  if (handle_open(root, id, &h, err) < 0)
    return -1;
  /* runc's contract: a plain kill of a stopped container fails; --all signals what is left in
   * its cgroup (processes of a container without its own pid namespace outlive the init) and
   * succeeds, as the shim's kill --all after the init's exit expects */
  if (h.status == STATUS_STOPPED && !all)
    return not_running(id, err);
  /* no signal given: the image's stop signal (config.md, org.opencontainers.image.stopSignal;
   * checked at create), else SIGTERM */
  if (sig == KILL_DEFAULT_SIGNAL) {
    int stop = spec_stop_signal(h.st->annotations, h.st->annotations_len);
    sig = stop > 0 ? stop : SIGTERM;
  }
  /* the init first: it is the one whose signal must be reported (with --all, one that has just
   * exited is no error: the rest of the cgroup is still signalled) */
  cleanup_berr struct berr *init_err = NULL;
  if (h.status != STATUS_STOPPED && signal_init(h.st, sig, &init_err) < 0 &&
      (!all || init_err->code != ESRCH)) {
    *err = steal_ptr(&init_err);
    return -1;
  }
  if (all && h.st->cgroup_path) {
    /* a cgroup already removed is no error (runc); a stored path berth never writes is */
    cleanup_berr struct berr *cg_err = NULL;
    if (cgroup_signal_all(h.st->cgroup_path, sig, &cg_err) < 0 && cg_err->code != ENOENT)
      return berr_code(err, cg_err->code, "container \"%s\": kill --all: %s", id, cg_err->msg);
  } else if (all && h.status != STATUS_STOPPED && init_err == NULL)
    kill_pidns_members(h.st->pid, sig);
  /* a frozen process cannot act on SIGKILL: thaw so it dies (as runc does); other signals stay
   * pending until resume */
  if (sig == SIGKILL && h.status == STATUS_PAUSED)
    thaw_after_kill(h.st);
  return 0;
}

/* ---- delete ---- */

static int kill_and_wait(const struct container_state *st, struct berr **err) {
  cleanup_close int pidfd = pidfd_open_pid(st->pid);
  if (pidfd < 0 || !state_pid_is_container(st))
    return 0;
  /* with a cgroup, destroy() kills what is left in it; the walk of every /proc entry (a stat
   * per host process) is for a container without one, as in container_kill() */
  if (st->cgroup_path == NULL)
    kill_pidns_members(st->pid, SIGKILL);
  if (pidfd_signal(pidfd, SIGKILL) < 0 && errno != ESRCH)
    return berr_errno(err, "kill container \"%s\"", st->id);
  if (st->cgroup_path && cgroup_is_frozen(st->cgroup_path)) {
    cgroup_signal_all(st->cgroup_path, SIGKILL, NULL);
    thaw_after_kill(st);
  }
  if (pidfd_wait_exit(pidfd, 10000) != 1)
    return berr_code(err, ETIMEDOUT, "container \"%s\" did not die after SIGKILL", st->id);
  return 0;
}

/* SIGKILLs the processes holding the exec fifo open (a parked init keeps an O_PATH fd on it),
 * and waits for them: the one way to find a created container's init without state.json. */
static void kill_fifo_holders(int statefd) {
  struct stat fifo;
  if (fstatat(statefd, EXEC_FIFO, &fifo, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISFIFO(fifo.st_mode))
    return;
  cleanup_dir DIR *proc = opendir("/proc");
  for (struct dirent *de; proc && (de = readdir(proc)) != NULL;) {
    pid_t pid = atoi(de->d_name);
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/fd", pid);
    cleanup_dir DIR *fds = pid > 0 && pid != getpid() ? opendir(path) : NULL;
    for (struct dirent *fe; fds && (fe = readdir(fds)) != NULL;) {
      struct stat st;
      if (fe->d_name[0] == '.' || fstatat(dirfd(fds), fe->d_name, &st, 0) < 0 ||
          st.st_dev != fifo.st_dev || st.st_ino != fifo.st_ino)
        continue;
      cleanup_close int pidfd = pidfd_open_pid(pid);
      if (pidfd >= 0 && pidfd_signal(pidfd, SIGKILL) == 0)
        pidfd_wait_exit(pidfd, 10000);
      log_debug("delete --force: killed %d, holding the exec fifo", pid);
      break;
    }
  }
}

/* delete --force of a container whose state.json is missing, half-written, corrupt or not a
 * regular file: nothing in it is trusted (a pid or cgroup there may name anything). What berth
 * made is found from what it wrote itself: the processes holding the exec fifo, and the cgroup
 * create computes from the id and the config copy in the state directory (the default
 * /berth/<id> without one). A --systemd-cgroup unit is not found this way. */
static int delete_untrusted(struct handle *h, const char *id, struct berr **err) {
  kill_fifo_holders(h->dirfd);
  cleanup_spec struct spec *s = NULL;
  cleanup_berr struct berr *e = NULL;
  struct stat sb;
  /* create writes the config copy and the fifo after the cgroup: with neither, this directory
   * never got that far (or is no container's), and /berth/<id> may be another --root's */
  bool made = fstatat(h->dirfd, STATE_CONFIG, &sb, AT_SYMLINK_NOFOLLOW) == 0 ||
              fstatat(h->dirfd, EXEC_FIFO, &sb, AT_SYMLINK_NOFOLLOW) == 0;
  if (!made)
    return state_dir_remove(h->rootfd, id, err);
  if (spec_load_copy(h->dirfd, STATE_CONFIG, &s, &e) < 0)
    log_debug("delete --force %s: no config copy (%s): the default cgroup", id, berr_message(&e));
  berr_cleanup(&e);
  cleanup_free char *path = NULL;
  if (cgroup_expected_path(s, id, &path, &e) < 0 || cgroup_destroy_path(path, &e) < 0)
    log_warn("delete --force %s: cgroup %s: %s", id, path ? path : "", berr_message(&e));
  /* the rootfs's bind in a mount namespace not the container's own: kept with the directory
   * when it cannot be unmounted, for the next delete */
  if (rootmount_undo_recorded(h->dirfd, err) < 0)
    return berr_prefix(err, "delete container \"%s\"", id);
  return state_dir_remove(h->rootfd, id, err);
}

/* Whether state.json's cgroup is the one create computes from the id and the config copy (a
 * state.json edited to name "/" or another container's cgroup would make delete kill and
 * remove what berth did not make). A systemd unit's cgroup is systemd's choice: not checked. */
static bool cgroup_as_created(const struct handle *h) {
  if (h->st->cgroup_path == NULL || h->st->systemd_unit != NULL)
    return true;
  cleanup_free char *cp = NULL, *path = NULL;
  /* only linux.cgroupsPath counts: read alone, not with a whole spec_parse() */
  if (spec_copy_cgroups_path(h->dirfd, STATE_CONFIG, &cp) < 0)
    return true; /* no copy to compare with (an older berth): as before */
  /* a relative cgroupsPath is below the cgroup of whoever ran create (an engine's scope):
   * not something delete can compute again */
  if (cp && cp[0] && cp[0] != '/')
    return true;
  struct spec_linux l = {.cgroups_path = cp};
  struct spec s = {.linux = &l};
  if (cgroup_expected_path(&s, h->st->id, &path, NULL) < 0)
    return false;
  return strcmp(path, h->st->cgroup_path) == 0;
}

int container_delete(const char *root, const char *id, bool force, struct berr **err) {
  berr_sink(err); /* --force recovers from some errors: it must see them */
  cleanup_handle struct handle h = HANDLE_INIT;
  int opened = handle_open(root, id, &h, err);
  /* the leftovers of killed creates are swept when delete finds no container to delete (an
   * engine cleaning up after a create that failed), and by list: not on every delete, a
   * readdir of the whole root (it costs with many containers) */
  if (opened < 0 && h.rootfd >= 0)
    state_root_sweep(h.rootfd);
  if (opened < 0) {
    /* --force: a container whose directory we hold (locked) but whose state cannot be read
     * (half-created, corrupt) is removed with what berth can trust; one that does not exist
     * is no error (runc's contract: engines call delete --force to clean up after a create
     * that failed and left nothing) */
    if (force && h.dirfd >= 0) {
      log_warn("%s: removing what berth made without it", berr_message(err));
      berr_cleanup(err);
      return delete_untrusted(&h, id, err);
    }
    if (force && berr_errcode(err) == ENOENT) {
      berr_cleanup(err);
      return 0;
    }
    return -1;
  }
  if (!cgroup_as_created(&h)) {
    if (!force)
      return berr_code(err, EINVAL,
                       "container \"%s\": state.json names cgroup \"%s\", not the one create "
                       "made: not trusted, use delete --force", id, h.st->cgroup_path);
    log_warn("container \"%s\": state.json names cgroup \"%s\", not the one create made: "
             "removing what berth made without it", id, h.st->cgroup_path);
    return delete_untrusted(&h, id, err);
  }
  if ((h.status == STATUS_RUNNING || h.status == STATUS_PAUSED) && !force)
    return berr_code(err, EBUSY,
                    "container \"%s\" is %s: stop it first, or use delete --force", id,
                    container_status_name(h.status));
  if (h.status != STATUS_STOPPED && kill_and_wait(h.st, err) < 0)
    return -1;
  return destroy(&h, err);
}

/* ---- list ---- */

static int compare_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* load_unlocked() for list, with the fewest syscalls per container: state.json and the exec
 * fifo are reached through the root's fd; the container's directory is opened only while
 * state.json says "creating" (its lock tells whether that create still runs). */
static int list_load(int rootfd, const char *id, struct container_state **st,
                     enum container_status *status, struct berr **err) {
  cleanup_state struct container_state *s = NULL;
  if (state_read_in_root(rootfd, id, &s, err) < 0)
    return -1;
  if (s->creating) {
    cleanup_close int dirfd = -1;
    if (state_dir_open_unlocked(rootfd, id, &dirfd, err) < 0)
      return -1;
    *status = state_create_in_progress(dirfd, s) ? STATUS_CREATING : state_status(dirfd, s);
  } else {
    *status = state_status_in_root(rootfd, s);
  }
  *st = steal_ptr(&s);
  return 0;
}

/* Whether a create holds the directory's lock (it is being made: nothing to report). */
static bool dir_locked(int rootfd, const char *name) {
  cleanup_close int fd = openat(rootfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 || flock(fd, LOCK_SH | LOCK_NB) == 0)
    return false;
  return errno == EWOULDBLOCK;
}

/* A container list cannot load is shown, status "unknown", and why goes to stderr (hiding it
 * would hide a parked process and its cgroup; delete --force removes it). */
static void visit_one(int rootfd, const char *name, container_visit_fn fn, void *data) {
  struct container_state *st = NULL;
  enum container_status status;
  cleanup_berr struct berr *err = NULL;
  cleanup_free char *id = NULL;
  if (state_dir_id(rootfd, name, &id) == 0 && list_load(rootfd, id, &st, &status, &err) == 0) {
    fn(st, status, data);
    container_state_free(st);
    return;
  }
  bool creating = dir_locked(rootfd, name);
  if (!creating)
    log_warn("list: container %s: %s", id ? id : name,
             err ? berr_message(&err) : "no readable state.json to take its id from");
  struct container_state stub = {.id = id ? id : (char *)name, .oci_version = (char *)""};
  fn(&stub, creating ? STATUS_CREATING : STATUS_UNKNOWN, data);
}

int container_list(const char *root, container_visit_fn fn, void *data, struct berr **err) {
  cleanup_dir DIR *d = opendir(root);
  if (d == NULL)
    return errno == ENOENT ? 0 : berr_errno(err, "open state root %s", root);
  size_t n = 0, cap = 0;
  cleanup_strv char **names = NULL;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (de->d_name[0] == '.' || de->d_type != DT_DIR)
      continue;
    if (n + 2 > cap) {
      cap = cap ? cap * 2 : 16;
      char **nn = realloc(names, cap * sizeof(*names));
      if (nn == NULL)
        return berr_set(err, ENOMEM, "list");
      names = nn;
    }
    names[n++] = strdup(de->d_name);
    names[n] = NULL;
  }
  state_root_sweep(dirfd(d));
  if (n)
    qsort(names, n, sizeof(*names), compare_names);
  for (size_t i = 0; i < n; i++)
    visit_one(dirfd(d), names[i], fn, data);
  return 0;
}
