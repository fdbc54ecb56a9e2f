/* exec: the same handshake as create (sync.h), shorter.
 *
 * runtime: checks the container, builds the process and seccomp filter,
 *          pins the init with a pidfd, opens the cgroup (pure v2) and the resctrl mount
 *          (linux.intelRdt), forks stage1.
 * stage1:  setns(pidfd, every namespace of the container) at once, clones
 *          the exec process as the runtime's child (CLONE_PARENT), reports its pid.
 *          On cgroup v2 it clones it straight into the container's cgroup
 *          (clone3 CLONE_INTO_CGROUP): stage1 then joins every namespace but the
 *          user and cgroup ones, which the process joins itself right after the
 *          clone (the kernel checks CLONE_INTO_CGROUP against the caller's
 *          credentials and cgroup namespace: those of the host). Otherwise (v1,
 *          or the kernel refuses) the runtime writes it into cgroup.procs, a
 *          migration that waits for an RCU grace period (milliseconds).
 * process: waits for GO (placed in the cgroup and the resctrl group), terminal, cwd, executable,
 *          rlimits, READY, then confinement and execve; its sync fd closes
 *          on exec, which tells the runtime the process runs. */
#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "container.h"
#include "launch.h"
#include "log.h"
#include "process.h"
#include "process_env.h"
#include "resctrl.h"
#include "scheduling.h"
#include "seccomp_filter.h"
#include "sync.h"
#include "tables.h"
#include "terminal.h"
#include "util.h"

struct exec_ctx {
  const struct exec_opts *o;
  struct container_state *st;
  struct spec *spec;
  struct spec_process *process;
  struct seccomp_program *seccomp;
  char *listener_json;
  int pidfd, console_fd, listener_fd, sync_fd;
  int cgroup_fd; /* pure cgroup v2: the container's cgroup, for CLONE_INTO_CGROUP; else -1 */
  int resctrl_fd; /* linux.intelRdt: the resctrl mount, else -1 */
  int root_fd;    /* no mount namespace of the container's own: the init's root, else -1 */
  int ns_flags;
  pid_t stage1, pid;
  bool done;
};

/* Joined by the exec process itself when cloned into the cgroup (see the top). */
#define LATE_NS (CLONE_NEWUSER | CLONE_NEWCGROUP)

static void exec_ctx_release(struct exec_ctx *c) {
  if (!c->done && c->pid > 0) {
    kill(c->pid, SIGKILL);
    waitpid(c->pid, NULL, 0);
  }
  if (c->stage1 > 0) {
    kill(c->stage1, SIGKILL);
    waitpid(c->stage1, NULL, 0);
  }
  int *fds[] = {&c->pidfd,   &c->console_fd, &c->listener_fd,
                &c->sync_fd, &c->cgroup_fd,  &c->resctrl_fd, &c->root_fd};
  for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
    if (*fds[i] >= 0)
      close(steal_fd(fds[i]));
  free(c->listener_json);
  seccomp_program_free(c->seccomp);
  spec_process_free(c->process);
  spec_free(c->spec);
  container_state_free(c->st);
}

/* ---- the process, inside the container ---- */

__attribute__((noreturn)) static void exec_fail(int sync_fd, struct berr *e) {
  sync_send_error(sync_fd, e);
  _exit(e && berr_errcode(&e) == ENOENT ? 127 : 126);
}

__attribute__((noreturn)) static void exec_process_main(struct exec_ctx *c) {
  cleanup_berr struct berr *err = NULL;
  const struct spec_process *p = c->process;
  cleanup_free char *exe = NULL;
  cleanup_strv char **env = NULL;
  prctl(PR_SET_NAME, "berth:exec");
  launch_reset_signals();
  if (sync_expect(c->sync_fd, SYNC_GO, NULL, &err) < 0)
    _exit(1);
  if (p->terminal && (setsid() < 0 || terminal_setup_exec(p, c->console_fd, &err) < 0))
    exec_fail(c->sync_fd, err);
  if (process_chdir(p, &err) < 0 || process_env_build(p, 0, &env, &err) < 0)
    exec_fail(c->sync_fd, err);
  struct launch l = {.process = p, .linux = c->spec->linux,
                     .cpu_affinity = p->exec_cpu_affinity, .seccomp = c->seccomp,
                     .listener_sock = c->listener_fd, .listener_state_json = c->listener_json,
                     .preserve_fds = c->o->preserve_fds, .env = env};
  if (process_find_executable(p, &exe, &err) < 0 || process_apply_rlimits(p, &err) < 0 ||
      process_apply_oom_score_adj(p, &err) < 0 || launch_prepare(&l, &err) < 0)
    exec_fail(c->sync_fd, err);
  /* as runc: not the session keyring of whoever ran `berth exec` */
  launch_new_session_keyring();
  if (sync_send(c->sync_fd, SYNC_READY, 0, NULL, 0, &err) < 0)
    _exit(1);
  if (launch_confine(&l, &err) < 0)
    exec_fail(c->sync_fd, err);
  launch_exec(&l, exe, &err);
  exec_fail(c->sync_fd, err);
}

/* The exec process, in the cgroup when it could be cloned into it (*in_cgroup). */
static pid_t clone_exec_process(struct exec_ctx *c, bool *in_cgroup) {
  *in_cgroup = false;
  if (c->cgroup_fd >= 0) {
    pid_t pid = clone_into_cgroup(CLONE_PARENT, c->cgroup_fd);
    if (pid >= 0) {
      *in_cgroup = true;
      return pid;
    }
    log_debug("clone3 into the cgroup: %s; cloning, then entering the cgroup", strerror(errno));
  }
  return (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, NULL, NULL, NULL, 0);
}

__attribute__((noreturn)) static void exec_stage1(struct exec_ctx *c) {
  cleanup_berr struct berr *err = NULL;
  prctl(PR_SET_NAME, "berth:exec1");
  /* nothing in the container may open this process's exe (CVE-2019-5736) */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  /* before the cgroup: the exec process inherits it across clone */
  if (sched_apply_cpu_affinity(c->process->exec_cpu_affinity, false, &err) < 0)
    exec_fail(c->sync_fd, err);
  int late = c->cgroup_fd >= 0 ? c->ns_flags & LATE_NS : 0;
  if ((c->ns_flags & ~late) && setns(c->pidfd, c->ns_flags & ~late) < 0) {
    berr_errno(&err, "join the container's namespaces");
    exec_fail(c->sync_fd, err);
  }
  /* a shared mount namespace (rootmount.h): the container is the init's chroot, which the
   * namespace (the host's, or one joined, whose setns reset our root) does not give */
  if (c->root_fd >= 0 && (fchdir(c->root_fd) < 0 || chroot(".") < 0)) {
    berr_errno(&err, "enter the container's root");
    exec_fail(c->sync_fd, err);
  }
  bool in_cgroup;
  pid_t pid = clone_exec_process(c, &in_cgroup);
  if (pid < 0) {
    berr_errno(&err, "clone");
    exec_fail(c->sync_fd, err);
  }
  if (pid == 0) {
    if (late && setns(c->pidfd, late) < 0) {
      berr_errno(&err, "join the container's namespaces");
      exec_fail(c->sync_fd, err);
    }
    close(c->pidfd);
    exec_process_main(c);
  }
  uint8_t placed = in_cgroup;
  /* unsent, the runtime never learns of the process, which holds the sync socket open and
   * waits: the runtime would wait for ever (found by tests/inject: sendmsg failed) */
  if (sync_send(c->sync_fd, SYNC_INIT_PID, pid, &placed, 1, NULL) < 0) {
    kill(pid, SIGKILL);
    _exit(1);
  }
  _exit(0);
}

/* ---- the runtime side ---- */

static int check_container(struct exec_ctx *c, struct berr **err) {
  enum container_status status;
  if (container_load(c->o->root, c->o->id, &c->st, &status, err) < 0)
    return -1;
  if (status == STATUS_PAUSED && !c->o->ignore_paused)
    return berr_code(err, EINVAL,
                     "container \"%s\": cannot exec in a paused container (resume it, or use "
                     "--ignore-paused)", c->o->id);
  if (status != STATUS_RUNNING && status != STATUS_CREATED && status != STATUS_PAUSED)
    return berr_code(err, EINVAL, "container \"%s\" is %s: cannot exec", c->o->id,
                    container_status_name(status));
  /* the pidfd pins the init: re-check it is the container's after opening */
  c->pidfd = pidfd_open_pid(c->st->pid);
  if (c->pidfd < 0 || !state_pid_is_container(c->st))
    return berr_code(err, ESRCH, "container \"%s\" is not running", c->o->id);
  if (c->st->root_mount_id) {
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/root", (int)c->st->pid);
    c->root_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (c->root_fd < 0)
      return berr_errno(err, "container \"%s\": its root %s", c->o->id, path);
  }
  return 0;
}

static int prepare(struct exec_ctx *c, struct berr **err) {
  if (c->o->preserve_fds < 0)
    return berr_code(err, EINVAL, "--preserve-fds: must not be negative");
  if (c->o->cgroups && c->st->cgroup_path == NULL)
    return berr_code(err, EINVAL, "--cgroup: container \"%s\" has no cgroup", c->st->id);
  if (container_spec(c->o->root, c->st, &c->spec, err) < 0 ||
      exec_build_process(c->o, c->spec, &c->process, err) < 0)
    return -1;
  const struct spec_linux *lx = c->spec->linux;
  if (launch_validate(c->process, lx, err) < 0)
    return -1;
  /* the process joins the container's resctrl group (and MON group) too */
  if (c->st->resctrl_group && resctrl_open(&c->resctrl_fd, err) < 0)
    return -1;
  for (size_t i = 0; lx && i < lx->namespaces_len; i++)
    c->ns_flags |= ns_clone_flag(lx->namespaces[i].type);
  if (seccomp_program_build(lx ? lx->seccomp : NULL, &c->seccomp, err) < 0)
    return -1;
  if (c->process->terminal && c->o->console_socket == NULL && c->o->console_sock_fd <= 2)
    return berr_code(err, EINVAL, "--tty: --console-socket is required to receive the pty");
  if (c->process->terminal &&
      terminal_console_socket(c->o->console_socket, c->o->console_sock_fd, &c->console_fd,
                              err) < 0)
    return -1;
  if (seccomp_program_needs_listener(c->seccomp)) {
    if (unix_connect(lx->seccomp->listener_path, &c->listener_fd, err) < 0)
      return berr_prefix(err, "linux.seccomp.listenerPath");
    cleanup_free char *state = state_to_json(c->st, STATUS_RUNNING, false);
    c->listener_json = seccomp_process_state_json(c->spec->oci_version, c->st->pid,
                                                  lx->seccomp->listener_metadata, state);
  }
  return 0;
}

static int spawn(struct exec_ctx *c, struct berr **err) {
  if (c->st->cgroup_path)
    c->cgroup_fd = cgroup_open_unified_path(c->st->cgroup_path);
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return berr_errno(err, "socketpair");
  c->sync_fd = sv[1];
  c->stage1 = fork();
  if (c->stage1 < 0)
    return berr_errno(err, "fork");
  if (c->stage1 == 0) {
    close(sv[0]);
    exec_stage1(c);
  }
  close(sv[1]);
  c->sync_fd = sv[0];
  return 0;
}

static int handshake(struct exec_ctx *c, struct berr **err) {
  struct sync_msg m = {0};
  if (sync_expect(c->sync_fd, SYNC_INIT_PID, &m, err) < 0)
    return -1;
  c->pid = m.code;
  bool in_cgroup = m.len == 1 && m.data[0] == 1;
  sync_msg_clear(&m);
  waitpid(c->stage1, NULL, 0);
  c->stage1 = 0;
  /* the process may already be in the container's cgroup (cloned into it on v2); --cgroup
   * moves it on into the sub-cgroups */
  if (c->st->cgroup_path &&
      (c->o->cgroups ? cgroup_enter_sub_path(c->st->cgroup_path, c->o->cgroups, c->pid, err)
       : in_cgroup   ? 0
                     : cgroup_enter_path(c->st->cgroup_path, c->pid, err)) < 0)
    return -1;
  struct resctrl_group g = {.name = c->st->resctrl_group, .mon = c->st->resctrl_mon};
  if (c->resctrl_fd >= 0 && resctrl_enter(c->resctrl_fd, &g, c->st->id, c->pid, err) < 0)
    return -1;
  if (sync_send(c->sync_fd, SYNC_GO, c->pid, NULL, 0, err) < 0 ||
      sync_expect(c->sync_fd, SYNC_READY, NULL, err) < 0)
    return -1;
  /* the process's end closes on execve; an error before that comes first */
  cleanup_berr struct berr *eof = NULL;
  if (sync_expect(c->sync_fd, SYNC_ERROR, NULL, &eof) < 0 && berr_errcode(&eof) != EPIPE) {
    return berr_move(err, &eof);
  }
  return 0;
}

int container_exec(const struct exec_opts *o, pid_t *pid, struct berr **err) {
  struct exec_ctx c = {.o = o, .pidfd = -1, .console_fd = -1, .listener_fd = -1, .sync_fd = -1,
                       .cgroup_fd = -1, .resctrl_fd = -1, .root_fd = -1};
  int r = -1;
  if (check_container(&c, err) == 0 && prepare(&c, err) == 0 && spawn(&c, err) == 0 &&
      handshake(&c, err) == 0) {
    c.done = true;
    *pid = c.pid;
    r = 0;
  }
  exec_ctx_release(&c);
  return r;
}
