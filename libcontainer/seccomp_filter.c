/* linux.seccomp: build the BPF program with libseccomp in the runtime, load it
 * with the raw seccomp(2) syscall in the container init, hand the notify fd to
 * the listenerPath agent. */
#include "seccomp_filter.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "seccomp_enosys.h"
#include "util.h"
#include "json.h"
#include "log.h"

#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

#define ACT_ERRNO_BASE 0x00050000U
#define ACT_TRACE_BASE 0x7ff00000U
#define ACT_DATA_MASK 0x0000ffffU

struct seccomp_program {
  struct sock_filter *insns;
  size_t len;
  unsigned int flags; /* SECCOMP_FILTER_FLAG_* from linux.seccomp.flags */
  bool notify;        /* some rule is SCMP_ACT_NOTIFY */
};

static void ctx_release(scmp_filter_ctx *ctx) {
  if (*ctx != NULL)
    seccomp_release(*ctx);
}
#define cleanup_scmp __attribute__((cleanup(ctx_release)))

/* The final libseccomp action: errnoRet folded into ERRNO/TRACE (EPERM when
 * absent), an error when errnoRet is given for an action without one. */
static int fold_action(uint32_t action, bool has_ret, uint32_t ret, uint32_t *out,
                       const char *field, struct berr **err) {
  uint32_t base = action & ~ACT_DATA_MASK;
  if (base == ACT_ERRNO_BASE || base == ACT_TRACE_BASE) {
    uint32_t data = action & ACT_DATA_MASK;
    if (has_ret)
      data = ret;
    else if (data == 0)
      data = EPERM;
    if (data > ACT_DATA_MASK)
      return berr_set(err, EINVAL, "%s: errnoRet %u out of range", field, data);
    *out = base | data;
    return 0;
  }
  if (has_ret)
    return berr_set(err, EINVAL,
                    "%s: errnoRet is only valid with SCMP_ACT_ERRNO and SCMP_ACT_TRACE", field);
  *out = action;
  return 0;
}

static int add_archs(scmp_filter_ctx ctx, const struct spec_seccomp *sc, struct berr **err) {
  for (size_t i = 0; i < sc->architectures_len; i++) {
    int rc = seccomp_arch_add(ctx, sc->architectures[i]);
    if (rc < 0 && rc != -EEXIST)
      return berr_set(err, -rc, "linux.seccomp.architectures[%zu]: add architecture %#x", i,
                      sc->architectures[i]);
  }
  return 0;
}

/* Adds the rule for one syscall number. Several conditions on the same
 * argument cannot share a rule in libseccomp: they become one rule each. */
static int add_rule(scmp_filter_ctx ctx, uint32_t act, int nr, const struct scmp_arg_cmp *conds,
                    size_t n, bool split) {
  if (!split)
    return seccomp_rule_add_array(ctx, act, nr, (unsigned int)n, n ? conds : NULL);
  for (size_t k = 0; k < n; k++) {
    int rc = seccomp_rule_add_array(ctx, act, nr, 1, &conds[k]);
    if (rc < 0)
      return rc;
  }
  return 0;
}

static int add_syscall(scmp_filter_ctx ctx, const struct spec_seccomp_syscall *s, size_t i,
                       uint32_t def_act, bool *notify, struct berr **err) {
  char field[64];
  snprintf(field, sizeof(field), "linux.seccomp.syscalls[%zu]", i);
  uint32_t act = 0;
  if (fold_action(s->action, s->has_errno_ret, s->errno_ret, &act, field, err) < 0)
    return -1;
  if (act == def_act) {
    log_debug("%s: action equals the default action, skipped", field);
    return 0;
  }
  if (s->args_len > 6)
    return berr_set(err, EINVAL, "%s.args: at most 6 arguments", field);
  struct scmp_arg_cmp conds[6];
  unsigned int seen = 0;
  bool split = false;
  for (size_t k = 0; k < s->args_len; k++) {
    const struct spec_seccomp_arg *a = &s->args[k];
    if (a->index > 5)
      return berr_set(err, EINVAL, "%s.args[%zu].index: %u is not in 0..5", field, k, a->index);
    if (a->op <= _SCMP_CMP_MIN || a->op >= _SCMP_CMP_MAX)
      return berr_set(err, EINVAL, "%s.args[%zu].op: unknown operator %d", field, k, a->op);
    if (seen & (1U << a->index))
      split = true;
    seen |= 1U << a->index;
    conds[k] = (struct scmp_arg_cmp){.arg = a->index,
                                     .op = (enum scmp_compare)a->op,
                                     .datum_a = a->value,
                                     .datum_b = a->value_two};
  }
  for (size_t j = 0; j < s->names.len && s->names.items && s->names.items[j]; j++) {
    const char *name = s->names.items[j];
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR) {
      log_debug("%s: syscall \"%s\" unknown to libseccomp, skipped", field, name);
      continue;
    }
    int rc = add_rule(ctx, act, nr, conds, s->args_len, split);
    if (rc < 0)
      return berr_set(err, -rc, "%s: add rule for \"%s\" (action %#x)", field, name, act);
  }
  if (act == SCMP_ACT_NOTIFY)
    *notify = true;
  return 0;
}

/* seccomp_export_bpf_mem() arrived in libseccomp 2.6; 2.5 exports to an fd. */
static int export_bpf(scmp_filter_ctx ctx, struct seccomp_program *prog, struct berr **err) {
  cleanup_close int fd = memfd_create("berth-seccomp-bpf", MFD_CLOEXEC);
  if (fd < 0)
    return berr_errno(err, "linux.seccomp: memfd_create");
  int rc = seccomp_export_bpf(ctx, fd);
  if (rc < 0)
    return berr_set(err, -rc, "linux.seccomp: export the BPF program");
  struct stat st;
  if (fstat(fd, &st) < 0)
    return berr_errno(err, "linux.seccomp: stat the BPF program");
  size_t size = (size_t)st.st_size;
  if (size == 0 || size % sizeof(struct sock_filter) != 0 ||
      size / sizeof(struct sock_filter) > BPF_MAXINSNS)
    return berr_set(err, EINVAL,
                    "linux.seccomp: BPF program of %zu bytes (at most %d "
                    "instructions are allowed)",
                    size, BPF_MAXINSNS);
  prog->insns = malloc(size);
  if (prog->insns == NULL)
    return berr_errno(err, "linux.seccomp");
  for (size_t off = 0; off < size;) {
    ssize_t n = pread(fd, (char *)prog->insns + off, size - off, (off_t)off);
    if (n <= 0)
      return berr_set(err, n < 0 ? errno : EIO, "linux.seccomp: read the BPF program");
    off += (size_t)n;
  }
  prog->len = size / sizeof(struct sock_filter);
  return 0;
}

int seccomp_program_build(const struct spec_seccomp *sc, struct seccomp_program **out,
                          struct berr **err) {
  *out = NULL;
  if (sc == NULL)
    return 0;
  uint32_t def_act = 0;
  if (fold_action(sc->default_action, sc->has_default_errno_ret, sc->default_errno_ret, &def_act,
                  "linux.seccomp.defaultErrnoRet", err) < 0)
    return -1;
  if (def_act == SCMP_ACT_NOTIFY)
    return berr_set(err, EINVAL,
                    "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the "
                    "default action");
  cleanup_scmp scmp_filter_ctx ctx = seccomp_init(def_act);
  if (ctx == NULL)
    return berr_set(err, EINVAL, "linux.seccomp.defaultAction: libseccomp rejects action %#x",
                    def_act);
  /* no_new_privs is process.noNewPrivileges' business, not the filter's */
  int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
  if (rc < 0)
    return berr_set(err, -rc, "linux.seccomp: set filter attribute");
  if (add_archs(ctx, sc, err) < 0)
    return -1;

  struct seccomp_program *prog = calloc(1, sizeof(*prog));
  if (prog == NULL)
    return berr_errno(err, "linux.seccomp");
  cleanup_seccomp_program struct seccomp_program *guard = prog;
  prog->flags = sc->flags;
  for (size_t i = 0; i < sc->syscalls_len; i++)
    if (add_syscall(ctx, &sc->syscalls[i], i, def_act, &prog->notify, err) < 0)
      return -1;
  /* checked here, before anything connects to the path or loads the filter */
  if (prog->notify && sc->listener_path == NULL)
    return berr_code(err, EINVAL,
                    "linux.seccomp: SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath (the "
                    "seccomp agent's socket)");
  if (export_bpf(ctx, prog, err) < 0)
    return -1;
  if (seccomp_enosys_wanted(sc, def_act) &&
      seccomp_enosys_prepend(sc, &prog->insns, &prog->len, err) < 0)
    return -1;
  log_debug("linux.seccomp: %zu BPF instructions, flags %#x%s", prog->len, prog->flags,
            prog->notify ? ", notify" : "");
  *out = steal_ptr(&guard);
  return 0;
}

/* Optional flags, in the order they are given up when the kernel says EINVAL. */
static const struct {
  unsigned int flag;
  const char *name;
} droppable[] = {
    {SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"},
    {SECCOMP_FILTER_FLAG_SPEC_ALLOW, "SECCOMP_FILTER_FLAG_SPEC_ALLOW"},
    {SECCOMP_FILTER_FLAG_LOG, "SECCOMP_FILTER_FLAG_LOG"},
    {SECCOMP_FILTER_FLAG_TSYNC_ESRCH, "SECCOMP_FILTER_FLAG_TSYNC_ESRCH"},
    {SECCOMP_FILTER_FLAG_TSYNC, "SECCOMP_FILTER_FLAG_TSYNC"},
};

int seccomp_program_load(const struct seccomp_program *prog, int *listener_fd, struct berr **err) {
  if (listener_fd != NULL)
    *listener_fd = -1;
  if (prog == NULL)
    return 0;
  struct sock_fprog fprog = {.len = (unsigned short)prog->len, .filter = prog->insns};
  unsigned int flags = prog->flags;
  if (prog->notify) {
    flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    /* TSYNC and NEW_LISTENER both want the return value: ESRCH settles it */
    if (flags & SECCOMP_FILTER_FLAG_TSYNC)
      flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
  } else {
    flags &= ~(unsigned int)SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV; /* needs a listener */
  }
  for (;;) {
    long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fprog);
    if (rc >= 0) {
      if (prog->notify && listener_fd != NULL)
        *listener_fd = (int)rc;
      else if (prog->notify)
        close((int)rc);
      return 0;
    }
    if (errno == EINVAL) {
      size_t k = 0;
      while (k < sizeof(droppable) / sizeof(droppable[0]) && !(flags & droppable[k].flag))
        k++;
      if (k < sizeof(droppable) / sizeof(droppable[0])) {
        log_debug("linux.seccomp.flags: the kernel rejects the filter with %s, retrying "
                  "without it",
                  droppable[k].name);
        flags &= ~droppable[k].flag;
        continue;
      }
    }
    if (errno == EACCES)
      return berr_errno(err, "linux.seccomp: load the filter (needs process.noNewPrivileges "
                             "or CAP_SYS_ADMIN at load time)");
    return berr_errno(err, "linux.seccomp: load the filter (flags %#x)", flags);
  }
}

bool seccomp_program_needs_listener(const struct seccomp_program *prog) {
  return prog != NULL && prog->notify;
}

size_t seccomp_program_len(const struct seccomp_program *prog) { return prog ? prog->len : 0; }

void seccomp_program_free(struct seccomp_program *prog) {
  if (prog == NULL)
    return;
  free(prog->insns);
  free(prog);
}

void seccomp_program_cleanup(struct seccomp_program **prog) {
  seccomp_program_free(*prog);
  *prog = NULL;
}

/* ---- the seccomp agent ---- */

char *seccomp_process_state_json(const char *oci_version, pid_t pid, const char *metadata,
                                 const char *state_json) {
  cleanup_json json_node *state = NULL;
  cleanup_berr struct berr *perr = NULL;
  if (state_json == NULL || json_parse(state_json, strlen(state_json), &state, &perr) < 0 ||
      json_type_of(state) != JSON_OBJECT) {
    errno = EINVAL;
    return NULL;
  }
  cleanup_json_writer json_writer *w = json_writer_new(false);
  if (w == NULL)
    return NULL;
  jw_object_begin(w);
  jw_kv_string(w, "ociVersion", oci_version);
  jw_key(w, "fds");
  jw_array_begin(w);
  jw_string(w, "seccompFd");
  jw_array_end(w);
  jw_kv_int(w, "pid", pid);
  if (metadata != NULL)
    jw_kv_string(w, "metadata", metadata);
  jw_key(w, "state");
  jw_node(w, state);
  jw_object_end(w);
  const char *text = json_writer_text(w, NULL);
  if (text == NULL) {
    errno = EINVAL;
    return NULL;
  }
  return strdup(text);
}

int seccomp_send_listener(int sock, const char *process_state_json, int listener_fd,
                          struct berr **err) {
  if (send_fd(sock, listener_fd, process_state_json, strlen(process_state_json), err) < 0)
    return berr_prefix(err, "linux.seccomp.listenerPath");
  return 0;
}
