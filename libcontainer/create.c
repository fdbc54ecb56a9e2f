/* The runtime side of the handshake (see sync.h): validate everything,
 * make the state dir and exec fifo, clone stage1, answer its requests,
 * write state.json once the container process is parked. Any failure kills
 * what was started and removes the state dir, so nothing is left behind. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "container.h"
#include "hooks.h"
#include "idmap.h"
#include "init.h"
#include "launch.h"
#include "log.h"
#include "netdev.h"
#include "resctrl.h"
#include "rootmount.h"
#include "seccomp_filter.h"
#include "spec.h"
#include "sync.h"
#include "sysctl.h"
#include "terminal.h"
#include "util.h"

/* Everything create holds; released by create_ctx_release() on every path. */
struct create_ctx {
  const struct create_opts *o;
  struct spec *spec;
  char *config_text; /* config.json as read, copied into the state dir */
  size_t config_len;
  char *bundle;
  char *rootfs;
  int rootfd, dirfd, fifo_fd, console_fd, listener_fd, sync_fd;
  int resctrl_fd; /* linux.intelRdt: the resctrl mount, else -1 */
  struct resctrl_group rdt;
  struct ns_plan ns;
  int *idmap_fds; /* per mounts[i], see idmap.h; NULL when no mount is idmapped */
  struct seccomp_program *seccomp;
  struct cgroup *cgroup;
  pid_t stage1, init;
  bool in_cgroup; /* the init was cloned into its cgroup (CLONE_INTO_CGROUP) */
  bool devices_applied;
  struct container_state *st;
  bool pid_file_written; /* --pid-file: removed when create fails after all */
  bool created; /* success: keep the state dir and the init */
};

static void reap(pid_t pid) {
  while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
    ;
}

/* A failed create still ends the lifecycle: "continue at step 12" runs poststop. */
static void run_poststop_after_failure(struct create_ctx *c) {
  if (c->st == NULL || c->spec->hooks.poststop.len == 0)
    return;
  cleanup_free char *json = state_to_json(c->st, STATUS_STOPPED, false);
  hooks_run_warn(&c->spec->hooks.poststop, "poststop", c->bundle, json ? json : "{}");
}

/* The fds the undo below does not need: closed first, so that undoing a create that failed for
 * want of fds (EMFILE) has some to open cgroup files and the state directory with. */
static void close_transient_fds(struct create_ctx *c) {
  int *fds[] = {&c->fifo_fd, &c->console_fd, &c->listener_fd, &c->sync_fd};
  for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
    if (*fds[i] >= 0)
      close(steal_fd(fds[i]));
  ns_plan_close(&c->ns);
  idmap_release(c->idmap_fds, c->spec ? c->spec->mounts_len : 0);
  c->idmap_fds = NULL; /* released: not again below */
}

/* The init bound the rootfs in a mount namespace not the container's own (rootmount.h). */
static int on_root_mount(struct create_ctx *c, uint32_t mnt_id, struct berr **err) {
  c->st->root_mount_id = mnt_id;
  int nsfd = c->ns.join_fd[NS_MOUNT];
  if (nsfd >= 0 && ns_is_containers_own(c->spec, NS_MOUNT)) {
    struct stat st;
    if (fstat(nsfd, &st) < 0)
      return berr_errno(err, "linux.namespaces: mount");
    free(c->st->root_mount_ns);
    c->st->root_mount_ns = strdup(spec_find_namespace(c->spec, NS_MOUNT)->path);
    if (c->st->root_mount_ns == NULL)
      return berr_set(err, ENOMEM, "state");
    c->st->root_mount_ns_ino = st.st_ino;
  }
  /* a create killed from now on leaves it for `delete` to unmount; the init attaches the bind
   * only once it is recorded */
  if (state_write(c->dirfd, c->st, err) < 0 ||
      rootmount_record(c->dirfd, c->rootfs, mnt_id, c->st->root_mount_ns,
                       c->st->root_mount_ns_ino, err) < 0)
    return -1;
  return sync_send(c->sync_fd, SYNC_ROOT_MOUNT_RECORDED, 0, NULL, 0, err);
}

static void undo_root_mount(struct create_ctx *c) {
  cleanup_berr struct berr *e = NULL;
  if (rootmount_undo(c->st->root_mount_ns ? c->ns.join_fd[NS_MOUNT] : -1, c->rootfs,
                     c->st->root_mount_id, &e) < 0)
    log_warn("%s", berr_message(&e));
}

static void create_ctx_release(struct create_ctx *c) {
  if (!c->created) {
    /* kill and reap need no fd nor memory */
    if (c->init > 0) {
      kill(c->init, SIGKILL);
      reap(c->init);
    }
    if (c->stage1 > 0) {
      kill(c->stage1, SIGKILL);
      reap(c->stage1);
    }
    if (c->st && c->st->root_mount_id)
      undo_root_mount(c);
    close_transient_fds(c);
    if (c->cgroup)
      cgroup_destroy(c->cgroup);
    if (c->resctrl_fd >= 0)
      resctrl_undo(c->resctrl_fd, &c->rdt, c->o->id);
    if (c->init > 0)
      run_poststop_after_failure(c);
    /* it names the init, gone: an engine reading it could signal a reused pid */
    if (c->pid_file_written)
      unlink(c->o->pid_file);
    /* removing the tree takes an fd per level: give back the directory's own first (its lock
     * goes with it; nothing is left to protect) */
    if (c->dirfd >= 0) {
      close(steal_fd(&c->dirfd));
      state_dir_remove(c->rootfd, c->o->id, NULL);
    }
  }
  int *fds[] = {&c->rootfd,      &c->dirfd,   &c->fifo_fd,   &c->console_fd,
                &c->listener_fd, &c->sync_fd, &c->resctrl_fd};
  for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
    if (*fds[i] >= 0)
      close(steal_fd(fds[i]));
  ns_plan_close(&c->ns);
  idmap_release(c->idmap_fds, c->spec ? c->spec->mounts_len : 0);
  resctrl_group_clear(&c->rdt);
  cgroup_free(c->cgroup);
  seccomp_program_free(c->seccomp);
  container_state_free(c->st);
  spec_free(c->spec);
  free(c->bundle);
  free(c->config_text);
  free(c->rootfs);
}

/* ---- validation, before anything is created ---- */

static int resolve_rootfs(struct create_ctx *c, struct berr **err) {
  char path[PATH_MAX * 2];
  const char *root = c->spec->root.path;
  if (root[0] == '/')
    snprintf(path, sizeof(path), "%s", root);
  else
    snprintf(path, sizeof(path), "%s/%s", c->bundle, root);
  c->rootfs = realpath(path, NULL);
  struct stat st;
  if (c->rootfs == NULL || stat(c->rootfs, &st) < 0)
    return berr_errno(err, "root.path \"%s\"", root);
  if (!S_ISDIR(st.st_mode))
    return berr_code(err, ENOTDIR, "root.path \"%s\": not a directory", root);
  /* the host's / (directly, through a symlink or "..", or a bind mount of it): its mounts,
   * /proc and /sys are the host's own, and pivot_root would make the host the container */
  struct stat host;
  if (stat("/", &host) == 0 && st.st_dev == host.st_dev && st.st_ino == host.st_ino)
    return berr_code(err, EINVAL,
                     "root.path \"%s\" is the host's root directory: a container needs a "
                     "root filesystem of its own", root);
  return 0;
}

static int validate(struct create_ctx *c, struct berr **err) {
  const struct create_opts *o = c->o;
  if (container_id_validate(o->id, err) < 0)
    return -1;
  c->bundle = realpath(o->bundle ? o->bundle : ".", NULL);
  if (c->bundle == NULL)
    return berr_errno(err, "bundle \"%s\"", o->bundle ? o->bundle : ".");
  if (spec_load_text(c->bundle, &c->spec, &c->config_text, &c->config_len, err) < 0)
    return -1;
  if (c->spec->process == NULL)
    return berr_code(err, EINVAL, "config.json: process: required to create a container");
  if (resolve_rootfs(c, err) < 0 || sysctl_validate(c->spec, err) < 0 ||
      launch_validate(c->spec->process, c->spec->linux, err) < 0 ||
      netdev_validate(c->spec, err) < 0)
    return -1;
  /* the spec's MUST: no resctrl mounted is an error, before anything is made */
  if (c->spec->linux && c->spec->linux->intel_rdt && resctrl_open(&c->resctrl_fd, err) < 0)
    return -1;
  if (c->spec->process->terminal && o->console_socket == NULL && o->console_sock_fd <= 2)
    return berr_code(err, EINVAL,
                    "process.terminal is true: --console-socket is required to receive the pty");
  if ((c->spec->hostname || c->spec->domainname) && !ns_is_containers_own(c->spec, NS_UTS))
    return berr_code(err, EINVAL,
                     "config.json: %s: needs the container's own uts namespace (linux.namespaces: "
                     "%s)",
                     c->spec->hostname ? "hostname" : "domainname",
                     spec_find_namespace(c->spec, NS_UTS) ? "the path given is the runtime's own"
                                                          : "none listed, the runtime's is shared");
  if (o->preserve_fds < 0)
    return berr_code(err, EINVAL, "--preserve-fds: must not be negative");
  if (o->listen_fds < 0)
    return berr_code(err, EINVAL, "LISTEN_FDS: must not be negative");
  if (geteuid() != 0 && spec_find_namespace(c->spec, NS_USER) == NULL)
    return berr_code(err, EPERM,
                     "running as uid %u: linux.namespaces needs a user namespace to create a "
                     "container without root (berth spec --rootless writes one)",
                     (unsigned)geteuid());
  return 0;
}

/* ---- resources the child inherits ---- */

/* In a user namespace the parked process is the container's root, not the host's: it must be
 * able to reopen the fifo for writing. A new namespace's root is known from linux.uidMappings
 * before the fork (init 0); a joined one's from its own maps once the init is in it. */
static int chown_fifo_to_container_root(struct create_ctx *c, pid_t init, struct berr **err) {
  const struct spec_linux *lx = c->spec->linux;
  uint32_t uid, gid;
  if (init == 0) {
    if (!c->ns.create[NS_USER] ||
        !ns_map_to_host(lx->uid_mappings, lx->uid_mappings_len, 0, &uid) ||
        !ns_map_to_host(lx->gid_mappings, lx->gid_mappings_len, 0, &gid))
      return 0;
  } else {
    int r = c->ns.join_fd[NS_USER] < 0 ? 0 : ns_pid_map_to_host(init, "uid_map", 0, &uid, err);
    if (r > 0)
      r = ns_pid_map_to_host(init, "gid_map", 0, &gid, err);
    if (r <= 0)
      return r < 0 ? berr_prefix(err, "the joined user namespace") : 0;
  }
  if (fchownat(c->dirfd, EXEC_FIFO, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
    return berr_errno(err, "chown exec fifo");
  return 0;
}

/* In the host's namespaces, before the fork: see idmap.h. */
static int prepare_idmapped_mounts(struct create_ctx *c, struct berr **err) {
  cleanup_close int bundlefd = open(c->bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (bundlefd < 0)
    return berr_errno(err, "bundle %s", c->bundle);
  return idmap_prepare(c->spec, &c->ns, bundlefd, c->rootfs, &c->idmap_fds, err);
}

static bool limits_resources(const struct spec_resources *r) {
  return r && (r->memory || r->cpu || r->has_pids_limit || r->block_io || r->hugepage_limits_len ||
               r->network || r->rdma_len || r->unified_len);
}

/* Without root, a cgroup only where the caller may write (a delegated one);
 * otherwise the container stays in the caller's cgroup, unless it asks for
 * resource limits, which then cannot be enforced. */
/* state.json names the cgroup before its first mkdir: a create killed between the two leaves
 * nothing that `delete --force` cannot find */
static int note_cgroup_path(void *arg, const char *path, struct berr **err) {
  struct create_ctx *c = arg;
  free(c->st->cgroup_path);
  c->st->cgroup_path = strdup(path);
  if (c->st->cgroup_path == NULL)
    return berr_set(err, ENOMEM, "state");
  return state_write(c->dirfd, c->st, err);
}

/* The same for the resctrl group and MON group, before each mkdir. */
static int note_resctrl(void *arg, const struct resctrl_group *g, struct berr **err) {
  struct create_ctx *c = arg;
  if (c->st->resctrl_group == NULL && (c->st->resctrl_group = strdup(g->name)) == NULL)
    return berr_set(err, ENOMEM, "state");
  c->st->resctrl_created = g->created;
  c->st->resctrl_mon = g->mon;
  return state_write(c->dirfd, c->st, err);
}

static int create_cgroup(struct create_ctx *c, struct berr **err) {
  cleanup_berr struct berr *e = NULL;
  if (cgroup_create(c->spec, c->o->id, c->o->systemd_cgroup, note_cgroup_path, c, &c->cgroup,
                    &e) == 0)
    return cgroup_delegate(c->cgroup, c->spec, 0, err);
  bool denied = berr_errcode(&e) == EACCES || berr_errcode(&e) == EPERM || berr_errcode(&e) == EROFS;
  if (geteuid() == 0 || !denied) {
    return berr_move(err, &e);
  }
  if (limits_resources(c->spec->linux ? c->spec->linux->resources : NULL))
    return berr_code(err, berr_errcode(&e),
                     "linux.resources: running as uid %u, the container's cgroup cannot be "
                     "created (%s): drop the limits or delegate a writable cgroup",
                     (unsigned)geteuid(), berr_message(&e));
  log_debug("%s: rootless, running in the caller's cgroup", berr_message(&e));
  return 0;
}

static int new_state(struct create_ctx *c, struct berr **err);

/* The cgroup as made (a systemd unit, or none when rootless without a delegated cgroup) into
 * state.json; no write when note_cgroup_path already wrote exactly this. */
static int record_cgroup(struct create_ctx *c, struct berr **err) {
  struct container_state *st = c->st;
  const char *path = c->cgroup ? cgroup_path(c->cgroup) : NULL;
  const char *unit = c->cgroup ? cgroup_unit(c->cgroup) : NULL;
  bool same = (path && st->cgroup_path && strcmp(path, st->cgroup_path) == 0) && !unit;
  if (same)
    return 0;
  free(st->cgroup_path);
  st->cgroup_path = path ? strdup(path) : NULL;
  st->systemd_unit = unit ? strdup(unit) : NULL;
  if ((path && st->cgroup_path == NULL) || (unit && st->systemd_unit == NULL))
    return berr_set(err, ENOMEM, "state");
  return state_write(c->dirfd, c->st, err);
}

static int open_resources(struct create_ctx *c, struct berr **err) {
  const struct create_opts *o = c->o;
  if (ns_plan_prepare(c->spec, &c->ns, err) < 0 || prepare_idmapped_mounts(c, err) < 0)
    return -1;
  if (seccomp_program_build(c->spec->linux ? c->spec->linux->seccomp : NULL, &c->seccomp, err) < 0)
    return -1;
  if (c->spec->process->terminal &&
      terminal_console_socket(o->console_socket, o->console_sock_fd, &c->console_fd, err) < 0)
    return -1;
  if (seccomp_program_needs_listener(c->seccomp) &&
      unix_connect(c->spec->linux->seccomp->listener_path, &c->listener_fd, err) < 0)
    return berr_prefix(err, "linux.seccomp.listenerPath");
  if (state_root_open(o->root, &c->rootfd, err) < 0 ||
      state_dir_create(c->rootfd, o->id, &c->dirfd, err) < 0)
    return -1;
  /* from here on a killed create leaves a state.json (pid 0 until the init exists) naming the
   * cgroup, so `delete` can still remove everything */
  if (new_state(c, err) < 0 || create_cgroup(c, err) < 0 || record_cgroup(c, err) < 0 ||
      (c->resctrl_fd >= 0 && resctrl_setup(c->resctrl_fd, c->spec->linux->intel_rdt, c->o->id,
                                           &c->rdt, note_resctrl, c, err) < 0) ||
      (c->resctrl_fd >= 0 && note_resctrl(c, &c->rdt, err) < 0) ||
      write_file_atomic_at(c->dirfd, STATE_CONFIG, c->config_text, c->config_len, 0600, err) < 0)
    return -1;
  if (mkfifoat(c->dirfd, EXEC_FIFO, 0600) < 0)
    return berr_errno(err, "create exec fifo");
  c->fifo_fd = openat(c->dirfd, EXEC_FIFO, O_PATH | O_CLOEXEC);
  if (c->fifo_fd < 0)
    return berr_errno(err, "open exec fifo");
  return chown_fifo_to_container_root(c, 0, err);
}

static int new_state(struct create_ctx *c, struct berr **err) {
  return state_new(c->spec, c->o->id, c->bundle, c->rootfs, &c->st, err);
}

/* stage1 exists to join namespaces by path (setns must come before the
 * clone) and to write a time namespace's offsets before its first process.
 * Without either, the init is cloned straight into all its new namespaces:
 * one process fewer, and no SYNC_INIT_PID round trip. */
static bool needs_stage1(const struct create_ctx *c) {
  for (int t = 0; t < NS_COUNT; t++)
    if (c->ns.join_fd[t] >= 0)
      return true;
  return c->ns.create[NS_TIME];
}

/* On cgroup v2, clone3(CLONE_INTO_CGROUP) starts the init in its cgroup: no
 * cgroup.procs write, whose migration takes the kernel's cgroup threadgroup
 * lock for writing. Not with CLONE_NEWCGROUP: the kernel would root that
 * namespace at our cgroup (namespaces are copied before the cgroup is chosen),
 * so the init still unshares it after GO. Falls back to clone() +
 * cgroup_enter() when the kernel refuses. */
static pid_t clone_direct(struct create_ctx *c) {
  long flags = ns_plan_unshare_flags(&c->ns) | (c->ns.create[NS_USER] ? CLONE_NEWUSER : 0);
  cleanup_close int cgfd = cgroup_open_unified(c->cgroup);
  if (cgfd >= 0) {
    pid_t pid = clone_into_cgroup((uint64_t)flags, cgfd);
    if (pid >= 0) {
      c->in_cgroup = true;
      return pid;
    }
    log_debug("clone3 into the cgroup: %s; cloning, then entering the cgroup", strerror(errno));
  }
  return (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, 0);
}

static int on_init_pid(struct create_ctx *c, pid_t pid, struct berr **err);

static int spawn_stage1(struct create_ctx *c, struct berr **err) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return berr_errno(err, "socketpair");
  c->sync_fd = sv[0];
  struct init_ctx ic = {
      .spec = c->spec,
      .id = c->o->id,
      .bundle = c->bundle,
      .rootfs = c->rootfs,
      .sync_fd = sv[1],
      .fifo_fd = c->fifo_fd,
      .console_fd = c->console_fd,
      .listener_fd = c->listener_fd,
      .preserve_fds = c->o->listen_fds + c->o->preserve_fds,
      .listen_fds = c->o->listen_fds,
      .no_pivot = c->o->no_pivot,
      .no_new_keyring = c->o->no_new_keyring,
      .ns = c->ns,
      .idmap_fds = c->idmap_fds,
      .seccomp = c->seccomp,
      .direct = !needs_stage1(c),
  };
  pid_t pid = ic.direct ? clone_direct(c) : fork();
  if (pid < 0) {
    close(sv[1]);
    return berr_errno(err, ic.direct ? "clone container init" : "fork");
  }
  if (pid == 0) {
    /* the state dir fd carries the container's lock: the child must not hold it */
    close(sv[0]);
    close(c->dirfd);
    close(c->rootfd);
    if (ic.direct)
      init_direct(&ic);
    init_stage1(&ic);
  }
  close(sv[1]);
  if (!ic.direct) {
    c->stage1 = pid;
    return 0;
  }
  c->init = pid; /* killed and reaped by create_ctx_release on failure */
  if (c->ns.create[NS_USER] && ns_write_id_maps(pid, c->spec->linux, err) < 0)
    return -1;
  return on_init_pid(c, pid, err);
}

/* ---- the handshake ---- */

static char *creating_state_json(struct create_ctx *c) {
  return state_to_json(c->st, STATUS_CREATING, false);
}

/* the device rules in force before any hook or the container's process runs */
static int apply_devices(struct create_ctx *c, struct berr **err) {
  if (c->devices_applied)
    return 0;
  c->devices_applied = true;
  return cgroup_devices_apply(c->cgroup, c->spec, err);
}

static int run_runtime_hooks(struct create_ctx *c, struct berr **err) {
  if (apply_devices(c, err) < 0)
    return -1;
  cleanup_free char *json = creating_state_json(c);
  if (hooks_run(&c->spec->hooks.prestart, "prestart", c->bundle, json, err) < 0 ||
      hooks_run(&c->spec->hooks.create_runtime, "createRuntime", c->bundle, json, err) < 0)
    return -1;
  return sync_send(c->sync_fd, SYNC_HOOKS_DONE, 0, NULL, 0, err);
}

static int on_init_pid(struct create_ctx *c, pid_t pid, struct berr **err) {
  c->init = pid;
  if (c->stage1 > 0)
    reap(c->stage1);
  c->stage1 = 0;
  c->st->pid = pid;
  c->st->start_time = proc_start_time(pid, NULL);
  /* a create killed from now on leaves the init's pid for `delete` to kill */
  if (state_write(c->dirfd, c->st, err) < 0)
    return -1;
  /* in its cgroup before it runs anything of the container's */
  if (c->cgroup && !c->in_cgroup && cgroup_enter(c->cgroup, pid, err) < 0)
    return -1;
  /* a joined user namespace: its maps are readable now */
  if ((c->cgroup && cgroup_delegate(c->cgroup, c->spec, pid, err) < 0) ||
      chown_fifo_to_container_root(c, pid, err) < 0)
    return -1;
  if (c->resctrl_fd >= 0 && resctrl_enter(c->resctrl_fd, &c->rdt, c->o->id, pid, err) < 0)
    return -1;
  /* its network namespace exists: hand it the configured host interfaces */
  if (netdev_move_all(c->spec->linux, pid, err) < 0)
    return -1;
  if (sync_send(c->sync_fd, SYNC_GO, pid, NULL, 0, err) < 0)
    return -1;
  /* the eBPF device program's load (the verifier) while the init builds the rootfs */
  return cgroup_devices_prepare(c->cgroup, c->spec, err);
}

static int on_ready(struct create_ctx *c, struct berr **err) {
  if (apply_devices(c, err) < 0)
    return -1;
  c->st->creating = false;
  if (state_write(c->dirfd, c->st, err) < 0)
    return -1;
  if (c->o->pid_file && pid_file_write(c->o->pid_file, c->init, err) < 0)
    return -1;
  c->pid_file_written = c->o->pid_file != NULL;
  /* run: a reader before the process opens the fifo, so that open does not block; not with a
   * terminal, which the caller sets up (window size, relay) before the process may run */
  if (c->o->fifo_reader && !c->spec->process->terminal) {
    *c->o->fifo_reader = openat(c->dirfd, EXEC_FIFO, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (*c->o->fifo_reader < 0)
      return berr_errno(err, "open exec fifo");
  }
  if (sync_send(c->sync_fd, SYNC_READY_ACK, 0, NULL, 0, err) < 0)
    return -1;
  /* wait for the init to close its end: it then no longer needs us */
  struct sync_msg m = {0};
  cleanup_berr struct berr *eof = NULL;
  while (sync_recv(c->sync_fd, &m, &eof) == 0)
    sync_msg_clear(&m);
  return 0;
}

static int handshake(struct create_ctx *c, struct berr **err) {
  for (;;) {
    struct sync_msg m = {0};
    if (sync_recv(c->sync_fd, &m, err) < 0) {
      if (berr_errcode(err) == EPIPE) {
        berr_cleanup(err);
        return berr_code(err, EPIPE, "container init exited unexpectedly");
      }
      return -1;
    }
    int r = 0;
    switch (m.type) {
    case SYNC_LOG:
      log_write((enum log_level)m.code, m.data ? m.data : "");
      break;
    case SYNC_ERROR:
      r = sync_msg_to_error(&m, err);
      break;
    case SYNC_USERNS_READY:
      r = ns_write_id_maps(c->stage1, c->spec->linux, err);
      if (r == 0)
        r = sync_send(c->sync_fd, SYNC_USERNS_MAPPED, 0, NULL, 0, err);
      break;
    case SYNC_INIT_PID:
      r = on_init_pid(c, m.code, err);
      break;
    case SYNC_RUNTIME_HOOKS:
      r = run_runtime_hooks(c, err);
      break;
    case SYNC_ROOT_MOUNT:
      r = on_root_mount(c, (uint32_t)m.code, err);
      break;
    case SYNC_READY:
      sync_msg_clear(&m);
      return on_ready(c, err);
    default:
      r = berr_code(err, EPROTO, "sync: unexpected %s", sync_type_name(m.type));
    }
    sync_msg_clear(&m);
    if (r < 0)
      return -1;
  }
}

int container_create(const struct create_opts *o, pid_t *init_pid, struct berr **err) {
  struct create_ctx c = {.o = o, .rootfd = -1, .dirfd = -1, .fifo_fd = -1, .console_fd = -1,
                         .listener_fd = -1, .sync_fd = -1, .resctrl_fd = -1};
  for (int t = 0; t < NS_COUNT; t++)
    c.ns.join_fd[t] = -1;
  if (o->fifo_reader)
    *o->fifo_reader = -1;
  int r = -1;
  if (validate(&c, err) == 0 && open_resources(&c, err) == 0 && spawn_stage1(&c, err) == 0 &&
      handshake(&c, err) == 0) {
    c.created = true;
    *init_pid = c.init;
    r = 0;
  }
  if (c.st) {
    c.st->annotations = NULL;
    c.st->annotations_len = 0;
  }
  create_ctx_release(&c);
  if (r < 0 && o->fifo_reader && *o->fifo_reader >= 0)
    close(steal_fd(o->fifo_reader));
  return r;
}
