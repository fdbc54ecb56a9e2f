/* The container side of the handshake (see sync.h for the messages).
 *
 * stage1: join/create namespaces (user first), clone the init, exit.
 * init:   wait for GO, build the rootfs, ask the runtime for its hooks, pivot,
 *         prepare the process, report READY, park on the exec fifo; once
 *         released by `start`: identity, confinement, startContainer hooks, exec. */
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "hooks.h"
#include "idmap.h"
#include "launch.h"
#include "log.h"
#include "netdev.h"
#include "process.h"
#include "process_env.h"
#include "procfs.h"
#include "rootfs.h"
#include "seccomp_filter.h"
#include "state.h"
#include "sync.h"
#include "sysctl.h"
#include "terminal.h"
#include "tables.h"
#include "util.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static int init_sync_fd = -1;
/* After start released us, errors go to `start` through the exec fifo. */
static int init_fifo_fd = -1;

static void forward_log(enum log_level lvl, const char *msg) {
  if (init_sync_fd >= 0)
    sync_send(init_sync_fd, SYNC_LOG, lvl, msg, strlen(msg), NULL);
}

/* Reports the error to the runtime (or stderr once the runtime is gone) and exits. */
__attribute__((noreturn)) static void init_fail(struct berr *e, int status) {
  const char *msg = e && e->msg ? e->msg : "container init failed";
  if (init_sync_fd >= 0)
    sync_send_error(init_sync_fd, e);
  else if (init_fifo_fd >= 0)
    write_all(init_fifo_fd, msg, strlen(msg));
  else
    log_error("%s", msg);
  _exit(status);
}

/* ---------------- stage1 ---------------- */

/* In a new user namespace whose maps the runtime has written, or one joined by path (mapped by
 * whoever made it): become its root. Until then the process keeps the host's ids, which the
 * namespace may not map: files it creates (the /dev nodes) fail with EOVERFLOW. */
static int become_userns_root(struct berr **err) {
  if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
    return berr_errno(err, "become root in the user namespace (is uid/gid 0 mapped?)");
  return 0;
}

static int stage1_user_namespace(struct init_ctx *c, struct berr **err) {
  if (ns_join(&c->ns, NS_USER, err) < 0)
    return -1;
  if (c->ns.join_fd[NS_USER] >= 0)
    return become_userns_root(err);
  if (!c->ns.create[NS_USER])
    return 0;
  if (unshare(CLONE_NEWUSER) < 0)
    return berr_errno(err, "create user namespace");
  if (sync_send(c->sync_fd, SYNC_USERNS_READY, 0, NULL, 0, err) < 0 ||
      sync_expect(c->sync_fd, SYNC_USERNS_MAPPED, NULL, err) < 0)
    return -1;
  return become_userns_root(err);
}

static int stage1_namespaces(struct init_ctx *c, struct berr **err) {
  if (stage1_user_namespace(c, err) < 0)
    return -1;
  static const enum spec_ns_type order[] = {NS_IPC, NS_UTS,  NS_NETWORK, NS_PID,
                                            NS_CGROUP, NS_TIME, NS_MOUNT};
  for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
    if (ns_join(&c->ns, order[i], err) < 0)
      return -1;
  int flags = ns_plan_unshare_flags(&c->ns);
  if (flags && unshare(flags) < 0)
    return berr_errno(err, "create namespaces");
  if (c->ns.create[NS_TIME] && c->spec->linux &&
      ns_write_time_offsets(c->spec->linux, err) < 0)
    return -1;
  return 0;
}

__attribute__((noreturn)) static void init_main(struct init_ctx *c);

void init_stage1(struct init_ctx *c) {
  cleanup_berr struct berr *err = NULL;
  init_sync_fd = c->sync_fd;
  prctl(PR_SET_NAME, "berth:stage1");
  log_set_forward(forward_log);
  if (stage1_namespaces(c, &err) < 0)
    init_fail(err, 1);
  /* the init is our sibling, so the runtime can wait for it */
  pid_t pid = (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, NULL, NULL, NULL, 0);
  if (pid < 0) {
    berr_errno(&err, "clone container init");
    init_fail(err, 1);
  }
  if (pid == 0)
    init_main(c);
  /* unsent, the runtime never learns of the init, which holds the sync socket open: kill it
   * so the runtime sees the end of the socket */
  if (sync_send(c->sync_fd, SYNC_INIT_PID, pid, NULL, 0, &err) < 0) {
    kill(pid, SIGKILL);
    _exit(1);
  }
  _exit(0);
}

void init_direct(struct init_ctx *c) {
  init_sync_fd = c->sync_fd;
  log_set_forward(forward_log);
  init_main(c);
}

/* ---------------- init: before the fifo ---------------- */

/* The state hooks and the seccomp agent receive. pid: for the seccomp agent
 * (runtime namespace) the init's pid as the runtime sees it (GO carries it);
 * for createContainer and startContainer hooks, which run in the container's
 * namespaces, the pid as the container sees it (runtime.md, State: getpid(),
 * 1 in a new pid namespace). */
static char *hook_state(const struct init_ctx *c, pid_t pid, enum container_status status) {
  struct container_state st = {
      .oci_version = c->spec->oci_version,
      .id = (char *)c->id,
      .pid = pid,
      .bundle = (char *)c->bundle,
      .rootfs = (char *)c->rootfs,
      .annotations = c->spec->annotations,
      .annotations_len = c->spec->annotations_len,
  };
  return state_to_json(&st, status, false);
}

static int set_names(const struct spec *s, struct berr **err) {
  if (s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0)
    return berr_errno(err, "hostname \"%s\"", s->hostname);
  if (s->domainname && setdomainname(s->domainname, strlen(s->domainname)) < 0)
    return berr_errno(err, "domainname \"%s\"", s->domainname);
  return 0;
}

static bool has_runtime_hooks(const struct spec *s) {
  return s->hooks.prestart.len > 0 || s->hooks.create_runtime.len > 0;
}

/* rootfs_opts.record_root_mount: the runtime writes the bind's id into state.json before the
 * bind is attached (rootmount.h) */
static int record_root_mount(void *arg, unsigned long long mnt_id, struct berr **err) {
  const struct init_ctx *c = arg;
  if (mnt_id > INT32_MAX)
    return berr_code(err, EOVERFLOW, "rootfs %s: mount id %llu", c->rootfs, mnt_id);
  if (sync_send(c->sync_fd, SYNC_ROOT_MOUNT, (int32_t)mnt_id, NULL, 0, err) < 0 ||
      sync_expect(c->sync_fd, SYNC_ROOT_MOUNT_RECORDED, NULL, err) < 0)
    return -1;
  return 0;
}

/* stdio on a null device (conmon gives a detached container the host's /dev/null as stdin)
 * becomes the container's own /dev/null, as runc reopens it: an fd on a mount outside the
 * container's mount namespace is one CRIU cannot dump ("Can't lookup mount"). Without a
 * /dev/null in the container the fds stay as they are. */
static void reopen_dev_null(void) {
  struct stat null, st;
  cleanup_close int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (fd < 0 || fstat(fd, &null) < 0 || !S_ISCHR(null.st_mode))
    return;
  for (int i = 0; i < 3; i++)
    if (fstat(i, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == null.st_rdev &&
        (st.st_dev != null.st_dev || st.st_ino != null.st_ino) && dup2(fd, i) < 0)
      log_debug("stdio %d: reopen /dev/null: %s", i, strerror(errno));
}

static int build_rootfs(struct init_ctx *c, struct berr **err) {
  unsigned long long root_mnt_id = 0;
  struct rootfs_opts o = {
      .rootfs = c->rootfs,
      .no_pivot = c->no_pivot,
      .in_userns = c->ns.create[NS_USER] || c->ns.join_fd[NS_USER] >= 0,
      .new_pidns = c->ns.create[NS_PID],
      .new_ipcns = c->ns.create[NS_IPC],
      .cgroupns = c->ns.create[NS_CGROUP] || c->ns.join_fd[NS_CGROUP] >= 0,
      .mount_label = c->spec->linux ? c->spec->linux->mount_label : NULL,
      .idmap_fds = c->idmap_fds,
      .shared_mntns = !c->ns.create[NS_MOUNT],
      .root_mnt_id = &root_mnt_id,
      .record_root_mount = record_root_mount,
      .record_arg = c,
  };
  if (chdir(c->bundle) < 0)
    return berr_errno(err, "chdir to bundle %s", c->bundle);
  /* a shared mount namespace: the runtime unmounts the rootfs's bind at delete, or now when
   * create fails (rootmount.h) */
  int r = rootfs_setup(c->spec, &o, err);
  idmap_release(steal_ptr(&c->idmap_fds), c->spec->mounts_len);
  if (r < 0)
    return -1;
  /* relative mount sources were the bundle's; createContainer hooks run in the rootfs (runc);
   * without them nothing needs it (c->rootfs is absolute) */
  if (c->spec->hooks.create_container.len && chdir(c->rootfs) < 0)
    return berr_errno(err, "chdir to root.path %s", c->rootfs);
  /* createContainer hooks run here, in the container's cgroup: the parent puts the device
   * rules in force first (SYNC_RUNTIME_HOOKS), even when it has no hook of its own to run */
  if ((has_runtime_hooks(c->spec) || c->spec->hooks.create_container.len) &&
      (sync_send(c->sync_fd, SYNC_RUNTIME_HOOKS, 0, NULL, 0, err) < 0 ||
       sync_expect(c->sync_fd, SYNC_HOOKS_DONE, NULL, err) < 0))
    return -1;
  if (c->spec->hooks.create_container.len) {
    cleanup_free char *json = hook_state(c, getpid(), STATUS_CREATING);
    if (hooks_run(&c->spec->hooks.create_container, "createContainer", NULL, json, err) < 0)
      return -1;
  }
  if (rootfs_pivot(c->spec, &o, err) < 0)
    return -1;
  reopen_dev_null();
  if (c->spec->process->terminal && terminal_setup(c->spec->process, c->console_fd, err) < 0)
    return -1;
  /* sysctls before readonlyPaths makes /proc/sys read-only */
  if (set_names(c->spec, err) < 0 || sysctl_apply(c->spec, err) < 0)
    return -1;
  return rootfs_finalize(c->spec, &o, err);
}

/* Whether the init will write (or read) under /proc: oom_score_adj, sysctls, the LSM attr
 * files, setgroups in a user namespace. Otherwise no procfs handle is made up front (a
 * later use still gets one, opened then: proc_openat). */
static bool needs_procfs(const struct init_ctx *c) {
  const struct spec_process *p = c->spec->process;
  const struct spec_linux *l = c->spec->linux;
  return p->has_oom_score_adj || p->apparmor_profile || p->selinux_label ||
         (l && l->sysctl_len > 0) || c->ns.create[NS_USER] || c->ns.join_fd[NS_USER] >= 0;
}

/* Everything that can fail is done before READY, so `create` reports it. */
static int prepare(struct init_ctx *c, char **exe, char ***env, struct berr **err) {
  const struct spec_process *p = c->spec->process;
  if (setsid() < 0)
    return berr_errno(err, "setsid");
  if (build_rootfs(c, err) < 0)
    return -1;
  if (process_chdir(p, err) < 0 || process_env_build(p, c->listen_fds, env, err) < 0)
    return -1;
  if (process_find_executable(p, exe, err) < 0)
    return -1;
  if (process_apply_rlimits(p, err) < 0 || process_apply_oom_score_adj(p, err) < 0)
    return -1;
  struct launch l = {.process = p, .linux = c->spec->linux};
  if (launch_prepare(&l, err) < 0)
    return -1;
  if (!c->no_new_keyring)
    launch_new_session_keyring();
  return 0;
}

/* Blocks until `start` opens the fifo for reading, then tells it we go on.
 * The write end stays open (close-on-exec) until execve: its closing is how
 * `start` learns the user process runs, so poststart hooks come after it. */
static int wait_for_start(int proc_fd_dir, int fifo_fd, int *write_end, struct berr **err) {
  char name[16];
  snprintf(name, sizeof(name), "%d", fifo_fd);
  int w = openat(proc_fd_dir, name, O_WRONLY | O_CLOEXEC);
  if (w < 0)
    return berr_errno(err, "open exec fifo");
  *write_end = w;
  if (write(w, "0", 1) != 1)
    return berr_errno(err, "write exec fifo");
  return 0;
}

/* ---------------- init: after the fifo ---------------- */

static void init_main(struct init_ctx *c) {
  cleanup_berr struct berr *err = NULL;
  struct sync_msg go = {0};
  cleanup_free char *exe = NULL;
  cleanup_strv char **env = NULL;
  prctl(PR_SET_NAME, "berth:init");
  launch_reset_signals();
  /* until created, the init dies with the runtime (its parent), even while it waits for a
   * createContainer hook rather than on the socket */
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (sync_expect(c->sync_fd, SYNC_GO, &go, &err) < 0)
    _exit(1); /* the runtime is gone or failed: nothing to report to */
  /* cloned straight into a new user namespace: the runtime wrote its maps before GO */
  if (c->direct && c->ns.create[NS_USER] && become_userns_root(&err) < 0)
    init_fail(err, 1);
  /* nothing in the container may open this process's exe (CVE-2019-5736): it
   * is berth's binary until execve, which makes it dumpable again. Only after
   * GO: a non-dumpable process's /proc files belong to root, and an
   * unprivileged runtime writes this one's uid_map before GO. Nothing of the
   * container exists before GO. */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  /* placed in its cgroup now: a new cgroup namespace makes that its root */
  if (c->ns.create[NS_CGROUP] && unshare(CLONE_NEWCGROUP) < 0) {
    berr_errno(&err, "create cgroup namespace");
    init_fail(err, 1);
  }
  /* a new network namespace's lo is down: up, as runc does, before anything of the config's
   * runs (hooks, the process) */
  if (c->ns.create[NS_NETWORK] && netdev_loopback_up(&err) < 0)
    init_fail(err, 1);
  /* the procfs it writes through later (oom_score_adj, sysctls, LSM attrs): its own,
   * made before the rootfs exists, so no mount made or raced in there can cover it */
  if (needs_procfs(c) && proc_handle_prepare() < 0)
    log_debug("procfs handle: %s; trying again at first use", strerror(errno));
  /* /proc/self/fd of this process, as seen from the host: reopens the fifo after pivot */
  cleanup_close int proc_fd_dir = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (proc_fd_dir < 0)
    berr_errno(&err, "open /proc/self/fd");
  if (err || prepare(c, &exe, &env, &err) < 0)
    init_fail(err, 1);
  if (sync_send(c->sync_fd, SYNC_READY, 0, NULL, 0, &err) < 0 ||
      sync_expect(c->sync_fd, SYNC_READY_ACK, NULL, &err) < 0)
    _exit(1);
  /* created: the runtime has written the state and goes away */
  prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
  log_set_forward(NULL);
  close(c->sync_fd);
  init_sync_fd = -1;
  prctl(PR_SET_NAME, "berth:parked");
  int fifo_write_end = -1;
  if (wait_for_start(proc_fd_dir, c->fifo_fd, &fifo_write_end, &err) < 0)
    init_fail(err, 1);
  init_fifo_fd = fifo_write_end;
  close(steal_fd(&proc_fd_dir));
  close(c->fifo_fd);
  prctl(PR_SET_NAME, "berth:init");
  cleanup_free char *listener_json = NULL;
  if (c->listener_fd >= 0) {
    cleanup_free char *state = hook_state(c, go.code, STATUS_CREATED);
    listener_json = seccomp_process_state_json(c->spec->oci_version, go.code,
                                               c->spec->linux->seccomp->listener_metadata, state);
  }
  struct launch l = {.process = c->spec->process, .linux = c->spec->linux, .seccomp = c->seccomp,
                     .listener_sock = c->listener_fd, .listener_state_json = listener_json,
                     .preserve_fds = c->preserve_fds, .env = env};
  cleanup_free char *start_json = c->spec->hooks.start_container.len
                                      ? hook_state(c, getpid(), STATUS_CREATED)
                                      : NULL;
  if (launch_confine(&l, &err) < 0)
    init_fail(err, 1);
  /* confined first (runc): the seccomp filter, the user and the capabilities of the process
   * bind the startContainer hooks too */
  if (c->spec->hooks.start_container.len &&
      hooks_run(&c->spec->hooks.start_container, "startContainer", NULL,
                start_json ? start_json : "{}", &err) < 0)
    init_fail(err, 1);
  launch_exec(&l, exe, &err);
  init_fail(err, berr_errcode(&err) == ENOENT ? 127 : 126);
}
