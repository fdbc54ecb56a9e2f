/* berth's own pty relay, for `run` and `exec` with a terminal and no
 * --console-socket: berth is the console socket's other end, receives the
 * pty master and copies it to and from its own stdio until the process exits. */
#ifndef BERTH_TTY_RELAY_H
#define BERTH_TTY_RELAY_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>
#include <termios.h>

#include "error.h"

struct tty_relay {
  int ours;     /* our end of the socketpair: the master arrives here */
  int theirs;   /* the end the library hands to the container (create_opts.console_sock_fd) */
  int master;   /* the pty master, -1 until received (or when there is no terminal) */
  bool raw;     /* stdin was put in raw mode; `saved` restores it */
  struct termios saved;
};

/* The socketpair (both ends > 2, close-on-exec). */
int tty_relay_open(struct tty_relay *r, struct berr **err);
/* After create/exec returned: takes the master if one was sent (the container
 * sends it before create or exec returns); *have is false when the process
 * has no terminal. Then stdin goes raw when it is a tty, and the pty gets
 * stdin's window size. */
int tty_relay_take_master(struct tty_relay *r, bool *have, struct berr **err);
/* Copies stdin to the master and the master to stdout, forwards the blocked
 * `signals` to pid (SIGWINCH resizes the pty instead) until pid exits, then
 * drains the pty. Returns pid's exit status (128+N when killed by N), -1 on error. */
int tty_relay_run(struct tty_relay *r, pid_t pid, const sigset_t *signals);
/* Restores stdin's terminal mode and closes everything; safe to call twice. */
void tty_relay_close(struct tty_relay *r);

#endif
