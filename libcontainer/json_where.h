/* The position of a JSON syntax error for a human (json.c's parse errors). */
#ifndef BERTH_JSON_WHERE_H
#define BERTH_JSON_WHERE_H

#include <stdbool.h>
#include <stddef.h>

struct json_where {
  size_t line, column; /* from 1; the column counts UTF-8 characters */
  char *excerpt;       /* the line (a window of a long one, "..." where cut) */
  char *caret;         /* as wide as the excerpt up to the token (tabs kept), then "^" */
};

/* The token at byte offset (where yajl stopped), or with at_end the end of the input (after
 * the last character that is not white space). 0, or -1 when out of memory. Free with
 * json_where_free. */
int json_where(const char *text, size_t len, size_t offset, bool at_end, struct json_where *out);
void json_where_free(struct json_where *w);

#endif
