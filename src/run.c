/* berth run: create + start + wait, forwarding signals; exits with the
 * container's status (128+N when killed by signal N). With process.terminal
 * and no --console-socket, berth relays the pty to its own stdio (tty_relay.c). */
#include <errno.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "container.h"
#include "create_flags.h"
#include "log.h"
#include "tty_relay.h"
#include "wait.h"

/* Takes the pty (if any), starts, relays or waits. *started tells whether the
 * container ran: if not, the caller removes it. */
static int run_attached(const struct create_opts *o, struct tty_relay *relay, pid_t init,
                        const sigset_t *all, bool *started) {
  int reader = *o->fifo_reader;
  cleanup_berr struct berr *err = NULL;
  bool tty = false;
  *started = false;
  if (relay->ours >= 0 && tty_relay_take_master(relay, &tty, &err) < 0) {
    close(reader);
    return cli_fail(err);
  }
  if (container_start_fifo(o->root, o->id, reader, &err) < 0) {
    tty_relay_close(relay); /* the terminal back to normal before the message */
    cli_fail(err);
    return 1;
  }
  *started = true;
  return tty ? tty_relay_run(relay, init, all) : wait_forwarding(init, all);
}

int cmd_run(const struct global_opts *g, int argc, char **argv) {
  int reader = -1;
  /* the fifo reader: the container process does not wait for start to open it */
  struct create_opts o = {.root = g->root, .systemd_cgroup = g->systemd_cgroup,
                          .fifo_reader = &reader};
  struct run_flags r = {.run = true};
  if (parse_create_flags("run", argc, argv, &o, &r) < 0)
    return 1;
  cleanup_berr struct berr *err = NULL;
  cleanup_close int pidfd_sock = -1;
  if (cli_pidfd_socket_open(r.pidfd_socket, &pidfd_sock, &err) < 0)
    return cli_fail(err);
  struct tty_relay relay = {.ours = -1, .theirs = -1, .master = -1};
  /* attached without --console-socket: a terminal, if the config asks for one, is ours */
  if (!r.detach && o.console_socket == NULL) {
    if (tty_relay_open(&relay, &err) < 0) {
      tty_relay_close(&relay);
      return cli_fail(err);
    }
    o.console_sock_fd = relay.theirs;
  }
  /* block before create so no signal is lost; the container resets its mask */
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &old);
  pid_t init;
  if (container_create(&o, &init, &err) < 0) {
    tty_relay_close(&relay);
    return cli_fail(err);
  }
  if (cli_pidfd_send(pidfd_sock, init, &err) < 0) {
    tty_relay_close(&relay);
    container_delete(o.root, o.id, true, NULL);
    return cli_fail(err);
  }
  if (r.detach) {
    if (container_start_fifo(o.root, o.id, reader, &err) < 0) {
      cli_fail(err);
      container_delete(o.root, o.id, true, NULL);
      return 1;
    }
    return 0;
  }
  bool started;
  int status = run_attached(&o, &relay, init, &all, &started);
  tty_relay_close(&relay);
  if (!started)
    container_delete(o.root, o.id, true, NULL);
  else if (!r.keep && container_delete(o.root, o.id, true, &err) < 0)
    cli_fail(err);
  return status < 0 ? 1 : status;
}
