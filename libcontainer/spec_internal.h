/* Private to spec.c, spec_linux.c and spec_free.c: the typed JSON getters
 * and JSON-path helpers the config parser is built from.
 *
 * Conventions:
 *  - `path` is always the JSON path of the *parent* node ("" at the root);
 *    the getters build the child's path themselves ("linux.namespaces[3].type").
 *  - Keyed getters return 1 when the key is present (value stored), 0 when it
 *    is absent or null (output untouched), -1 on error (err set, its message
 *    "<path>: <what is wrong>"; the "config.json: " prefix is added on top).
 *  - need(r, ...) turns "absent" into a "<path>.<key>: required" error. */
#ifndef BERTH_SPEC_INTERNAL_H
#define BERTH_SPEC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "json.h"
#include "spec.h"

#define JP_MAX 512

/* JSON paths: "<parent>.<key>", "<parent>[i]", "<parent>[\"key\"]". Return buf. */
const char *jp_key(char buf[JP_MAX], const char *parent, const char *key);
const char *jp_index(char buf[JP_MAX], const char *parent, size_t i);
const char *jp_map(char buf[JP_MAX], const char *parent, const char *key);

/* A validation error at path (EINVAL kept in berr.code); returns -1. */
int spec_err(struct berr **err, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int spec_require_abs(const char *path, const char *value, struct berr **err);

/* Node-level conversions (n is the node itself, path is its own path). */
int node_object(const json_node *n, const char *path, struct berr **err);
int node_string(const json_node *n, const char *path, char **out, struct berr **err);
int node_uint(const json_node *n, const char *path, uint64_t max, const char *tname,
              uint64_t *out, struct berr **err);
int node_int(const json_node *n, const char *path, int64_t min, int64_t max, const char *tname,
             int64_t *out, struct berr **err);
int node_string_list(const json_node *n, const char *path, struct spec_string_list *out,
                     struct berr **err);

/* Keyed getters on an object node. */
int get_object(const json_node *obj, const char *key, const char *path, const json_node **out,
               struct berr **err);
int get_array(const json_node *obj, const char *key, const char *path, const json_node **out,
              struct berr **err);
int get_string(const json_node *obj, const char *key, const char *path, char **out,
               struct berr **err);
/* get_string for an LSM label or profile: "" (as some engines write "none") is absent, as runc
 * takes it; 0 then. */
int get_label(const json_node *obj, const char *key, const char *path, char **out,
              struct berr **err);
int get_bool(const json_node *obj, const char *key, const char *path, bool *out,
             struct berr **err);
int get_uint16(const json_node *obj, const char *key, const char *path, uint16_t *out,
               struct berr **err);
/* A user or group id: 0..2147483647 (SPEC_ID_MAX), as runc. 4294967295 is -1 to setresuid,
 * chown and setgroups ("unchanged"): the process would keep root's ids. */
int get_id(const json_node *obj, const char *key, const char *path, uint32_t *out,
           struct berr **err);
int get_uint32(const json_node *obj, const char *key, const char *path, uint32_t *out,
               struct berr **err);
int get_uint64(const json_node *obj, const char *key, const char *path, uint64_t *out,
               struct berr **err);
int get_int32(const json_node *obj, const char *key, const char *path, int32_t *out,
              struct berr **err);
int get_int(const json_node *obj, const char *key, const char *path, int *out, struct berr **err);
int get_int64(const json_node *obj, const char *key, const char *path, int64_t *out,
              struct berr **err);
int get_string_list(const json_node *obj, const char *key, const char *path,
                    struct spec_string_list *out, struct berr **err);
int need(int r, const char *path, const char *key, struct berr **err);

/* An array of objects under key, parsed element by element into a calloc'ed
 * array of elem_size items. *items and *len are set before the elements are
 * parsed, so on error the caller's free function releases the partial array. */
typedef int (*spec_elem_fn)(const json_node *n, const char *path, void *elem, struct berr **err);
int get_object_array(const json_node *obj, const char *key, const char *path, size_t elem_size,
                     void **items, size_t *len, spec_elem_fn fn, struct berr **err);
/* An object of string values ({"k": "v"}) as key/value pairs. */
int get_string_map(const json_node *obj, const char *key, const char *path,
                   struct spec_key_value **items, size_t *len, struct berr **err);
int get_id_mappings(const json_node *obj, const char *key, const char *path,
                    struct spec_id_mapping **items, size_t *len, struct berr **err);

/* spec_linux.c */
int spec_parse_linux(const json_node *obj, const char *path, struct spec_linux **out,
                     struct berr **err);

/* spec_free.c */
void spec_string_list_free(struct spec_string_list *l);
void spec_key_values_free(struct spec_key_value *kv, size_t len);
void spec_linux_free(struct spec_linux *l);
void spec_mount_free(struct spec_mount *m);
void spec_hook_list_free(struct spec_hook_list *h);

#endif
