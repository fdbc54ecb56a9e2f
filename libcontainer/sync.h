/* The handshake between `create` (the runtime, parent) and the container
 * process, over one SOCK_SEQPACKET socketpair. One message per datagram:
 * a header with explicit type, code and payload length, then the payload.
 *
 *   stage1 -> parent   SYNC_USERNS_READY     after unshare(CLONE_NEWUSER); payload: nothing
 *   parent -> stage1   SYNC_USERNS_MAPPED    uid_map/gid_map written
 *   stage1 -> parent   SYNC_INIT_PID         code: the init's pid (parent's pid namespace); exec:
 *                                            payload 1 byte, 1 when cloned into the cgroup
 *   parent -> init     SYNC_GO               init placed (cgroup); code: its pid as the runtime sees it
 *   init   -> parent   SYNC_RUNTIME_HOOKS    mounts done: apply the device rules, run prestart +
 *                                         createRuntime hooks (sent when there is any hook to run)
 *   parent -> init     SYNC_HOOKS_DONE
 *   init   -> parent   SYNC_READY            about to park on the exec fifo
 *   parent -> init     SYNC_READY_ACK        state.json written; init closes its end and parks
 *   any    -> parent   SYNC_LOG              code = log level, payload = message
 *   any    -> parent   SYNC_ERROR            code = errno, payload = message, and the error's
 *                                            exit_status (127/126 for the executable); the sender exits
 *   init   -> parent   SYNC_ROOT_MOUNT       code: the mount id of the rootfs's bind onto itself in a
 *                                            mount namespace not the container's own (rootmount.h),
 *                                            still detached (open_tree)
 *   parent -> init     SYNC_ROOT_MOUNT_RECORDED  that id is in state.json: the init may attach it
 */
#ifndef BERTH_SYNC_H
#define BERTH_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

enum sync_type {
  SYNC_USERNS_READY = 1,
  SYNC_USERNS_MAPPED,
  SYNC_INIT_PID,
  SYNC_GO,
  SYNC_RUNTIME_HOOKS,
  SYNC_HOOKS_DONE,
  SYNC_READY,
  SYNC_READY_ACK,
  SYNC_LOG,
  SYNC_ERROR,
  SYNC_ROOT_MOUNT,
  SYNC_ROOT_MOUNT_RECORDED,
};

struct sync_msg {
  enum sync_type type;
  int32_t code;
  int32_t exit_status; /* SYNC_ERROR only */
  size_t len;
  char *data; /* NUL-terminated copy of the payload (malloc'ed), NULL when len == 0 */
};

const char *sync_type_name(enum sync_type t);
int sync_send(int fd, enum sync_type type, int32_t code, const void *data, size_t len,
              struct berr **err);
/* Receives the next message. A closed peer is an error with code EPIPE. */
int sync_recv(int fd, struct sync_msg *msg, struct berr **err);
void sync_msg_clear(struct sync_msg *msg);
/* Receives until a message of `type`, logging SYNC_LOG messages on the way; a
 * SYNC_ERROR becomes *err (with the peer's errno). */
int sync_expect(int fd, enum sync_type type, struct sync_msg *msg, struct berr **err);
/* Child side: reports err (or a plain message) as SYNC_ERROR. */
void sync_send_error(int fd, const struct berr *e);
/* Runtime side: a received SYNC_ERROR as *err (errno and exit_status kept); returns -1. */
int sync_msg_to_error(const struct sync_msg *m, struct berr **err);

#endif
