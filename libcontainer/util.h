/* Small file and process helpers shared by the whole library. */
#ifndef BERTH_UTIL_H
#define BERTH_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "error.h"

/* The most berth reads of any one input (config.json, --process, --resources, state.json,
 * stdin, a /proc file): /dev/zero or a runaway pipe fails with EFBIG instead of eating memory. */
#define INPUT_MAX ((size_t)32 << 20)
/* Reads a whole file (at dirfd/path; dirfd AT_FDCWD for plain paths), at most INPUT_MAX bytes
 * (EFBIG beyond). *out is NUL-terminated. */
int read_file_at(int dirfd, const char *path, char **out, size_t *len, struct berr **err);
/* Writes `len` bytes to an existing file (e.g. a /proc or /sys file). */
/* read_file_at() of an open fd (a pipe, stdin); `what` names it in errors. */
int read_fd_all(int fd, const char *what, char **out, size_t *len, struct berr **err);
int write_file_at(int dirfd, const char *path, const char *data, size_t len, struct berr **err);
/* Writes via a temp file + fsync-free rename, so readers see old or new content, never half. */
/* --pid-file: writes pid to path (relative to the cwd) atomically, so a reader never sees a
 * partial pid: a new name gets an unnamed file (O_TMPFILE) linked in, so that a kill leaves no
 * temporary file; an existing one (a symlink there is replaced, not followed), or a filesystem
 * without O_TMPFILE, a temporary file renamed over it. Errors name --pid-file. */
int pid_file_write(const char *path, pid_t pid, struct berr **err);
int write_file_atomic_at(int dirfd, const char *name, const char *data, size_t len, mode_t mode,
                         struct berr **err);
int write_all(int fd, const void *buf, size_t len);

/* Field 22 of /proc/PID/stat: the start time in clock ticks since boot; 0 if the
 * process does not exist. *zombie tells whether it has exited but is not reaped. */
unsigned long long proc_start_time(pid_t pid, bool *zombie);
/* True when pid is alive (not a zombie) and started at start_time. */
bool proc_is_same(pid_t pid, unsigned long long start_time);

/* Current time as RFC 3339 with nanoseconds, UTC ("2026-11-22T05:48:59.123456789Z"). */
char *rfc3339_now(void);
/* ts (CLOCK_REALTIME) as "2006-01-02T15:04:05.123456789Z", without reading any time zone. */
void rfc3339_format(const struct timespec *ts, char *buf, size_t len);

/* Removes a directory tree below dirfd/name without following symlinks. */
int remove_tree_at(int dirfd, const char *name, struct berr **err);

/* pidfd_open / pidfd_send_signal wrappers; -1 with errno on failure. */
int pidfd_open_pid(pid_t pid);
int pidfd_signal(int pidfd, int sig);
/* Waits for the process behind pidfd to exit, at most timeout_ms (-1 forever).
 * Returns 1 when it exited, 0 on timeout, -1 on error. */
int pidfd_wait_exit(int pidfd, int timeout_ms);

/* clone3(flags | CLONE_INTO_CGROUP) with SIGCHLD as exit signal (with CLONE_PARENT: the
 * caller's, as clone3 wants it): the child starts in the cgroup
 * v2 directory cgroup_fd (an O_PATH fd will do), without the cgroup.procs write whose migration
 * takes the kernel's cgroup threadgroup lock for writing (an RCU grace period, milliseconds).
 * Returns like fork(); -1 with errno when the kernel refuses (the caller falls back). */
pid_t clone_into_cgroup(uint64_t flags, int cgroup_fd);

/* Marks every fd >= from close-on-exec (close_range with a /proc/self/fd fallback). */
int fds_cloexec_from(int from);



/* Sends fd over a unix socket with SCM_RIGHTS, with `len` bytes of data (at least one byte is sent). */
int send_fd(int sock, int fd, const void *data, size_t len, struct berr **err);
/* Receives one fd sent by send_fd (close-on-exec); flags go to recvmsg (MSG_DONTWAIT:
 * code EAGAIN when nothing was sent). Code EPIPE when every sender closed the socket
 * without sending. The data sent along is dropped. */
int recv_fd(int sock, int flags, int *out, struct berr **err);
/* Connects a unix stream socket to path. */
int unix_connect(const char *path, int *out, struct berr **err);
/* Undoes /proc/self/mountinfo's octal escapes (\040 for a space) in place. */
void mountinfo_unescape(char *s);

#endif
