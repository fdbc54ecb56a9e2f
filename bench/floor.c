/* The floor: the least a runtime must do for `run` with berth's default
 * config. clone into the same six new namespaces (pid, net, ipc, uts, mount,
 * cgroup), bind the rootfs onto itself, pivot_root into it, mount /proc,
 * exec /bin/true, reap. No config parsing, no state, no cgroup, no /dev.
 *
 *   floor ROOTFS        exits with the container's status */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what) {
  perror(what);
  _exit(125);
}

static void child(const char *rootfs) {
  if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    die("make / rslave");
  if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    die("bind rootfs");
  if (chdir(rootfs) < 0)
    die("chdir rootfs");
  if (syscall(SYS_pivot_root, ".", ".") < 0)
    die("pivot_root");
  if (umount2(".", MNT_DETACH) < 0)
    die("umount old root");
  if (chdir("/") < 0)
    die("chdir /");
  if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
    die("mount /proc");
  char *argv[] = {"/bin/true", NULL};
  char *envp[] = {"PATH=/bin", NULL};
  execve(argv[0], argv, envp);
  die("execve /bin/true");
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: floor ROOTFS\n");
    return 125;
  }
  long flags = CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS |
               CLONE_NEWCGROUP | SIGCHLD;
  pid_t pid = (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, 0);
  if (pid < 0)
    die("clone");
  if (pid == 0)
    child(argv[1]);
  int status;
  if (waitpid(pid, &status, 0) < 0)
    die("waitpid");
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
