/* D-Bus messages as systemd or a bus daemon could send them (dbus_message_parse, what
 * dbus.c's recv_message does after reading the bytes): a parsed message's body is walked by its
 * own signature, read as a JobRemoved signal and an error; a little-endian call or signal is
 * built again from the parsed fields and must parse to the same header. The input as a
 * linux.cgroupsPath for --systemd-cgroup: a unit it accepts is a scope or slice whose cgroup
 * ends with the unit. */
#include <stdio.h>

#include "cgroup.h"
#include "dbus.h"
#include "fuzz_common.h"

static void walk_body(const struct dbus_message *m) {
  const char *sig = m->signature ? m->signature : "";
  struct dbus_reader r = {.p = m->data, .end = m->len, .pos = m->body, .be = m->be};
  while (*sig)
    if (dbus_skip(&r, &sig) < 0)
      return;
  if (r.pos > r.end)
    abort();
  uint32_t id;
  const char *a, *b, *c;
  struct dbus_reader j;
  if (dbus_message_body(m, "uoss", &j, NULL) == 0 && dbus_get_u32(&j, &id) == 0 &&
      dbus_get_string(&j, &a) == 0 && dbus_get_string(&j, &b) == 0 && dbus_get_string(&j, &c) == 0)
    if (strlen(a) + strlen(b) + strlen(c) > m->len)
      abort();
  if (strlen(dbus_message_error_text(m)) > m->len)
    abort();
}

static bool same(const char *x, const char *y) {
  return (x == NULL && y == NULL) || (x && y && strcmp(x, y) == 0);
}

static void rebuild(const struct dbus_message *m) {
  if (m->be || (m->type != DBUS_METHOD_CALL && m->type != DBUS_SIGNAL))
    return;
  struct dbus_buf body = {0}, out = {0};
  size_t n = m->len - m->body;
  if (n) {
    body.p = malloc(n);
    if (body.p == NULL)
      abort();
    memcpy(body.p, m->data + m->body, n);
    body.len = body.cap = n;
  }
  struct dbus_header h = {.type = m->type, .flags = m->flags, .serial = m->serial,
                          .path = m->path, .interface = m->interface, .member = m->member,
                          .destination = m->destination,
                          .signature = n ? m->signature : NULL};
  struct berr *err = NULL;
  if (dbus_message_build(&h, &body, &out, &err) == 0) {
    struct dbus_message again;
    if (dbus_message_parse(out.p, out.len, &again, &err) < 0)
      abort(); /* what we build must parse */
    out.p = NULL;
    if (again.type != m->type || again.serial != m->serial || !same(again.path, m->path) ||
        !same(again.member, m->member) || !same(again.interface, m->interface) ||
        !same(again.destination, m->destination) || again.len - again.body != n)
      abort();
    dbus_message_clear(&again);
  }
  berr_free(err);
  dbus_buf_free(&out);
  dbus_buf_free(&body);
}

static void cgroups_path(const uint8_t *data, size_t size) {
  if (size > 600)
    return;
  char *cp = fuzz_cstr(data, size);
  struct cgroup_unit u;
  struct berr *err = NULL;
  if (cgroup_systemd_unit(cp, "c1", &u, &err) == 0) {
    size_t ul = strlen(u.unit), pl = strlen(u.path);
    if (ul < 7 || ul > 255 || pl <= ul || u.path[0] != '/' || u.path[pl - ul - 1] != '/' ||
        strcmp(u.path + pl - ul, u.unit) != 0 || strstr(u.path, "/.") || strstr(u.path, "//") ||
        (strcmp(u.unit + ul - 6, ".scope") != 0 && strcmp(u.unit + ul - 6, ".slice") != 0))
      abort();
    cgroup_unit_clear(&u);
  } else if (err == NULL || err->msg == NULL) {
    abort();
  }
  berr_free(err);
  free(cp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_quiet();
  cgroups_path(data, size);
  uint8_t *copy = malloc(size ? size : 1);
  if (copy == NULL)
    abort();
  memcpy(copy, data, size);
  if (size >= 16) {
    size_t total;
    if (dbus_message_size(copy, &total) == 0 && total > DBUS_MAX_MESSAGE)
      abort();
  }
  struct dbus_message m;
  struct berr *err = NULL;
  if (dbus_message_parse(copy, size, &m, &err) < 0) { /* takes copy */
    if (err == NULL)
      abort();
    berr_free(err);
    return 0;
  }
  if (m.body > m.len)
    abort();
  walk_body(&m);
  rebuild(&m);
  dbus_message_clear(&m);
  return 0;
}
