/* A minimal protocol buffers (proto2) encoder and decoder: just what berth needs to talk to
 * CRIU's RPC (criu.c). Fields are written in the order the caller writes them; a nested
 * message is built in its own pb_buf and appended with pb_message(). Wire types: varint (0),
 * 64-bit (1, skipped), length-delimited (2), 32-bit (5, skipped); groups are refused. */
#ifndef BERTH_PROTOBUF_H
#define BERTH_PROTOBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pb_buf {
  uint8_t *data;
  size_t len, cap;
  bool oom; /* an allocation failed: the buffer is incomplete (checked once, at the end) */
};

void pb_buf_free(struct pb_buf *b);
void pb_varint(struct pb_buf *b, uint32_t field, uint64_t v);
/* int32 as protobuf encodes it: a negative value is sign-extended to 64 bits (10 bytes) */
void pb_int32(struct pb_buf *b, uint32_t field, int32_t v);
void pb_bool(struct pb_buf *b, uint32_t field, bool v);
void pb_bytes(struct pb_buf *b, uint32_t field, const void *data, size_t len);
void pb_string(struct pb_buf *b, uint32_t field, const char *s);
/* appends the message m as field (m is left as is) */
void pb_message(struct pb_buf *b, uint32_t field, const struct pb_buf *m);

enum { PB_VARINT = 0, PB_I64 = 1, PB_LEN = 2, PB_I32 = 5 };

struct pb_reader {
  const uint8_t *p, *end;
};
struct pb_field {
  uint32_t field;
  int wire;
  uint64_t v;          /* PB_VARINT (and the fixed-width ones) */
  const uint8_t *data; /* PB_LEN */
  size_t len;
};
/* The next field: 1, 0 at the end of the message, -1 when it is malformed (truncated, a
 * varint longer than 10 bytes, a group, field number 0). */
int pb_next(struct pb_reader *r, struct pb_field *f);
/* a PB_LEN field's contents as a reader (a nested message) */
struct pb_reader pb_sub(const struct pb_field *f);

#endif
