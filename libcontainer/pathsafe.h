/* Resolving paths inside a root directory (the container's rootfs) without
 * ever leaving it: symlinks (absolute or relative) and ".." are resolved as
 * if the root were "/", magic links (/proc/self/fd/N...) are refused.
 * openat2(RESOLVE_IN_ROOT) when the kernel has it, else a small
 * component-by-component walk with O_NOFOLLOW|O_PATH. */
#ifndef BERTH_PATHSAFE_H
#define BERTH_PATHSAFE_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* Opens `path` inside the tree rooted at `rootfd` with open(2) `flags`
 * (O_CLOEXEC is always added; O_CREAT is not allowed; O_NOFOLLOW applies to
 * the last component only). Returns the fd, or -1 with errno set and no
 * error object, so that callers can treat ENOENT as they see fit. */
int pathsafe_openat(int rootfd, const char *path, int flags);

enum pathsafe_kind { PATHSAFE_DIR, PATHSAFE_FILE };

/* Like pathsafe_openat(rootfd, path, O_PATH) but creates what is missing
 * inside the root: directories (0755) for the leading components, and the
 * last one as a directory or an empty file (0644) per `kind`. An existing
 * last component is accepted whatever its type. Returns an O_PATH fd. */
int pathsafe_mkpath(int rootfd, const char *path, enum pathsafe_kind kind, struct berr **err);

/* pathsafe_mkpath for a path none of whose components is a symlink (the usual mount
 * destination), so that the path as written (lexically cleaned) is the path resolved: creates
 * the last component when only it is missing. -1 with errno set and nothing to undo
 * otherwise (ELOOP: a symlink, or no openat2 to tell; ENOENT: more is missing), when the
 * caller takes pathsafe_mkpath. Returns an O_PATH fd. */
int pathsafe_mkpath_plain(int rootfd, const char *path, enum pathsafe_kind kind);

/* Opens the parent directory of `path` inside the root (O_PATH|O_DIRECTORY),
 * creating it when `create`, and stores a malloc'ed copy of the last
 * component in *name (never "", "." or ".."). Returns the fd. */
int pathsafe_open_parent(int rootfd, const char *path, bool create, char **name,
                         struct berr **err);

/* Opens a bind mount's source, a path from the config: absolute, or relative to
 * `basefd` (the bundle; AT_FDCWD: the cwd). A source that lies inside `rootfs`
 * (lexically, after "." and ".." are cleaned) is the image's: it is resolved
 * inside the rootfs like any container path, so the image's symlinks cannot lead
 * it to the host. Any other source is the host's own, followed as given.
 * `rootfs` NULL: no rootfs to check against. -1 with errno, as pathsafe_openat. */
int pathsafe_open_source(int basefd, const char *rootfs, const char *src, int flags);

/* The lexically cleaned form of an absolute path: no ".", "..", "//" ("/" at least). */
void pathsafe_clean_path(const char *in, char *out, size_t outlen);

/* "/proc/self/fd/N": the path that mount(2) and friends take for an fd. */
#define PATHSAFE_FDPATH_MAX 32
const char *pathsafe_fdpath(int fd, char buf[PATHSAFE_FDPATH_MAX]);

/* For tests: force the fallback walk used when openat2(2) returns ENOSYS. */
void pathsafe_force_fallback(bool on);

#endif
