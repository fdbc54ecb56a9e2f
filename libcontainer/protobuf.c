/* See protobuf.h. */
#include "protobuf.h"

#include <stdlib.h>
#include <string.h>

void pb_buf_free(struct pb_buf *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

static void put(struct pb_buf *b, const void *data, size_t len) {
  if (b->oom)
    return;
  if (b->len + len > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + len)
      cap *= 2;
    uint8_t *n = realloc(b->data, cap);
    if (n == NULL) {
      b->oom = true;
      return;
    }
    b->data = n;
    b->cap = cap;
  }
  if (len)
    memcpy(b->data + b->len, data, len);
  b->len += len;
}

static void put_raw_varint(struct pb_buf *b, uint64_t v) {
  uint8_t out[10];
  size_t n = 0;
  do {
    out[n] = v & 0x7f;
    v >>= 7;
    if (v)
      out[n] |= 0x80;
    n++;
  } while (v);
  put(b, out, n);
}

static void put_key(struct pb_buf *b, uint32_t field, int wire) {
  put_raw_varint(b, ((uint64_t)field << 3) | (unsigned)wire);
}

void pb_varint(struct pb_buf *b, uint32_t field, uint64_t v) {
  put_key(b, field, PB_VARINT);
  put_raw_varint(b, v);
}

void pb_int32(struct pb_buf *b, uint32_t field, int32_t v) {
  pb_varint(b, field, (uint64_t)(int64_t)v);
}

void pb_bool(struct pb_buf *b, uint32_t field, bool v) {
  pb_varint(b, field, v ? 1 : 0);
}

void pb_bytes(struct pb_buf *b, uint32_t field, const void *data, size_t len) {
  put_key(b, field, PB_LEN);
  put_raw_varint(b, len);
  put(b, data, len);
}

void pb_string(struct pb_buf *b, uint32_t field, const char *s) {
  pb_bytes(b, field, s, strlen(s));
}

void pb_message(struct pb_buf *b, uint32_t field, const struct pb_buf *m) {
  if (m->oom)
    b->oom = true;
  pb_bytes(b, field, m->data, m->len);
}

static int get_varint(struct pb_reader *r, uint64_t *out) {
  uint64_t v = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (r->p >= r->end)
      return -1;
    uint8_t c = *r->p++;
    v |= (uint64_t)(c & 0x7f) << shift;
    if (!(c & 0x80)) {
      *out = v;
      return 0;
    }
  }
  return -1; /* more than 10 bytes */
}

int pb_next(struct pb_reader *r, struct pb_field *f) {
  if (r->p >= r->end)
    return 0;
  uint64_t key;
  if (get_varint(r, &key) < 0 || (key >> 3) == 0 || (key >> 3) > UINT32_MAX)
    return -1;
  memset(f, 0, sizeof(*f));
  f->field = (uint32_t)(key >> 3);
  f->wire = (int)(key & 7);
  size_t left;
  switch (f->wire) {
  case PB_VARINT:
    return get_varint(r, &f->v) < 0 ? -1 : 1;
  case PB_I64:
  case PB_I32: {
    size_t n = f->wire == PB_I64 ? 8 : 4;
    if ((size_t)(r->end - r->p) < n)
      return -1;
    for (size_t i = 0; i < n; i++)
      f->v |= (uint64_t)r->p[i] << (8 * i);
    r->p += n;
    return 1;
  }
  case PB_LEN:
    if (get_varint(r, &f->v) < 0)
      return -1;
    left = (size_t)(r->end - r->p);
    if (f->v > left)
      return -1;
    f->data = r->p;
    f->len = (size_t)f->v;
    r->p += f->len;
    return 1;
  default:
    return -1; /* groups (3, 4) and the undefined 6, 7 */
  }
}

struct pb_reader pb_sub(const struct pb_field *f) {
  struct pb_reader r = {.p = f->data, .end = f->data + f->len};
  return r;
}
