#include "terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <linux/major.h>
#include <termios.h>
#include <unistd.h>

#include "cleanup.h"
#include "mounts.h"
#include "pathsafe.h"
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

/* The container's pty: /dev/ptmx and, on kernels without TIOCGPTPEER, /dev/pts/N are
 * resolved inside "/" by pathsafe (no magic link, CVE-2024-21626), and the slave is opened
 * through the master, so no path (swappable in a shared /dev) names it (CVE-2025-52565). */
static int open_pty(int *master, int *slave, char *name, size_t name_len, struct berr **err) {
  cleanup_close int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  cleanup_close int m = root < 0 ? -1 : pathsafe_openat(root, "/dev/ptmx", O_RDWR | O_NOCTTY);
  if (m < 0)
    return berr_errno(err, "open /dev/ptmx");
  int unlock = 0, n = 0;
  if (ioctl(m, TIOCSPTLCK, &unlock) < 0 || ioctl(m, TIOCGPTN, &n) < 0)
    return berr_errno(err, "unlock pty");
  snprintf(name, name_len, "/dev/pts/%d", n);
  int s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (s < 0 && errno == EINVAL) {
    /* before Linux 4.13: by name, and it must be that pty's slave */
    struct stat st;
    s = pathsafe_openat(root, name, O_RDWR | O_NOCTTY | O_NOFOLLOW);
    if (s >= 0 && (fstat(s, &st) < 0 || !S_ISCHR(st.st_mode) ||
                   st.st_rdev != makedev(UNIX98_PTY_SLAVE_MAJOR, (unsigned)n))) {
      close(s);
      s = -1;
      errno = EXDEV;
    }
  }
  if (s < 0)
    return berr_errno(err, "open %s", name);
  *slave = s;
  *master = steal_fd(&m);
  return 0;
}

/* Binds the slave (by fd) onto /dev/console, resolved inside "/"; whatever the image or a
 * shared /dev has there that is not a file or a character device (a symlink) is replaced. */
static int bind_console(int slave, struct berr **err) {
  cleanup_close int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  cleanup_free char *name = NULL;
  cleanup_close int dev =
      root < 0 ? -1 : pathsafe_open_parent(root, "/dev/console", true, &name, err);
  if (dev < 0)
    return root < 0 ? berr_errno(err, "open /") : berr_prefix(err, "/dev/console");
  struct stat st;
  if (fstatat(dev, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode) &&
      !S_ISCHR(st.st_mode) && unlinkat(dev, name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) < 0)
    return berr_errno(err, "/dev/console: remove what is there");
  int fd = openat(dev, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0 && errno != EEXIST)
    return berr_errno(err, "create /dev/console");
  if (fd >= 0)
    close(fd);
  cleanup_close int target = openat(dev, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (target < 0 || fstat(target, &st) < 0)
    return berr_errno(err, "open /dev/console");
  if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode))
    return berr_set(err, EEXIST, "/dev/console: replaced while berth set it up");
  if (mnt_bind_onto(slave, target, false, 0) < 0)
    return berr_errno(err, "bind the pty on /dev/console");
  return 0;
}

static int setup(const struct spec_process *p, int console_sock, bool console,
                 struct berr **err) {
  cleanup_close int master = -1;
  cleanup_close int slave = -1;
  char name[64];
  if (open_pty(&master, &slave, name, sizeof(name), err) < 0)
    return berr_prefix(err, "process.terminal");
  if (console && bind_console(slave, err) < 0)
    return berr_prefix(err, "process.terminal");
  /* the process's own terminal: owned by process.user.uid, so it can change its modes; the
   * group stays devpts' (gid=, tty) as runc leaves it. Not mapped in a user namespace
   * (EINVAL) or the slave's owner not mapped (EPERM): left as it is, as runc does. */
  if (fchown(slave, p->user.uid, (gid_t)-1) < 0 && errno != EINVAL && errno != EPERM)
    return berr_errno(err, "process.terminal: chown the pty to process.user.uid %u",
                      p->user.uid);
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
