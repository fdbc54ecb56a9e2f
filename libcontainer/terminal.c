#include "terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

int terminal_console_socket(const char *path, int given_fd, int *out, struct berr **err) {
  if (path != NULL) {
    if (unix_connect(path, out, err) < 0)
      return berr_prefix(err, "--console-socket");
    return 0;
  }
  if (given_fd > 2 && (*out = fcntl(given_fd, F_DUPFD_CLOEXEC, 3)) < 0)
    return berr_errno(err, "process.terminal: console socket");
  return 0;
}

static int open_pty(int *master, int *slave, char *name, size_t name_len, struct berr **err) {
  cleanup_close int m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (m < 0)
    return berr_errno(err, "open /dev/ptmx");
  int unlock = 0, n = 0;
  if (ioctl(m, TIOCSPTLCK, &unlock) < 0 || ioctl(m, TIOCGPTN, &n) < 0)
    return berr_errno(err, "unlock pty");
  snprintf(name, name_len, "/dev/pts/%d", n);
  /* TIOCGPTPEER opens the slave through the master: no path lookup to trick */
  int s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (s < 0)
    s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (s < 0)
    return berr_errno(err, "open %s", name);
  *slave = s;
  *master = steal_fd(&m);
  return 0;
}

static int bind_console(const char *slave_name, struct berr **err) {
  int fd = open("/dev/console", O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0 && errno != EEXIST)
    return berr_errno(err, "create /dev/console");
  if (fd >= 0)
    close(fd);
  if (mount(slave_name, "/dev/console", NULL, MS_BIND, NULL) < 0)
    return berr_errno(err, "bind %s on /dev/console", slave_name);
  return 0;
}

static int setup(const struct spec_process *p, int console_sock, bool console,
                 struct berr **err) {
  cleanup_close int master = -1;
  cleanup_close int slave = -1;
  char name[64];
  if (open_pty(&master, &slave, name, sizeof(name), err) < 0)
    return berr_prefix(err, "process.terminal");
  if (console && bind_console(name, err) < 0)
    return berr_prefix(err, "process.terminal");
  if (p->console_size) {
    struct winsize ws = {.ws_row = p->console_size->height, .ws_col = p->console_size->width};
    if (ioctl(slave, TIOCSWINSZ, &ws) < 0)
      return berr_errno(err, "process.consoleSize");
  }
  if (console_sock >= 0 && send_fd(console_sock, master, name, strlen(name), err) < 0)
    return berr_prefix(err, "--console-socket");
  for (int i = 0; i < 3; i++)
    if (dup2(slave, i) < 0)
      return berr_errno(err, "process.terminal: dup2");
  if (ioctl(0, TIOCSCTTY, 0) < 0)
    return berr_errno(err, "process.terminal: set controlling terminal");
  return 0;
}

int terminal_setup(const struct spec_process *p, int console_sock, struct berr **err) {
  return setup(p, console_sock, true, err);
}

int terminal_setup_exec(const struct spec_process *p, int console_sock, struct berr **err) {
  return setup(p, console_sock, false, err);
}
