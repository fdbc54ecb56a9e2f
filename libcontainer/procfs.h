/* The procfs berth writes through (oom_score_adj, sysctls, setgroups, the LSM
 * attr files): a private handle that nothing can be mounted over, checked to
 * be a procfs, and lookups below it that cross no mount and follow no magic
 * link (CVE-2025-52881: writes redirected by mounts racing over /proc). */
#ifndef BERTH_PROCFS_H
#define BERTH_PROCFS_H

#include <stddef.h>

#include "error.h"

/* Opens the handle now, in the calling process's pid namespace, if it is not
 * open yet: a fresh procfs (fsopen), else a clone of /proc without its
 * submounts (open_tree), else /proc itself when it is a procfs. The init
 * calls it before it builds the rootfs; later callers get it on first use.
 * Returns 0, or -1 with errno (EXDEV: no procfs to be had). */
int proc_handle_prepare(void);

/* Opens <procfs>/<rel> (e.g. "self/oom_score_adj", "sys/kernel/shmmax") below
 * the handle: openat2(RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS),
 * so a file or directory mounted over any component fails with EXDEV instead of
 * taking the write, and the result is checked to be on procfs.
 * -1 with errno; EXDEV when no procfs could be had or something is mounted there. */
int proc_openat(const char *rel, int flags);
#define PROC_NOT_PROCFS "not procfs's own file (no procfs to be had, or something is mounted over it)"

/* Writes `len` bytes to <procfs>/<rel> opened with proc_openat (uid_map, setgroups,
 * timens_offsets); errors name "/proc/<rel>". */
int proc_write(const char *rel, const char *data, size_t len, struct berr **err);

/* The id of the mount fd is on (statx STATX_MNT_ID, as in /proc/self/mountinfo). */
int mnt_id_of(int fd, unsigned long long *id);

/* For tests: forget the handle (the next use opens a new one). */
void proc_handle_reset(void);

#endif
