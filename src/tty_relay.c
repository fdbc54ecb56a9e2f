/* berth's own pty relay (see tty_relay.h). */
#include "tty_relay.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "util.h"
#include "wait.h"

#define DRAIN_IDLE_MS 200 /* after the exit: stop when the pty stays quiet this long */

/* An fd above stdio, so a closed stdin never makes fd 0 our socket. */
static int above_stdio(int fd) {
  if (fd > 2)
    return fd;
  int d = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  close(fd);
  return d;
}

int tty_relay_open(struct tty_relay *r, struct berr **err) {
  *r = (struct tty_relay){.ours = -1, .theirs = -1, .master = -1};
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    return berr_errno(err, "console socketpair");
  r->ours = above_stdio(sv[0]);
  r->theirs = above_stdio(sv[1]);
  if (r->ours < 0 || r->theirs < 0)
    return berr_errno(err, "console socketpair");
  return 0;
}

static void copy_window_size(int from, int to) {
  struct winsize ws;
  if (ioctl(from, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
    ioctl(to, TIOCSWINSZ, &ws);
}

int tty_relay_take_master(struct tty_relay *r, bool *have, struct berr **err) {
  *have = false;
  /* the container holds the other end until it execs: close ours so a
   * missing message cannot block anyone */
  close(steal_fd(&r->theirs));
  cleanup_berr struct berr *e = NULL;
  if (recv_fd(r->ours, MSG_DONTWAIT, &r->master, &e) < 0) {
    if (berr_errcode(&e) == EAGAIN || berr_errcode(&e) == EWOULDBLOCK || berr_errcode(&e) == EPIPE)
      return 0; /* no terminal: nothing sent (the exec'd process closed its end) */
    berr_move(err, &e);
    return berr_prefix(err, "process.terminal");
  }
  close(steal_fd(&r->ours));
  *have = true;
  if (isatty(0)) {
    copy_window_size(0, r->master);
    if (tcgetattr(0, &r->saved) == 0) {
      struct termios raw = r->saved;
      cfmakeraw(&raw);
      raw.c_cc[VMIN] = 1;
      raw.c_cc[VTIME] = 0;
      if (tcsetattr(0, TCSANOW, &raw) == 0)
        r->raw = true;
    }
  }
  return 0;
}

/* 1: data copied, 0: end of input (EOF or the pty's EIO), -1: error. */
static int copy_once(int from, int to) {
  char buf[8192];
  ssize_t n = read(from, buf, sizeof(buf));
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return 1;
  if (n < 0 && errno == EIO)
    return 0; /* pty master: every slave is closed */
  if (n <= 0)
    return (int)n;
  return write_all(to, buf, (size_t)n) < 0 ? -1 : 1;
}

/* After the process exited: what it wrote last is still in the pty. */
static void drain(int master) {
  struct pollfd p = {.fd = master, .events = POLLIN};
  while (poll(&p, 1, DRAIN_IDLE_MS) > 0)
    if (copy_once(master, 1) <= 0)
      return;
}

static void on_signal(struct tty_relay *r, pid_t pid, int sig) {
  if (sig == SIGWINCH)
    copy_window_size(0, r->master);
  else if (sig != SIGCHLD)
    kill(pid, sig);
}

int tty_relay_run(struct tty_relay *r, pid_t pid, const sigset_t *signals) {
  cleanup_close int sfd = signalfd(-1, signals, SFD_CLOEXEC);
  if (sfd < 0) {
    log_error("signalfd: %m");
    return -1;
  }
  bool in_open = true, master_open = true;
  for (;;) {
    int status;
    pid_t p;
    while ((p = waitpid(-1, &status, WNOHANG)) > 0)
      if (p == pid) {
        drain(r->master);
        return wait_exit_status(status);
      }
    if (p < 0 && errno == ECHILD)
      return 1;
    if (p < 0 && errno != EINTR) { /* as in wait_forwarding(): no SIGCHLD would come again */
      log_error("wait for the container process: %m");
      return -1;
    }
    if (p < 0)
      continue;
    struct pollfd fds[3] = {{.fd = sfd, .events = POLLIN},
                            {.fd = master_open ? r->master : -1, .events = POLLIN},
                            {.fd = in_open ? 0 : -1, .events = POLLIN}};
    if (poll(fds, 3, -1) < 0) {
      if (errno == EINTR)
        continue;
      log_error("poll: %m");
      return -1;
    }
    struct signalfd_siginfo si;
    if (fds[0].revents && read(sfd, &si, sizeof(si)) == sizeof(si))
      on_signal(r, pid, (int)si.ssi_signo);
    if (fds[1].revents && copy_once(r->master, 1) <= 0)
      master_open = false;
    if (fds[2].revents && copy_once(0, r->master) <= 0)
      in_open = false; /* stdin at its end: the container keeps running */
  }
}

void tty_relay_close(struct tty_relay *r) {
  if (r->raw) {
    tcsetattr(0, TCSADRAIN, &r->saved);
    r->raw = false;
  }
  int *fds[] = {&r->ours, &r->theirs, &r->master};
  for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
    if (*fds[i] >= 0)
      close(steal_fd(fds[i]));
}
