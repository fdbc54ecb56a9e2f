/* process.terminal: a pty made inside the container's devpts, its master
 * sent to --console-socket, its slave the process's controlling terminal. */
#ifndef BERTH_TERMINAL_H
#define BERTH_TERMINAL_H

#include "error.h"
#include "spec.h"

/* Runtime side: the socket the pty master goes to, for the child to inherit
 * (close-on-exec): --console-socket PATH connected, or a copy of given_fd
 * (> 2; berth's own relay). *out stays -1 when neither is set. */
int terminal_console_socket(const char *path, int given_fd, int *out, struct berr **err);

/* Container side, after pivot_root and before the root is made read-only:
 * opens /dev/ptmx, binds the slave on /dev/console, applies consoleSize,
 * sends the master over console_sock, makes the slave fds 0-2 and the
 * controlling terminal (the caller has called setsid()). */
int terminal_setup(const struct spec_process *p, int console_sock, struct berr **err);
/* The same for exec: a new pty in the container's devpts, no /dev/console. */
int terminal_setup_exec(const struct spec_process *p, int console_sock, struct berr **err);

#endif
