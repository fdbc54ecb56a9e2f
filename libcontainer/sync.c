#include "sync.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "log.h"

struct sync_header {
  uint32_t type;
  int32_t code;
  int32_t exit_status; /* SYNC_ERROR: the error's exit_status */
  uint32_t len;
};

#define SYNC_MAX_PAYLOAD (64 * 1024)

const char *sync_type_name(enum sync_type t) {
  static const char *const names[] = {
      "?",     "userns-ready", "userns-mapped", "init-pid", "go",    "runtime-hooks",
      "hooks-done", "ready",   "ready-ack",     "log",      "error", "root-mount",
      "root-mount-recorded",
  };
  return (t >= 1 && t <= SYNC_ROOT_MOUNT_RECORDED) ? names[t] : "?";
}

static int send_msg(int fd, enum sync_type type, int32_t code, int32_t exit_status,
                    const void *data, size_t len, struct berr **err) {
  if (len > SYNC_MAX_PAYLOAD)
    len = SYNC_MAX_PAYLOAD;
  struct sync_header h = {.type = type, .code = code, .exit_status = exit_status,
                          .len = (uint32_t)len};
  struct iovec iov[2] = {{&h, sizeof(h)}, {(void *)data, len}};
  struct msghdr m = {.msg_iov = iov, .msg_iovlen = len ? 2 : 1};
  while (sendmsg(fd, &m, MSG_NOSIGNAL) < 0)
    if (errno != EINTR)
      return berr_errno(err, "sync: send %s", sync_type_name(type));
  return 0;
}

int sync_send(int fd, enum sync_type type, int32_t code, const void *data, size_t len,
              struct berr **err) {
  return send_msg(fd, type, code, 0, data, len, err);
}

int sync_recv(int fd, struct sync_msg *msg, struct berr **err) {
  static char buf[sizeof(struct sync_header) + SYNC_MAX_PAYLOAD];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof(buf), 0)) < 0)
    if (errno != EINTR)
      return berr_errno(err, "sync: receive");
  if (n == 0)
    return berr_code(err, EPIPE, "sync: the other side exited");
  struct sync_header h;
  if ((size_t)n < sizeof(h))
    return berr_code(err, EPROTO, "sync: short message");
  memcpy(&h, buf, sizeof(h));
  if (h.len != (size_t)n - sizeof(h))
    return berr_code(err, EPROTO, "sync: bad message length");
  msg->type = h.type;
  msg->code = h.code;
  msg->exit_status = h.exit_status;
  msg->len = h.len;
  msg->data = NULL;
  if (h.len) {
    msg->data = malloc(h.len + 1);
    if (msg->data == NULL)
      return berr_set(err, ENOMEM, "sync: receive");
    memcpy(msg->data, buf + sizeof(h), h.len);
    msg->data[h.len] = '\0';
  }
  return 0;
}

void sync_msg_clear(struct sync_msg *msg) {
  free(msg->data);
  msg->data = NULL;
  msg->len = 0;
}

int sync_expect(int fd, enum sync_type type, struct sync_msg *msg, struct berr **err) {
  for (;;) {
    struct sync_msg m = {0};
    if (sync_recv(fd, &m, err) < 0)
      return -1;
    if (m.type == SYNC_LOG) {
      log_write((enum log_level)m.code, m.data ? m.data : "");
      sync_msg_clear(&m);
      continue;
    }
    if (m.type == SYNC_ERROR) {
      sync_msg_to_error(&m, err);
      sync_msg_clear(&m);
      return -1;
    }
    if (m.type != type) {
      berr_code(err, EPROTO, "sync: expected %s, got %s", sync_type_name(type),
               sync_type_name(m.type));
      sync_msg_clear(&m);
      return -1;
    }
    if (msg)
      *msg = m;
    else
      sync_msg_clear(&m);
    return 0;
  }
}

void sync_send_error(int fd, const struct berr *e) {
  const char *msg = e && e->msg ? e->msg : "container init failed";
  send_msg(fd, SYNC_ERROR, e ? e->code : 0, e ? e->exit_status : 0, msg, strlen(msg), NULL);
}

int sync_msg_to_error(const struct sync_msg *m, struct berr **err) {
  berr_code(err, m->code, "%s", m->data ? m->data : "container init failed");
  berr_set_exit_status(err, m->exit_status);
  return -1;
}
