/* Named runtime_features.h, not features.h: that would shadow glibc's <features.h>.
 * The OCI features document (features.md), generated from the tables the
 * config parser uses, so it never claims a name berth does not parse. */
#ifndef BERTH_RUNTIME_FEATURES_H
#define BERTH_RUNTIME_FEATURES_H

/* The features JSON, pretty-printed and NUL-terminated; the caller frees it.
 * NULL (errno set) when memory runs out. */
char *features_json(void);

#endif
