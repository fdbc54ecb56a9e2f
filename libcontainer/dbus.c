/* The D-Bus connection (see dbus.h): unix socket, SASL EXTERNAL, Hello, method calls and
 * signals. One call at a time; every read is bounded by the caller's timeout. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "dbus.h"
#include "log.h"
#include "util.h"

struct dbus_conn {
  int fd;
  bool bus;
  uint32_t serial;
  char *unique_name; /* from Hello, on a bus */
  dbus_signal_fn on_signal;
  void *signal_data;
};

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads exactly n bytes before the deadline (CLOCK_MONOTONIC ms). */
static int read_exact(int fd, void *buf, size_t n, long long deadline, struct berr **err) {
  uint8_t *p = buf;
  while (n > 0) {
    long long left = deadline - now_ms();
    if (left <= 0)
      return berr_code(err, ETIMEDOUT, "d-bus: no answer within the timeout");
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    int pr = poll(&pfd, 1, (int)(left > 60000 ? 60000 : left));
    if (pr < 0 && errno == EINTR)
      continue;
    if (pr < 0)
      return berr_errno(err, "d-bus: poll");
    if (pr == 0)
      continue;
    ssize_t r = read(fd, p, n);
    if (r < 0 && (errno == EINTR || errno == EAGAIN))
      continue;
    if (r < 0)
      return berr_errno(err, "d-bus: read");
    if (r == 0)
      return berr_code(err, ECONNRESET, "d-bus: the peer closed the connection");
    p += r;
    n -= (size_t)r;
  }
  return 0;
}

static int send_all(int fd, const void *buf, size_t n, struct berr **err) {
  const uint8_t *p = buf;
  while (n > 0) {
    ssize_t r = send(fd, p, n, MSG_NOSIGNAL);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      return berr_errno(err, "d-bus: send");
    p += r;
    n -= (size_t)r;
  }
  return 0;
}

/* One "\r\n"-terminated line of the authentication exchange (the server sends nothing else
 * before BEGIN, so reading byte by byte never eats a message). */
static int auth_line(int fd, char *line, size_t cap, long long deadline, struct berr **err) {
  size_t n = 0;
  for (;;) {
    if (n + 1 >= cap)
      return berr_code(err, EPROTO, "d-bus: authentication line too long");
    if (read_exact(fd, line + n, 1, deadline, err) < 0)
      return -1;
    n++;
    if (n >= 2 && line[n - 2] == '\r' && line[n - 1] == '\n') {
      line[n - 2] = '\0';
      return 0;
    }
  }
}

/* SASL EXTERNAL: the server checks our uid (SO_PEERCRED) against the one we name, in hex
 * digits of its decimal text ("0" is "30"). BEGIN goes with AUTH, as sd-bus sends it: systemd's
 * server can leave a message that arrives in the same read as a separate BEGIN unprocessed
 * (seen on its private socket: no reply ever came), so the first message must follow the OK. */
static int authenticate(int fd, struct berr **err) {
  char uid[16], hex[40], req[96], line[512];
  snprintf(uid, sizeof(uid), "%u", (unsigned)geteuid());
  for (size_t i = 0; uid[i]; i++)
    snprintf(hex + 2 * i, sizeof(hex) - 2 * i, "%02x", (unsigned char)uid[i]);
  int n = snprintf(req, sizeof(req), "%cAUTH EXTERNAL %s\r\nBEGIN\r\n", '\0', hex);
  long long deadline = now_ms() + 10000;
  if (send_all(fd, req, (size_t)n, err) < 0 || auth_line(fd, line, sizeof(line), deadline, err) < 0)
    return -1;
  if (strncmp(line, "OK ", 3) != 0)
    return berr_code(err, EACCES, "d-bus: authentication refused (\"%.100s\")", line);
  return 0;
}

int dbus_open(const char *path, bool bus, struct dbus_conn **out, struct berr **err) {
  cleanup_close int fd = -1;
  if (unix_connect(path, &fd, err) < 0)
    return berr_prefix(err, "d-bus");
  if (authenticate(fd, err) < 0)
    return berr_prefix(err, "%s", path);
  struct dbus_conn *c = calloc(1, sizeof(*c));
  if (c == NULL)
    return berr_set(err, ENOMEM, "d-bus");
  c->fd = steal_fd(&fd);
  c->bus = bus;
  if (bus) {
    struct dbus_call hello = {.destination = "org.freedesktop.DBus", .path = "/org/freedesktop/DBus",
                              .interface = "org.freedesktop.DBus", .member = "Hello"};
    struct dbus_message reply = {0};
    struct dbus_reader r;
    const char *name;
    if (dbus_call(c, &hello, &reply, NULL, 10000, err) < 0 ||
        dbus_message_body(&reply, "s", &r, err) < 0 || dbus_get_string(&r, &name) < 0 ||
        (c->unique_name = strdup(name)) == NULL) {
      dbus_message_clear(&reply);
      dbus_close(c);
      return berr_set(err, EBADMSG, "d-bus: Hello");
    }
    dbus_message_clear(&reply);
  }
  log_debug("d-bus: connected to %s%s%s", path, c->unique_name ? " as " : "",
            c->unique_name ? c->unique_name : "");
  *out = c;
  return 0;
}

void dbus_close(struct dbus_conn *c) {
  if (c == NULL)
    return;
  close(c->fd);
  free(c->unique_name);
  free(c);
}

bool dbus_is_bus(const struct dbus_conn *c) { return c->bus; }

void dbus_on_signal(struct dbus_conn *c, dbus_signal_fn fn, void *data) {
  c->on_signal = fn;
  c->signal_data = data;
}

static int recv_message(struct dbus_conn *c, struct dbus_message *m, long long deadline,
                        struct berr **err) {
  uint8_t hdr[16];
  size_t total;
  if (read_exact(c->fd, hdr, sizeof(hdr), deadline, err) < 0)
    return -1;
  if (dbus_message_size(hdr, &total) < 0)
    return berr_code(err, EBADMSG, "d-bus: malformed message header");
  uint8_t *data = malloc(total);
  if (data == NULL)
    return berr_set(err, ENOMEM, "d-bus");
  memcpy(data, hdr, sizeof(hdr));
  if (read_exact(c->fd, data + sizeof(hdr), total - sizeof(hdr), deadline, err) < 0) {
    free(data);
    return -1;
  }
  return dbus_message_parse(data, total, m, err);
}

/* Errors systemd and the bus daemon answer with, as errno values. */
static int error_code(const char *name) {
  static const struct {
    const char *suffix;
    int code;
  } map[] = {{".AccessDenied", EACCES},       {".InteractiveAuthorizationRequired", EACCES},
             {".NoSuchUnit", ENOENT},         {".ServiceUnknown", ENOENT},
             {".UnknownObject", ENOENT},      {".UnknownMethod", ENOSYS},
             {".UnitExists", EEXIST},         {".InvalidArgs", EINVAL},
             {".NoReply", ETIMEDOUT},         {".LimitsExceeded", EAGAIN}};
  size_t l = strlen(name);
  for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
    size_t s = strlen(map[i].suffix);
    if (l >= s && strcmp(name + l - s, map[i].suffix) == 0)
      return map[i].code;
  }
  return EIO;
}

static int handle_error(const struct dbus_call *call, const struct dbus_message *m,
                        char **error_name, struct berr **err) {
  if (error_name)
    *error_name = strdup(m->error_name);
  return berr_code(err, error_code(m->error_name), "%s: %s: %s", call->member, m->error_name,
                   dbus_message_error_text(m));
}

int dbus_call(struct dbus_conn *c, const struct dbus_call *call, struct dbus_message *reply,
              char **error_name, int timeout_ms, struct berr **err) {
  struct dbus_header h = {.type = DBUS_METHOD_CALL,
                          .serial = ++c->serial,
                          .path = call->path,
                          .interface = call->interface,
                          .member = call->member,
                          .destination = c->bus ? call->destination : NULL,
                          .signature = call->signature};
  cleanup_dbus_buf struct dbus_buf out = {0};
  if (dbus_message_build(&h, call->body, &out, err) < 0 || send_all(c->fd, out.p, out.len, err) < 0)
    return berr_prefix(err, "%s", call->member);
  long long deadline = now_ms() + timeout_ms;
  for (;;) {
    struct dbus_message m = {0};
    if (recv_message(c, &m, deadline, err) < 0)
      return berr_prefix(err, "%s", call->member);
    log_debug("d-bus: received type %d serial %u reply to %u %s%s (waiting for %u)", m.type,
              m.serial, m.reply_serial, m.member ? m.member : "",
              m.error_name ? m.error_name : "", h.serial);
    bool ours = (m.type == DBUS_METHOD_RETURN || m.type == DBUS_ERROR) && m.reply_serial == h.serial;
    if (ours && m.type == DBUS_ERROR) {
      int r = handle_error(call, &m, error_name, err);
      dbus_message_clear(&m);
      return r;
    }
    if (ours) {
      if (reply)
        *reply = m;
      else
        dbus_message_clear(&m);
      return 0;
    }
    if (m.type == DBUS_SIGNAL && c->on_signal)
      c->on_signal(&m, c->signal_data);
    dbus_message_clear(&m); /* anything else (a call to us, a stray reply) is not ours */
  }
}

int dbus_wait(struct dbus_conn *c, bool (*done)(void *data), void *data, int timeout_ms,
              struct berr **err) {
  long long deadline = now_ms() + timeout_ms;
  while (!done(data)) {
    struct dbus_message m = {0};
    if (recv_message(c, &m, deadline, err) < 0)
      return -1;
    if (m.type == DBUS_SIGNAL && c->on_signal)
      c->on_signal(&m, c->signal_data);
    dbus_message_clear(&m);
  }
  return 0;
}
