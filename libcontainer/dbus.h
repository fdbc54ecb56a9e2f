/* A small D-Bus client: just enough to talk to systemd (cgroup/systemd.c), no libdbus or
 * sd-bus. Two halves:
 *
 *   - the wire format (dbus_wire.c, pure and fuzzed): a writer that marshals values into a
 *     buffer with the alignment the specification asks for, the message header, and a
 *     bounds-checked reader for received messages (either byte order);
 *   - the connection (dbus.c): a unix socket, SASL EXTERNAL authentication with our uid, Hello
 *     on a bus daemon, method calls waiting for their reply, signals handed to a callback.
 *
 * Alignment is relative to the start of the message: a body is marshalled into its own buffer
 * from offset 0 and appended at an 8-aligned offset, so its padding stays right. */
#ifndef BERTH_DBUS_H
#define BERTH_DBUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

enum dbus_msg_type {
  DBUS_METHOD_CALL = 1,
  DBUS_METHOD_RETURN = 2,
  DBUS_ERROR = 3,
  DBUS_SIGNAL = 4,
};

/* The largest message we accept (the specification allows 128 MiB; systemd's are small). */
#define DBUS_MAX_MESSAGE (16u << 20)

/* ---- writing ---- */

struct dbus_buf {
  uint8_t *p;
  size_t len, cap;
  bool oom; /* an allocation failed: the contents are incomplete */
};

void dbus_buf_free(struct dbus_buf *b);
void dbus_buf_cleanup(struct dbus_buf *b);
#define cleanup_dbus_buf __attribute__((cleanup(dbus_buf_cleanup)))

void dbus_pad(struct dbus_buf *b, size_t align); /* zero bytes up to a multiple of align */
void dbus_put_byte(struct dbus_buf *b, uint8_t v);         /* y */
void dbus_put_bool(struct dbus_buf *b, bool v);            /* b */
void dbus_put_u32(struct dbus_buf *b, uint32_t v);         /* u */
void dbus_put_u64(struct dbus_buf *b, uint64_t v);         /* t */
void dbus_put_string(struct dbus_buf *b, const char *s);   /* s, o */
void dbus_put_signature(struct dbus_buf *b, const char *s); /* g */
/* a: the length word, then padding to the element alignment; returns the length word's
 * offset for dbus_array_end() (same elem_align), which fills in the length. */
size_t dbus_array_begin(struct dbus_buf *b, size_t elem_align);
void dbus_array_end(struct dbus_buf *b, size_t at, size_t elem_align);
/* ( ) and { }: 8-aligned */
void dbus_struct_begin(struct dbus_buf *b);
/* v: the contained value's signature; the value follows */
void dbus_variant_begin(struct dbus_buf *b, const char *sig);

/* The header of a message (little-endian) followed by body (NULL: none, signature must then
 * be NULL or ""). Fields that are NULL are left out. */
struct dbus_header {
  enum dbus_msg_type type;
  uint8_t flags;
  uint32_t serial;
  const char *path, *interface, *member, *destination, *signature;
};
int dbus_message_build(const struct dbus_header *h, const struct dbus_buf *body,
                       struct dbus_buf *out, struct berr **err);

/* ---- reading ---- */

struct dbus_reader {
  const uint8_t *p; /* the whole message: alignment counts from p */
  size_t end, pos;
  bool be;   /* big-endian message ('B') */
  int depth; /* nesting of dbus_skip */
};

int dbus_get_byte(struct dbus_reader *r, uint8_t *v);
int dbus_get_bool(struct dbus_reader *r, bool *v);
int dbus_get_u32(struct dbus_reader *r, uint32_t *v);
int dbus_get_u64(struct dbus_reader *r, uint64_t *v);
/* s, o: points into the message (NUL-terminated, no NUL inside) */
int dbus_get_string(struct dbus_reader *r, const char **s);
int dbus_get_signature(struct dbus_reader *r, const char **s);
/* An array: *end is where its elements stop (elements while r->pos < *end). */
int dbus_get_array(struct dbus_reader *r, size_t elem_align, size_t *end);
int dbus_get_struct(struct dbus_reader *r);
/* Skips one complete value of the type at *sig (advanced past it). */
int dbus_skip(struct dbus_reader *r, const char **sig);
/* Each reader function returns 0, or -1 with errno EBADMSG (malformed or truncated). */

/* A received message; the strings point into data. */
struct dbus_message {
  uint8_t *data;
  size_t len;
  bool be;
  enum dbus_msg_type type;
  uint8_t flags;
  uint32_t serial, reply_serial;
  const char *path, *interface, *member, *error_name, *destination, *sender, *signature;
  size_t body; /* offset of the body in data */
};

/* The total size of the message whose first 16 bytes are hdr; -1 (EBADMSG) when the fixed
 * header is invalid or the message larger than DBUS_MAX_MESSAGE. */
int dbus_message_size(const uint8_t hdr[16], size_t *total);
/* Parses a whole message (takes ownership of data, also on failure). */
int dbus_message_parse(uint8_t *data, size_t len, struct dbus_message *m, struct berr **err);
void dbus_message_clear(struct dbus_message *m);
/* A reader positioned at the body; the body's signature must be sig. */
int dbus_message_body(const struct dbus_message *m, const char *sig, struct dbus_reader *r,
                      struct berr **err);
/* The error's text (first string of the body) or "" */
const char *dbus_message_error_text(const struct dbus_message *m);

/* ---- the connection ---- */

struct dbus_conn;
/* Called for each signal received while waiting for a reply or in dbus_wait(). */
typedef void (*dbus_signal_fn)(const struct dbus_message *m, void *data);

/* Connects to the unix socket at path and authenticates (SASL EXTERNAL, our uid). bus: the
 * peer is a bus daemon (Hello is sent, destinations matter); else a direct connection to the
 * service (systemd's private socket). */
int dbus_open(const char *path, bool bus, struct dbus_conn **out, struct berr **err);
void dbus_close(struct dbus_conn *c);
bool dbus_is_bus(const struct dbus_conn *c);
void dbus_on_signal(struct dbus_conn *c, dbus_signal_fn fn, void *data);

/* Calls a method and waits (timeout_ms) for its reply; reply may be NULL. An error reply fails
 * with "<member>: <error name>: <text>" and an errno for well-known names (EACCES for access
 * denied, ENOENT for no such unit or name, EEXIST for a unit that exists, else EIO);
 * *error_name (may be NULL) gets the error's name, malloc'ed. */
struct dbus_call {
  const char *destination, *path, *interface, *member, *signature;
  const struct dbus_buf *body;
};
int dbus_call(struct dbus_conn *c, const struct dbus_call *call, struct dbus_message *reply,
              char **error_name, int timeout_ms, struct berr **err);
/* Reads messages, handing signals to the callback, until done(data) is true or timeout_ms
 * passes (ETIMEDOUT). */
int dbus_wait(struct dbus_conn *c, bool (*done)(void *data), void *data, int timeout_ms,
              struct berr **err);

#endif
