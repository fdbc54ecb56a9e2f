/* The D-Bus wire format (see dbus.h): marshalling with alignment, the message header, and a
 * bounds-checked reader. Pure: no I/O, fuzzed by tests/fuzz/fuzz_dbus.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dbus.h"

/* header field codes */
enum { F_PATH = 1, F_INTERFACE, F_MEMBER, F_ERROR_NAME, F_REPLY_SERIAL, F_DESTINATION, F_SENDER,
       F_SIGNATURE, F_UNIX_FDS };

#define MAX_ARRAY (64u << 20) /* the specification's limit on one array's length */
#define MAX_DEPTH 64          /* nesting of containers the reader follows */

/* ---- writing ---- */

void dbus_buf_free(struct dbus_buf *b) {
  free(b->p);
  *b = (struct dbus_buf){0};
}

void dbus_buf_cleanup(struct dbus_buf *b) { dbus_buf_free(b); }

static uint8_t *reserve(struct dbus_buf *b, size_t n) {
  if (b->oom)
    return NULL;
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 256;
    while (cap < b->len + n)
      cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    if (p == NULL) {
      b->oom = true;
      return NULL;
    }
    b->p = p;
    b->cap = cap;
  }
  uint8_t *at = b->p + b->len;
  b->len += n;
  return at;
}

static void put(struct dbus_buf *b, const void *v, size_t n) {
  uint8_t *at = reserve(b, n);
  if (at)
    memcpy(at, v, n);
}

void dbus_pad(struct dbus_buf *b, size_t align) {
  size_t n = (align - b->len % align) % align;
  uint8_t *at = reserve(b, n);
  if (at)
    memset(at, 0, n);
}

/* little-endian, whatever the host */
static void put_le(struct dbus_buf *b, uint64_t v, size_t n) {
  uint8_t tmp[8];
  for (size_t i = 0; i < n; i++)
    tmp[i] = (uint8_t)(v >> (8 * i));
  dbus_pad(b, n);
  put(b, tmp, n);
}

void dbus_put_byte(struct dbus_buf *b, uint8_t v) { put(b, &v, 1); }
void dbus_put_bool(struct dbus_buf *b, bool v) { put_le(b, v ? 1 : 0, 4); }
void dbus_put_u32(struct dbus_buf *b, uint32_t v) { put_le(b, v, 4); }
void dbus_put_u64(struct dbus_buf *b, uint64_t v) { put_le(b, v, 8); }

void dbus_put_string(struct dbus_buf *b, const char *s) {
  size_t n = strlen(s);
  dbus_put_u32(b, (uint32_t)n);
  put(b, s, n + 1);
}

void dbus_put_signature(struct dbus_buf *b, const char *s) {
  size_t n = strlen(s);
  dbus_put_byte(b, (uint8_t)n);
  put(b, s, n + 1);
}

size_t dbus_array_begin(struct dbus_buf *b, size_t elem_align) {
  dbus_put_u32(b, 0);
  size_t at = b->len - 4;
  dbus_pad(b, elem_align); /* not counted in the length */
  return at;
}

void dbus_array_end(struct dbus_buf *b, size_t at, size_t elem_align) {
  if (b->oom)
    return;
  /* the padding after the length word is always there and not counted */
  size_t start = (at + 4 + elem_align - 1) / elem_align * elem_align;
  uint32_t n = (uint32_t)(b->len - start);
  for (size_t i = 0; i < 4; i++)
    b->p[at + i] = (uint8_t)(n >> (8 * i));
}

void dbus_struct_begin(struct dbus_buf *b) { dbus_pad(b, 8); }

void dbus_variant_begin(struct dbus_buf *b, const char *sig) { dbus_put_signature(b, sig); }

static void field_str(struct dbus_buf *b, uint8_t code, const char *type, const char *v) {
  if (v == NULL)
    return;
  dbus_struct_begin(b);
  dbus_put_byte(b, code);
  dbus_variant_begin(b, type);
  if (type[0] == 'g')
    dbus_put_signature(b, v);
  else
    dbus_put_string(b, v);
}

int dbus_message_build(const struct dbus_header *h, const struct dbus_buf *body,
                       struct dbus_buf *out, struct berr **err) {
  size_t body_len = body ? body->len : 0;
  if (body && body->oom)
    return berr_set(err, ENOMEM, "d-bus: build %s", h->member ? h->member : "message");
  *out = (struct dbus_buf){0};
  dbus_put_byte(out, 'l');
  dbus_put_byte(out, (uint8_t)h->type);
  dbus_put_byte(out, h->flags);
  dbus_put_byte(out, 1); /* protocol version */
  dbus_put_u32(out, (uint32_t)body_len);
  dbus_put_u32(out, h->serial);
  size_t fields = dbus_array_begin(out, 8);
  field_str(out, F_PATH, "o", h->path);
  field_str(out, F_INTERFACE, "s", h->interface);
  field_str(out, F_MEMBER, "s", h->member);
  field_str(out, F_DESTINATION, "s", h->destination);
  if (h->signature && h->signature[0])
    field_str(out, F_SIGNATURE, "g", h->signature);
  dbus_array_end(out, fields, 8);
  dbus_pad(out, 8); /* the body starts 8-aligned */
  if (body_len)
    put(out, body->p, body_len);
  if (out->oom || out->len > DBUS_MAX_MESSAGE) {
    dbus_buf_free(out);
    return berr_set(err, ENOMEM, "d-bus: build %s", h->member ? h->member : "message");
  }
  return 0;
}

/* ---- reading ---- */

static int bad(void) {
  errno = EBADMSG;
  return -1;
}

static int align(struct dbus_reader *r, size_t a) {
  size_t pos = (r->pos + a - 1) / a * a;
  if (pos > r->end)
    return bad();
  r->pos = pos;
  return 0;
}

static int get_uint(struct dbus_reader *r, size_t n, uint64_t *v) {
  if (align(r, n) < 0 || r->end - r->pos < n)
    return bad();
  uint64_t x = 0;
  for (size_t i = 0; i < n; i++) {
    uint64_t byte = r->p[r->pos + i];
    x |= r->be ? byte << (8 * (n - 1 - i)) : byte << (8 * i);
  }
  r->pos += n;
  *v = x;
  return 0;
}

int dbus_get_byte(struct dbus_reader *r, uint8_t *v) {
  if (r->pos >= r->end)
    return bad();
  *v = r->p[r->pos++];
  return 0;
}

int dbus_get_u32(struct dbus_reader *r, uint32_t *v) {
  uint64_t x;
  if (get_uint(r, 4, &x) < 0)
    return -1;
  *v = (uint32_t)x;
  return 0;
}

int dbus_get_bool(struct dbus_reader *r, bool *v) {
  uint32_t x;
  if (dbus_get_u32(r, &x) < 0 || x > 1)
    return bad();
  *v = x == 1;
  return 0;
}

int dbus_get_u64(struct dbus_reader *r, uint64_t *v) { return get_uint(r, 8, v); }

/* n bytes of text then a NUL, none inside */
static int get_text(struct dbus_reader *r, size_t n, const char **s) {
  if (r->end - r->pos < n + 1 || r->p[r->pos + n] != '\0' || memchr(r->p + r->pos, 0, n))
    return bad();
  *s = (const char *)r->p + r->pos;
  r->pos += n + 1;
  return 0;
}

int dbus_get_string(struct dbus_reader *r, const char **s) {
  uint32_t n;
  if (dbus_get_u32(r, &n) < 0)
    return -1;
  return get_text(r, n, s);
}

int dbus_get_signature(struct dbus_reader *r, const char **s) {
  uint8_t n;
  if (dbus_get_byte(r, &n) < 0)
    return -1;
  return get_text(r, n, s);
}

int dbus_get_array(struct dbus_reader *r, size_t elem_align, size_t *end) {
  uint32_t n;
  if (dbus_get_u32(r, &n) < 0 || n > MAX_ARRAY || align(r, elem_align) < 0 ||
      r->end - r->pos < n)
    return bad();
  *end = r->pos + n;
  return 0;
}

int dbus_get_struct(struct dbus_reader *r) { return align(r, 8); }

static size_t type_align(char t) {
  switch (t) {
  case 'y': case 'g': case 'v':
    return 1;
  case 'n': case 'q':
    return 2;
  case 'x': case 't': case 'd': case '(': case '{':
    return 8;
  default: /* b i u h s o a */
    return 4;
  }
}

/* Skips the fields of a struct or dict entry up to the closing character. */
static int skip_fields(struct dbus_reader *r, const char **sig, char close) {
  while (**sig != close) {
    if (**sig == '\0' || dbus_skip(r, sig) < 0)
      return bad();
  }
  (*sig)++;
  return 0;
}

/* Advances *sig past one complete type without reading values (an empty array's element). */
static int sig_next(const char **sig, int depth) {
  if (depth >= MAX_DEPTH)
    return bad();
  char t = *(*sig)++;
  if (strchr("ybnqiuxtdhsogv", t) && t != '\0')
    return 0;
  if (t == 'a')
    return sig_next(sig, depth + 1);
  if (t != '(' && t != '{')
    return bad();
  char close = t == '(' ? ')' : '}';
  int fields = 0;
  while (**sig != close) {
    if (**sig == '\0' || sig_next(sig, depth + 1) < 0)
      return bad();
    fields++;
  }
  (*sig)++;
  return fields == 0 || (t == '{' && fields != 2) ? bad() : 0;
}

static int skip_array(struct dbus_reader *r, const char **sig) {
  const char *elem = *sig;
  size_t end;
  if (sig_next(sig, r->depth) < 0 || dbus_get_array(r, type_align(*elem), &end) < 0)
    return -1;
  size_t saved_end = r->end;
  r->end = end;
  while (r->pos < end) {
    const char *s = elem;
    if (dbus_skip(r, &s) < 0) {
      r->end = saved_end;
      return -1;
    }
  }
  r->end = saved_end;
  return 0;
}

static int skip_variant(struct dbus_reader *r) {
  const char *vs;
  if (dbus_get_signature(r, &vs) < 0)
    return -1;
  const char *s = vs;
  if (dbus_skip(r, &s) < 0 || *s != '\0') /* exactly one complete type */
    return bad();
  return 0;
}

int dbus_skip(struct dbus_reader *r, const char **sig) {
  if (r->depth >= MAX_DEPTH)
    return bad();
  char t = *(*sig)++;
  uint64_t x;
  const char *s;
  int rc;
  r->depth++;
  switch (t) {
  case 'y': rc = dbus_get_byte(r, &(uint8_t){0}); break;
  case 'b': rc = dbus_get_bool(r, &(bool){false}); break;
  case 'n': case 'q': rc = get_uint(r, 2, &x); break;
  case 'i': case 'u': case 'h': rc = get_uint(r, 4, &x); break;
  case 'x': case 't': case 'd': rc = get_uint(r, 8, &x); break;
  case 's': case 'o': rc = dbus_get_string(r, &s); break;
  case 'g': rc = dbus_get_signature(r, &s); break;
  case 'v': rc = skip_variant(r); break;
  case 'a': rc = skip_array(r, sig); break;
  case '(': rc = align(r, 8) < 0 || **sig == ')' ? bad() : skip_fields(r, sig, ')'); break;
  case '{': rc = align(r, 8) < 0 ? -1 : skip_fields(r, sig, '}'); break;
  default: rc = bad();
  }
  r->depth--;
  return rc;
}

/* ---- messages ---- */

int dbus_message_size(const uint8_t hdr[16], size_t *total) {
  if ((hdr[0] != 'l' && hdr[0] != 'B') || hdr[3] != 1)
    return bad();
  struct dbus_reader r = {.p = hdr, .end = 16, .pos = 4, .be = hdr[0] == 'B'};
  uint32_t body, serial, fields;
  if (dbus_get_u32(&r, &body) < 0 || dbus_get_u32(&r, &serial) < 0 ||
      dbus_get_u32(&r, &fields) < 0)
    return -1;
  if (body > DBUS_MAX_MESSAGE || fields > DBUS_MAX_MESSAGE)
    return bad();
  size_t n = (16 + (size_t)fields + 7) / 8 * 8 + body;
  if (n > DBUS_MAX_MESSAGE)
    return bad();
  *total = n;
  return 0;
}

void dbus_message_clear(struct dbus_message *m) {
  free(m->data);
  *m = (struct dbus_message){0};
}

static int header_field(struct dbus_reader *r, struct dbus_message *m) {
  uint8_t code;
  const char *vsig, *s;
  if (dbus_get_struct(r) < 0 || dbus_get_byte(r, &code) < 0 || dbus_get_signature(r, &vsig) < 0)
    return -1;
  const char **str[] = {[F_PATH] = &m->path, [F_INTERFACE] = &m->interface,
                        [F_MEMBER] = &m->member, [F_ERROR_NAME] = &m->error_name,
                        [F_DESTINATION] = &m->destination, [F_SENDER] = &m->sender,
                        [F_SIGNATURE] = &m->signature};
  char want = code == F_PATH ? 'o' : code == F_SIGNATURE ? 'g'
              : code == F_REPLY_SERIAL || code == F_UNIX_FDS ? 'u' : 's';
  if (code == 0 || code > F_UNIX_FDS) { /* unknown fields are skipped */
    const char *t = vsig;
    return dbus_skip(r, &t) < 0 || *t != '\0' ? bad() : 0;
  }
  if (vsig[0] != want || vsig[1] != '\0')
    return bad();
  if (want == 'u') {
    uint32_t v;
    if (dbus_get_u32(r, &v) < 0)
      return -1;
    if (code == F_REPLY_SERIAL)
      m->reply_serial = v;
    return 0;
  }
  if ((want == 'g' ? dbus_get_signature(r, &s) : dbus_get_string(r, &s)) < 0)
    return -1;
  *str[code] = s;
  return 0;
}

static int parse(struct dbus_message *m) {
  size_t total;
  if (m->len < 16 || dbus_message_size(m->data, &total) < 0 || total != m->len)
    return bad();
  struct dbus_reader r = {.p = m->data, .end = m->len, .pos = 1, .be = m->data[0] == 'B'};
  uint8_t type, version;
  uint32_t body;
  size_t end;
  if (dbus_get_byte(&r, &type) < 0 || dbus_get_byte(&r, &m->flags) < 0 ||
      dbus_get_byte(&r, &version) < 0 || dbus_get_u32(&r, &body) < 0 ||
      dbus_get_u32(&r, &m->serial) < 0 || dbus_get_array(&r, 8, &end) < 0)
    return -1;
  if (type < DBUS_METHOD_CALL || type > DBUS_SIGNAL || m->serial == 0)
    return bad();
  m->type = (enum dbus_msg_type)type;
  m->be = r.be;
  r.end = end;
  while (r.pos < end)
    if (header_field(&r, m) < 0)
      return -1;
  m->body = (end + 7) / 8 * 8;
  if (m->body + body != m->len)
    return bad();
  /* the fields each type requires; a body needs a signature (an empty one, like none, means
   * no body: otherwise what dbus_message_build makes of the message would not parse) */
  if ((m->type == DBUS_METHOD_CALL && (!m->path || !m->member)) ||
      (m->type == DBUS_SIGNAL && (!m->path || !m->interface || !m->member)) ||
      (m->type == DBUS_ERROR && (!m->error_name || !m->reply_serial)) ||
      (m->type == DBUS_METHOD_RETURN && !m->reply_serial) ||
      (body && (!m->signature || !m->signature[0])))
    return bad();
  return 0;
}

int dbus_message_parse(uint8_t *data, size_t len, struct dbus_message *m, struct berr **err) {
  *m = (struct dbus_message){.data = data, .len = len};
  if (parse(m) < 0) {
    dbus_message_clear(m);
    return berr_code(err, EBADMSG, "d-bus: malformed message (%zu bytes)", len);
  }
  return 0;
}

int dbus_message_body(const struct dbus_message *m, const char *sig, struct dbus_reader *r,
                      struct berr **err) {
  const char *have = m->signature ? m->signature : "";
  if (strcmp(have, sig) != 0)
    return berr_code(err, EBADMSG, "d-bus: %s: reply signature \"%s\", expected \"%s\"",
                     m->member ? m->member : "reply", have, sig);
  *r = (struct dbus_reader){.p = m->data, .end = m->len, .pos = m->body, .be = m->be};
  return 0;
}

const char *dbus_message_error_text(const struct dbus_message *m) {
  const char *s;
  if (m->signature == NULL || m->signature[0] != 's')
    return "";
  struct dbus_reader r = {.p = m->data, .end = m->len, .pos = m->body, .be = m->be};
  return dbus_get_string(&r, &s) < 0 ? "" : s;
}
