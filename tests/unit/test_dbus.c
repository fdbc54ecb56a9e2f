/* Unit tests for the D-Bus client (dbus_wire.c, dbus.c) and the pure logic of the systemd
 * cgroup driver (cgroup/systemd_props.c): exact bytes of a marshalled message, parsing both byte
 * orders, malformed input, the StartTransientUnit properties read back, the unit names for
 * linux.cgroupsPath, and (when dbus-daemon is installed) calls and signals through a real bus
 * daemon started on a private socket. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "dbus.h"
#include "state.h"
#include "error.h"
#include "spec.h"

#include "check.h"

static uint8_t *dup_bytes(const uint8_t *p, size_t n) {
  uint8_t *d = malloc(n ? n : 1);
  memcpy(d, p, n);
  return d;
}

/* ---- writing: exact bytes ---- */

static void test_exact_bytes(void) {
  /* a call of M on /a with one u32: every field and the body at its alignment */
  static const uint8_t want[] = {
      'l', 1, 0, 1, 4, 0, 0, 0, 1, 0, 0, 0, 39, 0, 0, 0,       /* fixed header, fields 39 */
      1, 1, 'o', 0, 2, 0, 0, 0, '/', 'a', 0, 0, 0, 0, 0, 0,     /* PATH "/a" + pad to 8 */
      3, 1, 's', 0, 1, 0, 0, 0, 'M', 0, 0, 0, 0, 0, 0, 0,       /* MEMBER "M" + pad */
      8, 1, 'g', 0, 1, 'u', 0, 0,                               /* SIGNATURE "u", pad to 8 */
      7, 0, 0, 0};                                              /* body */
  struct dbus_buf body = {0}, msg = {0};
  dbus_put_u32(&body, 7);
  struct dbus_header h = {.type = DBUS_METHOD_CALL, .serial = 1, .path = "/a", .member = "M",
                          .signature = "u"};
  cleanup_berr struct berr *e = NULL;
  CHECK(dbus_message_build(&h, &body, &msg, &e) == 0, "build: %s", e ? e->msg : "");
  CHECK(msg.len == sizeof(want) && memcmp(msg.p, want, sizeof(want)) == 0,
        "bytes of a call (%zu bytes, want %zu)", msg.len, sizeof(want));
  size_t total = 0;
  CHECK(dbus_message_size(msg.p, &total) == 0 && total == sizeof(want), "size %zu", total);
  dbus_buf_free(&body);
  dbus_buf_free(&msg);

  /* arrays: the length excludes the padding to the elements' alignment, even when empty */
  struct dbus_buf b = {0};
  dbus_put_byte(&b, 9);
  size_t at = dbus_array_begin(&b, 8);
  dbus_array_end(&b, at, 8);
  CHECK(b.len == 8 && b.p[4] == 0 && b.p[1] == 0, "empty a(..): len %zu", b.len);
  at = dbus_array_begin(&b, 8);
  dbus_struct_begin(&b);
  dbus_put_u64(&b, 0x0102030405060708ULL);
  dbus_array_end(&b, at, 8);
  CHECK(b.len == 24 && b.p[8] == 8 && b.p[16] == 8 && b.p[23] == 1,
        "a(t): len %zu length word %u", b.len, b.p[8]);
  dbus_buf_free(&b);
}

/* ---- reading ---- */

static void test_parse_round_trip(void) {
  struct dbus_buf body = {0}, msg = {0};
  dbus_put_string(&body, "berth-c1.scope");
  dbus_put_string(&body, "replace");
  size_t at = dbus_array_begin(&body, 8);
  dbus_struct_begin(&body);
  dbus_put_string(&body, "Delegate");
  dbus_variant_begin(&body, "b");
  dbus_put_bool(&body, true);
  dbus_array_end(&body, at, 8);
  at = dbus_array_begin(&body, 8);
  dbus_array_end(&body, at, 8);
  struct dbus_header h = {.type = DBUS_METHOD_CALL, .serial = 42, .path = "/org/freedesktop/systemd1",
                          .interface = "org.freedesktop.systemd1.Manager",
                          .member = "StartTransientUnit", .destination = "org.freedesktop.systemd1",
                          .signature = "ssa(sv)a(sa(sv))"};
  cleanup_berr struct berr *e = NULL;
  CHECK(dbus_message_build(&h, &body, &msg, &e) == 0, "build");
  struct dbus_message m;
  CHECK(dbus_message_parse(dup_bytes(msg.p, msg.len), msg.len, &m, &e) == 0, "parse: %s",
        e ? e->msg : "");
  CHECK(m.type == DBUS_METHOD_CALL && m.serial == 42 && strcmp(m.member, "StartTransientUnit") == 0 &&
            strcmp(m.destination, "org.freedesktop.systemd1") == 0 &&
            strcmp(m.signature, "ssa(sv)a(sa(sv))") == 0 && m.body % 8 == 0,
        "header fields");
  struct dbus_reader r;
  const char *s1, *s2, *name, *vs;
  size_t end;
  bool v = false;
  CHECK(dbus_message_body(&m, "ssa(sv)a(sa(sv))", &r, &e) == 0 && dbus_get_string(&r, &s1) == 0 &&
            dbus_get_string(&r, &s2) == 0 && dbus_get_array(&r, 8, &end) == 0 &&
            dbus_get_struct(&r) == 0 && dbus_get_string(&r, &name) == 0 &&
            dbus_get_signature(&r, &vs) == 0 && dbus_get_bool(&r, &v) == 0 && r.pos == end,
        "body read back");
  CHECK(strcmp(s1, "berth-c1.scope") == 0 && strcmp(s2, "replace") == 0 &&
            strcmp(name, "Delegate") == 0 && strcmp(vs, "b") == 0 && v,
        "body values");
  const char *sig = "a(sa(sv))";
  CHECK(dbus_skip(&r, &sig) == 0 && *sig == '\0' && r.pos == r.end, "skip the last array");
  CHECK(dbus_message_body(&m, "s", &r, &e) < 0 && e && e->code == EBADMSG, "signature mismatch");
  dbus_message_clear(&m);
  dbus_buf_free(&body);
  dbus_buf_free(&msg);
}

static void test_parse_big_endian(void) {
  /* a method return in big-endian order: REPLY_SERIAL 7, SIGNATURE "u", body 0x01020304 */
  static const uint8_t be[] = {'B', 2, 0, 1, 0, 0, 0, 4, 0, 0, 0, 5, 0, 0, 0, 15,
                               5, 1, 'u', 0, 0, 0, 0, 7,        /* REPLY_SERIAL */
                               8, 1, 'g', 0, 1, 'u', 0, 0,      /* SIGNATURE, pad */
                               1, 2, 3, 4};
  struct dbus_message m;
  cleanup_berr struct berr *e = NULL;
  CHECK(dbus_message_parse(dup_bytes(be, sizeof(be)), sizeof(be), &m, &e) == 0, "parse BE: %s",
        e ? e->msg : "");
  struct dbus_reader r;
  uint32_t v = 0;
  CHECK(m.type == DBUS_METHOD_RETURN && m.serial == 5 && m.reply_serial == 7, "BE header");
  CHECK(dbus_message_body(&m, "u", &r, &e) == 0 && dbus_get_u32(&r, &v) == 0 && v == 0x01020304,
        "BE body %x", v);
  dbus_message_clear(&m);
}

/* Each malformed input must fail to parse (and never read out of bounds: run under ASan). */
static void test_parse_malformed(void) {
  static const uint8_t good[] = {'l', 2, 0, 1, 4, 0, 0, 0, 5, 0, 0, 0, 15, 0, 0, 0,
                                 5, 1, 'u', 0, 7, 0, 0, 0, 8, 1, 'g', 0, 1, 'u', 0, 0,
                                 1, 2, 3, 4};
  struct {
    const char *what;
    size_t off;
    uint8_t val;
  } bad[] = {
      {"byte order", 0, 'x'},     {"version", 3, 2},           {"type 0", 1, 0},
      {"body length", 4, 5},      {"fields length", 12, 200},  {"serial 0", 8, 0},
      {"field type", 18, 's'},    {"signature NUL", 30, 'x'},  {"signature length", 28, 9},
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    uint8_t *d = dup_bytes(good, sizeof(good));
    d[bad[i].off] = bad[i].val;
    struct dbus_message m;
    cleanup_berr struct berr *e = NULL;
    int rc = dbus_message_parse(d, sizeof(good), &m, &e);
    CHECK(rc < 0 && e && e->code == EBADMSG, "malformed %s parsed", bad[i].what);
    if (rc == 0)
      dbus_message_clear(&m);
  }
  for (size_t n = 0; n < sizeof(good); n++) { /* every truncation */
    struct dbus_message m;
    cleanup_berr struct berr *e = NULL;
    int rc = dbus_message_parse(dup_bytes(good, n), n, &m, &e);
    CHECK(rc < 0, "truncated to %zu parsed", n);
    if (rc == 0)
      dbus_message_clear(&m);
  }
  /* a variant nested beyond the depth limit */
  struct dbus_buf b = {0};
  for (int i = 0; i < 100; i++)
    dbus_variant_begin(&b, "v");
  dbus_variant_begin(&b, "u");
  dbus_put_u32(&b, 1);
  struct dbus_reader r = {.p = b.p, .end = b.len};
  const char *sig = "v";
  CHECK(dbus_skip(&r, &sig) < 0 && errno == EBADMSG, "100 nested variants refused");
  dbus_buf_free(&b);
  /* an array longer than what is left */
  static const uint8_t arr[] = {200, 0, 0, 0, 1, 2, 3, 4};
  struct dbus_reader ra = {.p = arr, .end = sizeof(arr)};
  sig = "ay";
  CHECK(dbus_skip(&ra, &sig) < 0, "array past the end refused");
  /* bad signatures */
  const char *sigs[] = {"(", "()", "a", "{s}", "(s", "z"};
  for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
    struct dbus_reader rz = {.p = arr, .end = sizeof(arr)};
    const char *s = sigs[i];
    CHECK(dbus_skip(&rz, &s) < 0, "signature \"%s\" accepted", sigs[i]);
  }
}

/* ---- the systemd driver's pure logic ---- */

static void unit_case(const char *cp, const char *id, const char *slice, const char *unit,
                      const char *path) {
  struct cgroup_unit u;
  cleanup_berr struct berr *e = NULL;
  int rc = cgroup_systemd_unit(cp, id, &u, &e);
  if (unit == NULL) {
    CHECK(rc < 0 && e && e->code != 0 && strstr(e->msg, "linux.cgroupsPath"),
          "\"%s\" accepted (or the error does not name linux.cgroupsPath: %s)", cp ? cp : "",
          e ? e->msg : "");
    return;
  }
  CHECK(rc == 0, "\"%s\": %s", cp ? cp : "(null)", e ? e->msg : "");
  if (rc == 0) {
    CHECK(strcmp(u.slice, slice) == 0 && strcmp(u.unit, unit) == 0 && strcmp(u.path, path) == 0,
          "\"%s\": %s %s %s", cp ? cp : "(null)", u.slice, u.unit, u.path);
    cgroup_unit_clear(&u);
  }
}

static void test_unit_names(void) {
  unit_case(NULL, "c1", "system.slice", "berth-c1.scope", "/system.slice/berth-c1.scope");
  unit_case("", "c1", "system.slice", "berth-c1.scope", "/system.slice/berth-c1.scope");
  unit_case("machine.slice:libpod:0123abc", "x", "machine.slice", "libpod-0123abc.scope",
            "/machine.slice/libpod-0123abc.scope");
  unit_case("system.slice:cri-containerd:f00", "x", "system.slice", "cri-containerd-f00.scope",
            "/system.slice/cri-containerd-f00.scope");
  unit_case("::n1", "x", "system.slice", "n1.scope", "/system.slice/n1.scope");
  unit_case("user-1000.slice:p:n", "x", "user-1000.slice", "p-n.scope",
            "/user.slice/user-1000.slice/p-n.scope");
  unit_case("-.slice:p:n", "x", "-.slice", "p-n.scope", "/p-n.scope");
  unit_case("system.slice::system-foo.slice", "x", "system.slice", "system-foo.slice",
            "/system.slice/system-foo.slice");
  const char *bad[] = {"/abs/path", "rel/path", "a:b", "a:b:c:d", "machine:libpod:x",
                       "system.slice:p:", "system.slice:p:a/b", "system.slice:p/q:n",
                       "-x.slice:p:n", "x-.slice:p:n", "a--b.slice:p:n", ".slice:p:n",
                       "machine.slice::other-x.slice", "system.slice::x.slice", "system.slice::.",
                       "system.slice:.:x", ".x.slice:p:n"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    unit_case(bad[i], "x", NULL, NULL, NULL);
  /* the default unit from the id: '+' escaped as systemd does, a name past 255 bytes hashed */
  unit_case(NULL, "a+b", "system.slice", "berth-a\\x2bb.scope", "/system.slice/berth-a\\x2bb.scope");
  static const size_t lens[] = {243, 244, 1024};
  for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
    char id[1100], unit[300], path[320];
    memset(id, 'x', lens[i]);
    id[lens[i]] = '\0';
    if (lens[i] > 243)
      id[5] = '+';
    if (lens[i] <= 243)
      snprintf(unit, sizeof(unit), "berth-%.243s.scope", id);
    else
      snprintf(unit, sizeof(unit), "berth-_xxxxx_%.194s-%016llx.scope", id + 6,
               (unsigned long long)container_id_hash(id));
    snprintf(path, sizeof(path), "/system.slice/%s", unit);
    CHECK(strlen(unit) <= 255, "default unit for a %zu-byte id: %zu bytes", lens[i], strlen(unit));
    unit_case(NULL, id, "system.slice", unit, path);
  }
  char longname[300];
  memset(longname, 'n', sizeof(longname) - 1);
  longname[sizeof(longname) - 1] = '\0';
  char cp[400];
  snprintf(cp, sizeof(cp), "system.slice:p:%s", longname);
  unit_case(cp, "x", NULL, NULL, NULL);
}

/* Reads the a(sv) at r into "Name=value" lines (t as decimal, b as yes/no, s, ay as hex, au). */
static void props_text(struct dbus_reader *r, char *out, size_t cap) {
  size_t end, used = 0;
  out[0] = '\0';
  if (dbus_get_array(r, 8, &end) < 0)
    return;
  while (r->pos < end) {
    const char *name, *vs;
    if (dbus_get_struct(r) < 0 || dbus_get_string(r, &name) < 0 || dbus_get_signature(r, &vs) < 0)
      return;
    char val[128] = "?";
    uint64_t t;
    bool b;
    const char *s;
    size_t aend;
    if (strcmp(vs, "t") == 0 && dbus_get_u64(r, &t) == 0)
      snprintf(val, sizeof(val), "%llu", (unsigned long long)t);
    else if (strcmp(vs, "b") == 0 && dbus_get_bool(r, &b) == 0)
      snprintf(val, sizeof(val), "%s", b ? "yes" : "no");
    else if (strcmp(vs, "s") == 0 && dbus_get_string(r, &s) == 0)
      snprintf(val, sizeof(val), "%s", s);
    else if ((strcmp(vs, "ay") == 0 || strcmp(vs, "au") == 0 || strcmp(vs, "as") == 0) &&
             dbus_get_array(r, vs[1] == 'y' ? 1 : 4, &aend) == 0) {
      size_t vu = 0;
      val[0] = '\0';
      while (r->pos < aend && vu + 16 < sizeof(val)) {
        uint8_t y;
        uint32_t u;
        if (vs[1] == 'y' && dbus_get_byte(r, &y) == 0)
          vu += (size_t)snprintf(val + vu, sizeof(val) - vu, "%02x", y);
        else if (vs[1] == 'u' && dbus_get_u32(r, &u) == 0)
          vu += (size_t)snprintf(val + vu, sizeof(val) - vu, "%u", u);
        else if (vs[1] == 's' && dbus_get_string(r, &s) == 0)
          vu += (size_t)snprintf(val + vu, sizeof(val) - vu, "%s", s);
        else
          break;
      }
    }
    used += (size_t)snprintf(out + used, cap - used, "%s=%s\n", name, val);
    if (used >= cap)
      return;
  }
}

static void test_properties(void) {
  struct spec_memory mem = {.has_limit = true, .limit = 67108864, .has_reservation = true,
                            .reservation = 1048576, .has_swap = true, .swap = 134217728};
  struct spec_cpu cpu = {.has_shares = true, .shares = 1024, .has_quota = true, .quota = 50001,
                         .has_period = true, .period = 100000, .cpus = "0-3,9", .mems = "0"};
  struct spec_block_io bio = {.has_weight = true, .weight = 500};
  struct spec_resources res = {.memory = &mem, .cpu = &cpu, .has_pids_limit = true,
                               .pids_limit = -1, .block_io = &bio};
  struct cgroup_unit u = {.slice = "machine.slice", .unit = "libpod-x.scope"};
  struct dbus_buf b = {0};
  cleanup_berr struct berr *e = NULL;
  CHECK(cgroup_systemd_properties(&u, "berth container x", &res, 4242, &b, &e) == 0, "props: %s",
        e ? e->msg : "");
  struct dbus_reader r = {.p = b.p, .end = b.len};
  char text[2048];
  props_text(&r, text, sizeof(text));
  const char *want[] = {
      "Description=berth container x\n", "Slice=machine.slice\n", "Delegate=yes\n",
      "DefaultDependencies=no\n", "PIDs=4242\n", "MemoryAccounting=yes\n",
      "MemoryMax=67108864\n", "MemoryLow=1048576\n", "MemorySwapMax=67108864\n",
      "CPUWeight=39\n",
      "CPUQuotaPerSecUSec=510000\n", /* 500010 us per second rounded up to 10 ms */
      "CPUQuotaPeriodUSec=100000\n", "AllowedCPUs=0f02\n", "AllowedMemoryNodes=01\n",
      "TasksMax=18446744073709551615\n", "IOWeight=4950\n"};
  for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
    CHECK(strstr(text, want[i]) != NULL, "no %.*s in:\n%s", (int)strlen(want[i]) - 1, want[i], text);
  CHECK(r.pos == b.len, "properties end where the buffer does (%zu of %zu)", r.pos, b.len);
  const char *sig = "a(sv)";
  struct dbus_reader r2 = {.p = b.p, .end = b.len};
  CHECK(dbus_skip(&r2, &sig) == 0 && r2.pos == b.len, "a(sv) skips as a whole");
  dbus_buf_free(&b);

  /* a slice unit: Wants= its parent, no Delegate, no PIDs */
  struct cgroup_unit s = {.slice = "system.slice", .unit = "system-x.slice", .is_slice = true};
  CHECK(cgroup_systemd_properties(&s, NULL, NULL, 4242, &b, &e) == 0, "slice props");
  struct dbus_reader rs = {.p = b.p, .end = b.len};
  props_text(&rs, text, sizeof(text));
  CHECK(strstr(text, "Wants=system.slice\n") && !strstr(text, "Delegate") && !strstr(text, "PIDs"),
        "slice unit properties:\n%s", text);
  dbus_buf_free(&b);

  /* a bad cpu list names its field */
  struct spec_cpu badcpu = {.cpus = "3-1"};
  struct spec_resources bres = {.cpu = &badcpu};
  berr_cleanup(&e);
  CHECK(cgroup_systemd_properties(NULL, NULL, &bres, 0, &b, &e) < 0 && e &&
            strstr(e->msg, "linux.resources.cpu.cpus"),
        "bad cpus: %s", e ? e->msg : "accepted");
  dbus_buf_free(&b);
}

/* ---- a real bus daemon ---- */

static bool saw_owner_change(void *data) { return *(int *)data > 0; }

static void on_owner(const struct dbus_message *m, void *data) {
  if (m->member && strcmp(m->member, "NameOwnerChanged") == 0)
    (*(int *)data)++;
}

static int start_daemon(const char *dir, pid_t *pid, char *sock, size_t cap) {
  char conf[256];
  snprintf(sock, cap, "%s/bus", dir);
  snprintf(conf, sizeof(conf), "%s/bus.conf", dir);
  FILE *f = fopen(conf, "we");
  if (f == NULL)
    return -1;
  fprintf(f, "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\" "
             "\"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
             "<busconfig><type>custom</type><listen>unix:path=%s</listen><auth>EXTERNAL</auth>"
             "<policy context=\"default\"><allow user=\"*\"/><allow own=\"*\"/>"
             "<allow send_destination=\"*\"/><allow receive_sender=\"*\"/></policy></busconfig>\n",
          sock);
  fclose(f);
  fflush(stdout);
  *pid = fork();
  if (*pid == 0) {
    freopen("/dev/null", "w", stderr); /* its warnings (fd limit) are not ours */
    execl("/usr/bin/dbus-daemon", "dbus-daemon", "--nofork", "--nopidfile", "--config-file", conf,
          (char *)NULL);
    _exit(127);
  }
  for (int i = 0; i < 200; i++) { /* until it listens */
    struct stat st;
    if (stat(sock, &st) == 0)
      return 0;
    usleep(10000);
  }
  return -1;
}

static void test_bus_daemon(void) {
  if (access("/usr/bin/dbus-daemon", X_OK) != 0) {
    printf("# SKIP bus daemon: no /usr/bin/dbus-daemon\n");
    return;
  }
  char dir[] = "/tmp/berth-test-dbus.XXXXXX", sock[128];
  pid_t pid = -1;
  if (mkdtemp(dir) == NULL || start_daemon(dir, &pid, sock, sizeof(sock)) < 0) {
    CHECK(false, "could not start dbus-daemon in %s", dir);
    return;
  }
  struct dbus_conn *c = NULL, *c2 = NULL;
  cleanup_berr struct berr *e = NULL;
  CHECK(dbus_open(sock, true, &c, &e) == 0, "connect and Hello: %s", e ? e->msg : "");
  if (c) {
    struct dbus_call getid = {.destination = "org.freedesktop.DBus", .path = "/org/freedesktop/DBus",
                              .interface = "org.freedesktop.DBus", .member = "GetId"};
    struct dbus_message reply = {0};
    struct dbus_reader r;
    const char *id = "";
    CHECK(dbus_call(c, &getid, &reply, NULL, 5000, &e) == 0 &&
              dbus_message_body(&reply, "s", &r, &e) == 0 && dbus_get_string(&r, &id) == 0 &&
              strlen(id) == 32,
          "GetId: \"%s\" %s", id, e ? e->msg : "");
    dbus_message_clear(&reply);

    char *ename = NULL;
    struct dbus_call nope = getid;
    nope.member = "NoSuchMethod";
    berr_cleanup(&e);
    CHECK(dbus_call(c, &nope, NULL, &ename, 5000, &e) < 0 && e && e->code == ENOSYS && ename &&
              strcmp(ename, "org.freedesktop.DBus.Error.UnknownMethod") == 0 &&
              strstr(e->msg, "NoSuchMethod"),
          "unknown method: %s (%s)", e ? e->msg : "succeeded", ename ? ename : "");
    free(ename);

    /* signals: the daemon announces a second connection's name to a matching first one */
    struct dbus_buf rule = {0};
    dbus_put_string(&rule, "type='signal',interface='org.freedesktop.DBus',member='NameOwnerChanged'");
    struct dbus_call match = getid;
    match.member = "AddMatch";
    match.signature = "s";
    match.body = &rule;
    berr_cleanup(&e);
    CHECK(dbus_call(c, &match, NULL, NULL, 5000, &e) == 0, "AddMatch: %s", e ? e->msg : "");
    dbus_buf_free(&rule);
    int seen = 0;
    dbus_on_signal(c, on_owner, &seen);
    CHECK(dbus_open(sock, true, &c2, &e) == 0, "second connection");
    CHECK(dbus_wait(c, saw_owner_change, &seen, 5000, &e) == 0 && seen > 0,
          "NameOwnerChanged received: %s", e ? e->msg : "");
    dbus_close(c2);
    dbus_close(c);
  }
  kill(pid, SIGTERM);
  waitpid(pid, NULL, 0);
  char path[256];
  snprintf(path, sizeof(path), "%s/bus.conf", dir);
  unlink(path);
  unlink(sock);
  rmdir(dir);

  /* nobody listening */
  struct dbus_conn *none = NULL;
  berr_cleanup(&e);
  CHECK(dbus_open("/nonexistent/socket", true, &none, &e) < 0 && e && e->code == ENOENT,
        "connect to a missing socket: %s", e ? e->msg : "connected");
}

int main(void) {
  test_exact_bytes();
  test_parse_round_trip();
  test_parse_big_endian();
  test_parse_malformed();
  test_unit_names();
  test_properties();
  test_bus_daemon();
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
