/* berth's JSON API. json.c is the only file that includes yajl. */
#ifndef BERTH_JSON_H
#define BERTH_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* ---- reading: an immutable tree ---- */
enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

typedef struct json_node json_node; /* opaque */

/* Parses text (len bytes, need not be NUL-terminated). The tree is freed with json_free(). */
int json_parse(const char *text, size_t len, json_node **out, struct berr **err);
void json_free(json_node *root);
void json_free_cleanup(json_node **root);
#define cleanup_json __attribute__((cleanup(json_free_cleanup)))

/* The string at path[0].path[1]...path[n-1] (object keys from the top) of a JSON document, read
 * with yajl's event parser and no tree (a tenth of json_parse()'s work): 1 and *out malloc'd,
 * 0 when absent or null, -1 when the text is no JSON or the value is not a string (or holds a
 * NUL). Of duplicate keys, the first with a value counts. */
int json_lookup_string(const char *text, size_t len, const char *const *path, size_t n,
                       char **out);

enum json_type json_type_of(const json_node *n);
const char *json_type_name(enum json_type t); /* "string", "object", ... */

/* Objects */
size_t json_object_len(const json_node *obj);
const char *json_object_key(const json_node *obj, size_t i);
const json_node *json_object_value(const json_node *obj, size_t i);
const json_node *json_get(const json_node *obj, const char *key); /* NULL if absent or obj not an object */

/* Arrays */
size_t json_array_len(const json_node *arr);
const json_node *json_array_at(const json_node *arr, size_t i);

/* Scalars: callers check json_type_of() first. */
const char *json_string(const json_node *n);
bool json_bool(const json_node *n);
/* The number's literal text as written, e.g. "18446744073709551615" or "1.5". */
const char *json_number_text(const json_node *n);
/* 0 on success; -1 if the number is not an integer or out of range. */
int json_int64(const json_node *n, int64_t *out);
int json_uint64(const json_node *n, uint64_t *out);
double json_double(const json_node *n);

/* ---- writing: a streaming generator ---- */
typedef struct json_writer json_writer;

json_writer *json_writer_new(bool pretty);
void json_writer_free(json_writer *w);
void json_writer_cleanup(json_writer **w);
#define cleanup_json_writer __attribute__((cleanup(json_writer_cleanup)))

void jw_object_begin(json_writer *w);
void jw_object_end(json_writer *w);
void jw_array_begin(json_writer *w);
void jw_array_end(json_writer *w);
void jw_key(json_writer *w, const char *key);
void jw_string(json_writer *w, const char *s); /* NULL writes null */
void jw_int(json_writer *w, int64_t v);
void jw_uint(json_writer *w, uint64_t v);
void jw_bool(json_writer *w, bool v);
void jw_null(json_writer *w);
/* key + value helpers */
void jw_kv_string(json_writer *w, const char *key, const char *s);
void jw_kv_int(json_writer *w, const char *key, int64_t v);
void jw_kv_uint(json_writer *w, const char *key, uint64_t v);
void jw_kv_bool(json_writer *w, const char *key, bool v);

/* Writes a parsed tree back (numbers that are not 64-bit integers as their text, a string). */
void jw_node(json_writer *w, const json_node *n);

/* The text so far (NUL-terminated, owned by the writer). Returns NULL if a
 * generator error occurred (unbalanced calls). */
const char *json_writer_text(json_writer *w, size_t *len);

#endif
