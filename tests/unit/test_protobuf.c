/* protobuf.c: the encoding of each wire type byte for byte (as protoc-generated code writes
 * it), the decoder on that output, and the decoder's refusal of malformed input. */
#include <string.h>

#include "check.h"
#include "protobuf.h"

static bool same(const struct pb_buf *b, const char *hex) {
  char out[512] = "";
  for (size_t i = 0; i < b->len && 2 * i + 2 < sizeof(out); i++)
    snprintf(out + 2 * i, 3, "%02x", b->data[i]);
  if (strcmp(out, hex) != 0)
    printf("# got %s, want %s\n", out, hex);
  return strcmp(out, hex) == 0;
}

static void test_encode(void) {
  struct pb_buf b = {0};
  pb_varint(&b, 1, 150); /* the protobuf documentation's example */
  CHECK(same(&b, "089601"), "varint 150");
  pb_buf_free(&b);
  pb_string(&b, 2, "testing");
  CHECK(same(&b, "120774657374696e67"), "string");
  pb_buf_free(&b);
  pb_int32(&b, 7, -1);
  CHECK(same(&b, "38ffffffffffffffffff01"), "negative int32: 10 bytes");
  pb_buf_free(&b);
  pb_bool(&b, 3, true);
  pb_bool(&b, 34, false); /* a two-byte key */
  CHECK(same(&b, "1801900200"), "bools, field 34");
  pb_buf_free(&b);
  struct pb_buf m = {0};
  pb_string(&m, 1, "/a");
  pb_string(&m, 2, "/b");
  pb_varint(&b, 1, 2);
  pb_message(&b, 23, &m);
  CHECK(same(&b, "0802ba0108"
                 "0a022f61"
                 "12022f62"),
        "nested message");
  CHECK(!b.oom, "no allocation failure");
  pb_buf_free(&m);
  pb_buf_free(&b);
}

static void test_decode(void) {
  struct pb_buf b = {0}, m = {0};
  pb_varint(&b, 1, 2);
  pb_bool(&b, 2, true);
  pb_int32(&m, 1, 4242);
  pb_message(&b, 4, &m);
  pb_string(&b, 9, "no such file");
  pb_int32(&b, 7, -3);
  struct pb_reader r = {b.data, b.data + b.len};
  struct pb_field f;
  CHECK(pb_next(&r, &f) == 1 && f.field == 1 && f.wire == PB_VARINT && f.v == 2, "type");
  CHECK(pb_next(&r, &f) == 1 && f.field == 2 && f.v == 1, "success");
  CHECK(pb_next(&r, &f) == 1 && f.field == 4 && f.wire == PB_LEN, "nested");
  struct pb_reader s = pb_sub(&f);
  struct pb_field g;
  CHECK(pb_next(&s, &g) == 1 && g.field == 1 && g.v == 4242 && pb_next(&s, &g) == 0, "pid");
  CHECK(pb_next(&r, &f) == 1 && f.field == 9 && f.len == 12 && memcmp(f.data, "no such file", 12) == 0,
        "string");
  CHECK(pb_next(&r, &f) == 1 && (int32_t)f.v == -3, "negative int32");
  CHECK(pb_next(&r, &f) == 0, "end");
  pb_buf_free(&b);
  pb_buf_free(&m);
  /* fixed-width fields are read (and can be skipped) */
  const uint8_t fixed[] = {0x0d, 1, 0, 0, 0, 0x11, 2, 0, 0, 0, 0, 0, 0, 0};
  r = (struct pb_reader){fixed, fixed + sizeof(fixed)};
  CHECK(pb_next(&r, &f) == 1 && f.wire == PB_I32 && f.v == 1, "fixed32");
  CHECK(pb_next(&r, &f) == 1 && f.wire == PB_I64 && f.v == 2 && pb_next(&r, &f) == 0, "fixed64");
}

static void test_malformed(void) {
  struct pb_field f;
  const uint8_t trunc_len[] = {0x12, 0x05, 'a'};   /* length past the end */
  const uint8_t trunc_var[] = {0x08, 0x96};        /* varint cut short */
  const uint8_t group[] = {0x0b};                  /* start group */
  const uint8_t zero[] = {0x00, 0x01};             /* field number 0 */
  const uint8_t long_var[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
  const uint8_t *cases[] = {trunc_len, trunc_var, group, zero, long_var};
  size_t lens[] = {sizeof(trunc_len), sizeof(trunc_var), sizeof(group), sizeof(zero),
                   sizeof(long_var)};
  for (size_t i = 0; i < 5; i++) {
    struct pb_reader r = {cases[i], cases[i] + lens[i]};
    CHECK(pb_next(&r, &f) == -1, "malformed case %zu refused", i);
  }
}

int main(void) {
  test_encode();
  test_decode();
  test_malformed();
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
