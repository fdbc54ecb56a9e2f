/* recvtty SOCKET LOG: the CRIU guest's console-socket receiver (built static by mkoverlay.sh).
 * Listens on the unix socket SOCKET; every connection hands one pty master (SCM_RIGHTS), as
 * run --console-socket and restore --console-socket do. Appends what every master it holds
 * reads to LOG, and "+master N" to LOG each time a master arrives; a master that hangs up
 * (its container checkpointed or gone) is closed. Runs until killed. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAXFD 16

static int recv_master(int conn) {
  char byte[256];
  struct iovec iov = {byte, sizeof(byte)};
  union {
    struct cmsghdr h;
    char buf[CMSG_SPACE(sizeof(int))];
  } u;
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                     .msg_controllen = sizeof(u.buf)};
  if (recvmsg(conn, &m, 0) < 0)
    return -1;
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  if (c == NULL || c->cmsg_type != SCM_RIGHTS)
    return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof(fd));
  return fd;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: recvtty SOCKET LOG\n");
    return 2;
  }
  int log = open(argv[2], O_WRONLY | O_CREAT | O_APPEND, 0644);
  int ls = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  snprintf(a.sun_path, sizeof(a.sun_path), "%s", argv[1]);
  unlink(argv[1]);
  if (log < 0 || ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(ls, 4) < 0) {
    perror("recvtty");
    return 1;
  }
  struct pollfd p[MAXFD] = {{.fd = ls, .events = POLLIN}};
  int n = 1, masters = 0;
  for (;;) {
    if (poll(p, n, -1) < 0) {
      if (errno == EINTR)
        continue;
      return 1;
    }
    for (int i = n - 1; i >= 1; i--) {
      if (!p[i].revents)
        continue;
      char buf[4096];
      ssize_t r = read(p[i].fd, buf, sizeof(buf));
      if (r > 0) {
        (void)!write(log, buf, (size_t)r);
      } else if (r == 0 || errno != EAGAIN) {
        close(p[i].fd);
        p[i] = p[--n];
      }
    }
    if (p[0].revents & POLLIN) {
      int conn = accept(ls, NULL, NULL);
      int fd = conn < 0 ? -1 : recv_master(conn);
      if (conn >= 0)
        close(conn);
      if (fd >= 0 && n < MAXFD) {
        char note[32];
        int l = snprintf(note, sizeof(note), "+master %d\n", ++masters);
        (void)!write(log, note, (size_t)l);
        p[n++] = (struct pollfd){.fd = fd, .events = POLLIN};
      }
    }
  }
}
