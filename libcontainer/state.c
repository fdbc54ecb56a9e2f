#include "libc_compat.h"
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "json.h"
#include "log.h"
#include "resctrl.h"
#include "util.h"

const char *container_status_name(enum container_status s) {
  static const char *const names[] = {"creating", "created", "running", "stopped", "paused",
                                        "unknown"};
  return names[s];
}

int state_new(const struct spec *spec, const char *id, const char *bundle, const char *rootfs,
              struct container_state **out, struct berr **err) {
  cleanup_state struct container_state *st = calloc(1, sizeof(*st));
  if (st == NULL)
    return berr_set(err, ENOMEM, "state");
  st->oci_version = strdup(spec->oci_version);
  st->id = strdup(id);
  st->bundle = strdup(bundle);
  st->rootfs = strdup(rootfs);
  st->created = rfc3339_now();
  st->owner = strdup("");
  if (!st->oci_version || !st->id || !st->bundle || !st->rootfs || !st->created || !st->owner)
    return berr_set(err, ENOMEM, "state");
  st->has_poststart = spec->hooks.poststart.len > 0;
  st->has_poststop = spec->hooks.poststop.len > 0;
  st->creating = true;
  st->annotations = spec->annotations; /* borrowed; unset before free */
  st->annotations_len = spec->annotations_len;
  *out = steal_ptr(&st);
  return 0;
}

void container_state_free(struct container_state *st) {
  if (st == NULL)
    return;
  free(st->oci_version);
  free(st->id);
  free(st->bundle);
  free(st->rootfs);
  free(st->created);
  free(st->owner);
  free(st->root_mount_ns);
  free(st->cgroup_path);
  free(st->systemd_unit);
  free(st->resctrl_group);
  for (size_t i = 0; i < st->annotations_len; i++) {
    free(st->annotations[i].key);
    free(st->annotations[i].value);
  }
  free(st->annotations);
  free(st);
}

void container_state_cleanup(struct container_state **st) {
  container_state_free(*st);
  *st = NULL;
}

static bool id_char_ok(char c, bool first) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
    return true;
  return !first && (c == '_' || c == '.' || c == '+' || c == '-');
}

/* The id as an error message shows it: printable ASCII as is, other bytes as \xNN (a newline
 * or a terminal escape in an id never reaches the log raw), at most 64 bytes of it. */
static void id_for_message(const char *id, char out[300]) {
  size_t o = 0;
  for (size_t i = 0; id[i] && i < 64; i++)
    o += (unsigned char)id[i] >= 0x20 && (unsigned char)id[i] < 0x7f && id[i] != '"'
             ? (size_t)snprintf(out + o, 300 - o, "%c", id[i])
             : (size_t)snprintf(out + o, 300 - o, "\\x%02x", (unsigned char)id[i]);
  snprintf(out + o, 300 - o, "%s", strlen(id) > 64 ? "..." : "");
}

int container_id_validate(const char *id, struct berr **err) {
  size_t len = id ? strlen(id) : 0;
  if (len == 0)
    return berr_code(err, EINVAL, "container id: must not be empty");
  if (len > CONTAINER_ID_MAX)
    return berr_code(err, EINVAL, "container id: longer than %d bytes", CONTAINER_ID_MAX);
  for (size_t i = 0; i < len; i++)
    if (!id_char_ok(id[i], i == 0)) {
      char shown[300];
      id_for_message(id, shown);
      return berr_code(err, EINVAL,
                       "container id \"%s\": invalid, must match [A-Za-z0-9][A-Za-z0-9_.+-]*",
                       shown);
    }
  return 0;
}

uint64_t container_id_hash(const char *id) {
  uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a 64 */
  for (const char *p = id; *p; p++)
    h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
  return h;
}

void container_dir_name(const char *id, char out[CONTAINER_DIR_NAME_MAX]) {
  size_t len = strlen(id);
  if (len < CONTAINER_DIR_NAME_MAX) {
    memcpy(out, id, len + 1);
    return;
  }
  snprintf(out, CONTAINER_DIR_NAME_MAX, "_%.200s-%016" PRIx64, id, container_id_hash(id));
}

static int mkdir_p(const char *path, mode_t mode) {
  if (mkdir(path, mode) == 0 || errno == EEXIST)
    return 0;
  if (errno != ENOENT)
    return -1;
  cleanup_free char *parent = strdup(path);
  if (parent == NULL)
    return -1;
  char *slash = strrchr(parent, '/');
  if (slash == NULL || slash == parent)
    return -1;
  *slash = '\0';
  if (mkdir_p(parent, 0755) < 0)
    return -1;
  return (mkdir(path, mode) == 0 || errno == EEXIST) ? 0 : -1;
}

int state_root_open(const char *root, int *rootfd, struct berr **err) {
  cleanup_close int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    if (mkdir_p(root, 0700) < 0)
      return berr_errno(err, "create state root %s", root);
    fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  }
  if (fd < 0)
    return berr_errno(err, "open state root %s", root);
  /* whoever can write the root can plant a hostile <id>/state.json */
  struct stat st;
  if (fstat(fd, &st) < 0)
    return berr_errno(err, "stat state root %s", root);
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) || st.st_uid != geteuid())
    return berr_code(err, EPERM,
                     "state root %s: writable by group or others, or not owned by us: refusing "
                     "it (chmod go-w, or another --root)", root);
  *rootfd = steal_fd(&fd);
  return 0;
}

static int lock_dir(int fd, const char *id, struct berr **err) {
  while (flock(fd, LOCK_EX) < 0)
    if (errno != EINTR)
      return berr_errno(err, "lock container %s", id);
  return 0;
}

/* The directory appears under its id already locked: it is made under a hidden name, locked,
 * then renamed into place (RENAME_NOREPLACE keeps create exclusive). Otherwise a concurrent
 * `delete --force` could lock it first, find no state.json, remove it, and leave the create
 * going on in a deleted directory with nobody able to find its container. */
void state_root_sweep(int rootfd) {
  cleanup_close int fd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  cleanup_dir DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
  if (d != NULL)
    fd = -1; /* the DIR owns it */
  for (struct dirent *de; d && (de = readdir(d)) != NULL;) {
    char *end = NULL;
    if (strncmp(de->d_name, ".creating-", 10) != 0)
      continue;
    long pid = strtol(de->d_name + 10, &end, 10);
    if (end == de->d_name + 10 || *end != '\0' || pid <= 0 || pid == getpid() ||
        (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
      continue;
    cleanup_close int dfd = openat(rootfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                                                           O_CLOEXEC);
    if (dfd < 0 || flock(dfd, LOCK_EX | LOCK_NB) < 0)
      continue;
    cleanup_berr struct berr *e = NULL;
    if (remove_tree_at(rootfd, de->d_name, &e) < 0)
      log_debug("state root: %s: %s", de->d_name, berr_message(&e));
  }
}

static int remove_stale_own(int rootfd, const char *name) {
  cleanup_close int fd = openat(rootfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
    errno = EEXIST;
    return -1;
  }
  cleanup_berr struct berr *e = NULL;
  if (remove_tree_at(rootfd, name, &e) < 0) {
    errno = berr_errcode(&e) ? berr_errcode(&e) : EEXIST;
    return -1;
  }
  return 0;
}

int state_dir_create(int rootfd, const char *id, int *dirfd, struct berr **err) {
  char tmp[64];
  snprintf(tmp, sizeof(tmp), ".creating-%d", (int)getpid());
  /* list and delete sweep the leftovers of killed creates; a create removes only one that
   * holds its own name (a reused pid, its create dead: nobody holds the lock): a readdir of
   * the root per create costs with many containers parked */
  if (mkdirat(rootfd, tmp, 0700) < 0 && (errno != EEXIST || remove_stale_own(rootfd, tmp) < 0 ||
                                         mkdirat(rootfd, tmp, 0700) < 0))
    return berr_errno(err, "create state directory for %s", id);
  cleanup_close int fd = openat(rootfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 || lock_dir(fd, id, err) < 0) {
    int e = errno;
    unlinkat(rootfd, tmp, AT_REMOVEDIR);
    return berr_set(err, e, "open state directory for %s", id);
  }
  char name[CONTAINER_DIR_NAME_MAX];
  container_dir_name(id, name);
  if (renameat2(rootfd, tmp, rootfd, name, RENAME_NOREPLACE) < 0) {
    int e = errno;
    unlinkat(rootfd, tmp, AT_REMOVEDIR);
    if (e == EEXIST)
      return berr_code(err, EEXIST, "container \"%s\" already exists", id);
    return berr_set(err, e, "create state directory for %s", id);
  }
  *dirfd = steal_fd(&fd);
  return 0;
}

/* Readers (state, list, exec's look-up) do not lock: state.json is replaced atomically, so they
 * see the old or the new one, and they never wait behind a create that runs slow hooks. */
int state_dir_open_unlocked(int rootfd, const char *id, int *dirfd, struct berr **err) {
  if (container_id_validate(id, err) < 0)
    return -1;
  char name[CONTAINER_DIR_NAME_MAX];
  container_dir_name(id, name);
  *dirfd = openat(rootfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (*dirfd >= 0)
    return 0;
  if (errno == ENOENT)
    return berr_code(err, ENOENT, "container \"%s\" does not exist", id);
  return berr_errno(err, "open state directory for %s", id);
}

int state_dir_open(int rootfd, const char *id, int *dirfd, struct berr **err) {
  cleanup_close int fd = -1;
  if (state_dir_open_unlocked(rootfd, id, &fd, err) < 0 || lock_dir(fd, id, err) < 0)
    return -1;
  /* deleted while we waited for the lock? */
  struct stat st;
  if (fstat(fd, &st) < 0 || st.st_nlink == 0)
    return berr_code(err, ENOENT, "container \"%s\" does not exist", id);
  *dirfd = steal_fd(&fd);
  return 0;
}

int state_dir_remove(int rootfd, const char *id, struct berr **err) {
  char name[CONTAINER_DIR_NAME_MAX];
  container_dir_name(id, name);
  return remove_tree_at(rootfd, name, err);
}

int state_dir_id(int rootfd, const char *name, char **id) {
  *id = NULL;
  if (name[0] != '_')
    return (*id = strdup(name)) ? 0 : -1;
  /* a long id's directory: the id is in its state.json, and must map back to the name */
  cleanup_close int fd = openat(rootfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  cleanup_free char *text = NULL;
  size_t len;
  cleanup_json json_node *root = NULL;
  if (fd < 0 || read_file_at(fd, STATE_FILE, &text, &len, NULL) < 0 ||
      json_parse(text, len, &root, NULL) < 0)
    return -1;
  const json_node *n = json_get(root, "id");
  const char *s = n ? json_string(n) : NULL;
  char back[CONTAINER_DIR_NAME_MAX];
  if (s == NULL || container_id_validate(s, NULL) < 0)
    return -1;
  container_dir_name(s, back);
  if (strcmp(back, name) != 0)
    return -1;
  return (*id = strdup(s)) ? 0 : -1;
}

void state_json_annotations(json_writer *w, const struct container_state *st) {
  jw_key(w, "annotations");
  jw_object_begin(w);
  for (size_t i = 0; i < st->annotations_len; i++)
    jw_kv_string(w, st->annotations[i].key, st->annotations[i].value);
  jw_object_end(w);
}

int state_write(int dirfd, const struct container_state *st, struct berr **err) {
  cleanup_json_writer json_writer *w = json_writer_new(false);
  if (w == NULL)
    return berr_set(err, ENOMEM, "write state");
  jw_object_begin(w);
  jw_kv_string(w, "ociVersion", st->oci_version);
  jw_kv_string(w, "id", st->id);
  jw_kv_int(w, "pid", st->pid);
  jw_kv_uint(w, "startTime", st->start_time);
  jw_kv_string(w, "bundle", st->bundle);
  jw_kv_string(w, "rootfs", st->rootfs);
  jw_kv_string(w, "created", st->created);
  jw_kv_string(w, "owner", st->owner);
  if (st->cgroup_path)
    jw_kv_string(w, "cgroupPath", st->cgroup_path);
  if (st->systemd_unit)
    jw_kv_string(w, "systemdUnit", st->systemd_unit);
  if (st->resctrl_group) {
    jw_kv_string(w, "resctrlGroup", st->resctrl_group);
    jw_kv_bool(w, "resctrlCreated", st->resctrl_created);
    jw_kv_bool(w, "resctrlMonGroup", st->resctrl_mon);
  }
  jw_kv_bool(w, "poststartHooks", st->has_poststart);
  jw_kv_bool(w, "poststopHooks", st->has_poststop);
  if (st->root_mount_id) {
    jw_kv_uint(w, "rootMountId", st->root_mount_id);
    if (st->root_mount_ns) {
      jw_kv_string(w, "rootMountNs", st->root_mount_ns);
      jw_kv_uint(w, "rootMountNsIno", st->root_mount_ns_ino);
    }
  }
  if (st->creating)
    jw_kv_bool(w, "creating", true);
  state_json_annotations(w, st);
  jw_object_end(w);
  size_t len = 0;
  const char *text = json_writer_text(w, &len);
  if (text == NULL)
    return berr_code(err, EINVAL, "write state: json generation failed");
  return write_file_atomic_at(dirfd, STATE_FILE, text, len, 0600, err);
}

static char *dup_string(const json_node *root, const char *key) {
  const json_node *n = json_get(root, key);
  return (n && json_type_of(n) == JSON_STRING) ? strdup(json_string(n)) : NULL;
}

static bool get_bool_or_true(const json_node *root, const char *key) {
  const json_node *n = json_get(root, key);
  return n == NULL || json_type_of(n) != JSON_BOOL || json_bool(n);
}

static bool get_bool(const json_node *root, const char *key) {
  const json_node *n = json_get(root, key);
  return n && json_type_of(n) == JSON_BOOL && json_bool(n);
}

static int read_annotations(const json_node *root, struct container_state *st) {
  const json_node *a = json_get(root, "annotations");
  size_t n = a ? json_object_len(a) : 0;
  if (n == 0)
    return 0;
  st->annotations = calloc(n, sizeof(*st->annotations));
  if (st->annotations == NULL)
    return -1;
  for (size_t i = 0; i < n; i++) {
    const json_node *v = json_object_value(a, i);
    if (json_type_of(v) != JSON_STRING)
      continue;
    struct spec_key_value *kv = &st->annotations[st->annotations_len++];
    kv->key = strdup(json_object_key(a, i));
    kv->value = strdup(json_string(v));
  }
  return 0;
}

/* A stored unit is one berth started: a scope or slice whose cgroup is the stored path, so a
 * state.json cannot make delete stop an unrelated unit. */
static bool unit_matches_cgroup(const struct container_state *st) {
  const char *u = st->systemd_unit, *p = st->cgroup_path;
  size_t ul = strlen(u), pl = p ? strlen(p) : 0;
  if (ul <= 6 || (strcmp(u + ul - 6, ".scope") != 0 && strcmp(u + ul - 6, ".slice") != 0) ||
      strchr(u, '/') || pl <= ul || p[pl - ul - 1] != '/')
    return false;
  return strcmp(p + pl - ul, u) == 0;
}

int state_parse(const char *text, size_t len, const char *id, struct container_state **out,
                struct berr **err) {
  cleanup_json json_node *root = NULL;
  if (json_parse(text, len, &root, err) < 0)
    return berr_prefix(err, "container \"%s\": corrupt %s", id, STATE_FILE);
  cleanup_state struct container_state *st = calloc(1, sizeof(*st));
  if (st == NULL)
    return berr_set(err, ENOMEM, "read state");
  st->oci_version = dup_string(root, "ociVersion");
  st->id = dup_string(root, "id");
  st->bundle = dup_string(root, "bundle");
  st->rootfs = dup_string(root, "rootfs");
  st->created = dup_string(root, "created");
  st->owner = dup_string(root, "owner");
  st->cgroup_path = dup_string(root, "cgroupPath");
  st->systemd_unit = dup_string(root, "systemdUnit");
  if (st->systemd_unit && !unit_matches_cgroup(st))
    return berr_code(err, EINVAL, "container \"%s\": corrupt %s: systemdUnit \"%s\" is not the "
                     "last component of cgroupPath", id, STATE_FILE, st->systemd_unit);
  st->resctrl_group = dup_string(root, "resctrlGroup");
  if (st->resctrl_group && !resctrl_group_name_ok(st->resctrl_group))
    return berr_code(err, EINVAL, "container \"%s\": corrupt %s: resctrlGroup \"%s\"", id,
                     STATE_FILE, st->resctrl_group);
  st->resctrl_created = get_bool(root, "resctrlCreated");
  st->resctrl_mon = get_bool(root, "resctrlMonGroup");
  st->has_poststart = get_bool_or_true(root, "poststartHooks");
  st->has_poststop = get_bool_or_true(root, "poststopHooks");
  st->creating = get_bool(root, "creating");
  const json_node *rm = json_get(root, "rootMountId");
  if (rm && (json_type_of(rm) != JSON_NUMBER || json_uint64(rm, &st->root_mount_id) < 0))
    return berr_code(err, EINVAL, "container \"%s\": corrupt %s: rootMountId", id, STATE_FILE);
  st->root_mount_ns = dup_string(root, "rootMountNs");
  const json_node *ri = json_get(root, "rootMountNsIno");
  if (ri && (json_type_of(ri) != JSON_NUMBER || json_uint64(ri, &st->root_mount_ns_ino) < 0))
    return berr_code(err, EINVAL, "container \"%s\": corrupt %s: rootMountNsIno", id,
                     STATE_FILE);
  const json_node *pid = json_get(root, "pid");
  const json_node *start = json_get(root, "startTime");
  int64_t pidv = 0;
  uint64_t startv = 0;
  if (!pid || json_type_of(pid) != JSON_NUMBER || json_int64(pid, &pidv) < 0 || pidv < 0 ||
      pidv > (1 << 22) || !start || json_type_of(start) != JSON_NUMBER ||
      json_uint64(start, &startv) < 0 || st->id == NULL || strcmp(st->id, id) != 0)
    return berr_code(err, EINVAL, "container \"%s\": corrupt %s", id, STATE_FILE);
  st->pid = (pid_t)pidv;
  st->start_time = startv;
  if (read_annotations(root, st) < 0)
    return berr_set(err, ENOMEM, "read state");
  *out = steal_ptr(&st);
  return 0;
}

/* state.json's text: one read() does it (the file is ours, regular and small: a short read is
 * its end), no fstat and no read of the end; a larger one is read on until the end. */
static int read_state_text(int dirfd, const char *path, char **out, size_t *len,
                           struct berr **err) {
  /* non-blocking: a fifo put there must not hang state, list or delete */
  cleanup_close int fd = openat(dirfd, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return berr_errno(err, "open %s", STATE_FILE);
  struct stat sb;
  if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || (size_t)sb.st_size > INPUT_MAX)
    return berr_code(err, EINVAL, "%s: not a regular file of at most %zu MiB", STATE_FILE,
                     INPUT_MAX >> 20);
  size_t cap = 8192, used = 0;
  cleanup_free char *buf = malloc(cap);
  if (buf == NULL)
    return berr_set(err, ENOMEM, "read %s", STATE_FILE);
  for (;;) {
    ssize_t r = read(fd, buf + used, cap - used - 1);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      return berr_errno(err, "read %s", STATE_FILE);
    used += r;
    if (r == 0 || used + 1 < cap)
      break; /* a short read: the end */
    char *n = realloc(buf, cap * 2);
    if (n == NULL)
      return berr_set(err, ENOMEM, "read %s", STATE_FILE);
    buf = n;
    cap *= 2;
  }
  buf[used] = '\0';
  *len = used;
  *out = steal_ptr(&buf);
  return 0;
}

static int state_read_path(int dirfd, const char *path, const char *id,
                           struct container_state **out, struct berr **err) {
  cleanup_free char *text = NULL;
  size_t len = 0;
  if (read_state_text(dirfd, path, &text, &len, err) < 0) {
    if (berr_errcode(err) == ENOENT) {
      berr_cleanup(err);
      return berr_code(err, ENOENT, "container \"%s\" is being created or was half-created", id);
    }
    return berr_prefix(err, "container \"%s\"", id);
  }
  return state_parse(text, len, id, out, err);
}

int state_read(int dirfd, const char *id, struct container_state **out, struct berr **err) {
  return state_read_path(dirfd, STATE_FILE, id, out, err);
}

int state_read_in_root(int rootfd, const char *id, struct container_state **out,
                       struct berr **err) {
  char name[CONTAINER_DIR_NAME_MAX], path[CONTAINER_DIR_NAME_MAX + sizeof(STATE_FILE) + 1];
  if (container_id_validate(id, err) < 0)
    return -1;
  container_dir_name(id, name);
  snprintf(path, sizeof(path), "%s/%s", name, STATE_FILE);
  return state_read_path(rootfd, path, id, out, err);
}

/* berth gives the init a new mount namespace unless the config shares one (rootmount.h: then
 * state.json has rootMountId), so a pid in our own mount namespace is a host process. */
static bool in_our_mount_ns(pid_t pid) {
  /* readlink, not stat: the link's text ("mnt:[4026531841]", the namespace's inode number,
   * unique on the host) is made up without the nsfs inode and dentry a stat looks up or
   * allocates (1000 containers: 8 ms of stat, 5.5 of readlink) */
  char path[64], theirs[64];
  static char ours[64]; /* once per process: `list` asks for every container */
  snprintf(path, sizeof(path), "/proc/%d/ns/mnt", pid);
  ssize_t n = readlink(path, theirs, sizeof(theirs) - 1);
  if (n >= 0 && ours[0] == '\0') {
    ssize_t m = readlink("/proc/self/ns/mnt", ours, sizeof(ours) - 1);
    if (m < 0)
      n = -1;
    else
      ours[m] = '\0';
  }
  if (n < 0)
    /* rootless: a non-dumpable init of ours is not inspectable (EACCES), and the kernel's own
     * checks stop us signalling what we may not; anything else: cannot tell, not ours */
    return errno != EACCES && errno != EPERM;
  theirs[n] = '\0';
  return strcmp(theirs, ours) == 0;
}

bool state_pid_is_container(const struct container_state *st) {
  return proc_is_same(st->pid, st->start_time) &&
         ((st->root_mount_id && st->root_mount_ns == NULL) || !in_our_mount_ns(st->pid));
}

/* fifo: the exec fifo's path relative to dirfd */
static enum container_status status_with(int dirfd, const char *fifo,
                                         const struct container_state *st) {
  if (!state_pid_is_container(st))
    return STATUS_STOPPED;
  if (faccessat(dirfd, fifo, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    return STATUS_CREATED;
  if (st->cgroup_path && cgroup_is_frozen(st->cgroup_path))
    return STATUS_PAUSED;
  return STATUS_RUNNING;
}

enum container_status state_status(int dirfd, const struct container_state *st) {
  return status_with(dirfd, EXEC_FIFO, st);
}

enum container_status state_status_in_root(int rootfd, const struct container_state *st) {
  char name[CONTAINER_DIR_NAME_MAX], fifo[CONTAINER_DIR_NAME_MAX + sizeof(EXEC_FIFO) + 1];
  container_dir_name(st->id, name);
  snprintf(fifo, sizeof(fifo), "%s/%s", name, EXEC_FIFO);
  return status_with(rootfd, fifo, st);
}

bool state_create_in_progress(int dirfd, const struct container_state *st) {
  if (!st->creating)
    return false;
  if (flock(dirfd, LOCK_SH | LOCK_NB) < 0)
    return errno == EWOULDBLOCK;
  flock(dirfd, LOCK_UN);
  return false;
}

char *state_to_json(const struct container_state *st, enum container_status status, bool pretty) {
  cleanup_json_writer json_writer *w = json_writer_new(pretty);
  if (w == NULL)
    return NULL;
  jw_object_begin(w);
  jw_kv_string(w, "ociVersion", st->oci_version ? st->oci_version : "1.3.0");
  jw_kv_string(w, "id", st->id);
  jw_kv_string(w, "status", container_status_name(status));
  if (status != STATUS_STOPPED || st->pid > 0)
    jw_kv_int(w, "pid", status == STATUS_STOPPED ? 0 : st->pid);
  jw_kv_string(w, "bundle", st->bundle);
  jw_kv_string(w, "rootfs", st->rootfs);
  jw_kv_string(w, "created", st->created);
  jw_kv_string(w, "owner", st->owner ? st->owner : "");
  state_json_annotations(w, st);
  jw_object_end(w);
  const char *text = json_writer_text(w, NULL);
  return text ? strdup(text) : NULL;
}
