/* CRIU, driven through its RPC: `criu swrk FD` on one end of a SOCK_SEQPACKET socketpair, one
 * criu_req / criu_resp (images/rpc.proto of CRIU, encoded by protobuf.c) per packet, the
 * notifications CRIU sends in between answered one by one. checkpoint.c and restore.c build
 * the requests; this file runs CRIU and turns its answers and failures into berrs. */
#ifndef BERTH_CRIU_H
#define BERTH_CRIU_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "protobuf.h"

/* criu_req_type */
enum { CRIU_DUMP = 1, CRIU_RESTORE = 2, CRIU_PRE_DUMP = 4, CRIU_NOTIFY = 6, CRIU_FEATURE_CHECK = 9,
       CRIU_VERSION = 10 };
/* criu_cg_mode */
enum { CRIU_CG_SOFT = 3, CRIU_CG_FULL = 4, CRIU_CG_STRICT = 5 };

/* criu_opts field numbers (rpc.proto) */
enum {
  CO_IMAGES_DIR_FD = 1, CO_PID = 2, CO_LEAVE_RUNNING = 3, CO_EXT_UNIX_SK = 4,
  CO_TCP_ESTABLISHED = 5, CO_EVASIVE_DEVICES = 6, CO_SHELL_JOB = 7, CO_FILE_LOCKS = 8,
  CO_LOG_LEVEL = 9, CO_LOG_FILE = 10, CO_PS = 11, CO_NOTIFY_SCRIPTS = 12, CO_ROOT = 13,
  CO_PARENT_IMG = 14, CO_TRACK_MEM = 15, CO_AUTO_DEDUP = 16, CO_WORK_DIR_FD = 17,
  CO_LINK_REMAP = 18, CO_EXT_MNT = 23, CO_MANAGE_CGROUPS = 24, CO_CG_ROOT = 25,
  CO_RST_SIBLING = 26, CO_INHERIT_FD = 27, CO_MANAGE_CGROUPS_MODE = 34, CO_EXTERNAL = 37,
  CO_EMPTY_NS = 38, CO_FREEZE_CGROUP = 44, CO_TCP_SKIP_IN_FLIGHT = 46, CO_LAZY_PAGES = 48,
  CO_STATUS_FD = 49, CO_ORPHAN_PTS_MASTER = 50,
};

/* The options of `checkpoint` and `restore` (runc's flags). */
struct criu_flags {
  const char *image_path;  /* NULL: ./checkpoint */
  const char *work_path;   /* NULL: the image directory */
  const char *parent_path; /* checkpoint: relative to the image directory, as CRIU takes it */
  const char *page_server; /* checkpoint: ADDR:PORT */
  bool leave_running, tcp_established, tcp_skip_in_flight, ext_unix_sk, shell_job, file_locks,
      pre_dump, lazy_pages, auto_dedup, link_remap;
  int manage_cgroups_mode; /* 0: CRIU's default, else CRIU_CG_* */
  uint32_t empty_ns;       /* CLONE_NEW* namespaces CRIU leaves empty (--empty-ns network) */
  int status_fd;           /* --status-fd, -1: none */
};

/* Writes the options every request shares (the flags above, log level, images and work
 * directory fds) into opts. */
void criu_common_opts(struct pb_buf *opts, const struct criu_flags *f, int images_fd, int work_fd,
                      const char *log_file);
void criu_ext_mnt(struct pb_buf *opts, const char *key, const char *val);
void criu_inherit_fd(struct pb_buf *opts, const char *key, int fd);
void criu_cg_root(struct pb_buf *opts, const char *ctrl, const char *path);

/* Refuses early, with what to do, when there is no `criu` in $PATH. `criu check` is run only
 * after a request failed (criu_run): when it fails too, its own message, naming the missing
 * kernel feature, is the error. */
int criu_available(struct berr **err);
/* CRIU's version ("3.17.1") from `criu --version`; NULL when there is no criu. */
char *criu_version(void);

/* A notification (criu_notify.script, .pid) and, for "orphan-pts-master", the fd CRIU sent
 * with it (-1 otherwise; the callback owns it). Return -1 to fail the request. */
typedef int (*criu_notify_fn)(void *arg, const char *script, pid_t pid, int fd,
                              struct berr **err);

struct criu_run {
  int type;                /* CRIU_DUMP, CRIU_PRE_DUMP, CRIU_RESTORE */
  const struct pb_buf *opts;
  const int *pass_fds;     /* fds CRIU inherits under their numbers (images, work, netns...) */
  size_t n_pass;
  bool null_stdio;         /* dump: CRIU's stdio is /dev/null; restore: berth's own */
  /* restore: root_src is bound (rbind) onto root_dst while CRIU runs, then detached: CRIU's
   * root must be a mount point (the rootfs is not always one). In berth's own mount namespace,
   * as runc does: CRIU resolves the request's fds through /proc/<berth>/fd, so it must see
   * berth's mounts (from another namespace, its work directory is a mount it cannot mount on) */
  const char *root_src, *root_dst;
  const char *cgroup_path; /* restore: CRIU is moved into this cgroup before the request */
  criu_notify_fn notify;
  void *arg;
  const char *log_path;    /* named in errors */
  pid_t restored_pid;      /* out: criu_restore_resp.pid */
};
/* Runs one request to its answer; on failure the error says what CRIU said (cr_errmsg, or
 * the last errors of its log) and names the log. */
int criu_run(struct criu_run *r, struct berr **err);

#endif
