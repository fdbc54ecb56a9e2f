/* --systemd-cgroup: systemd owns the container's cgroup (see cgroup.h). The unit is started
 * over D-Bus (dbus.h) once the init exists, then the cgroupfs code writes every resource into
 * the unit's cgroup, so the result is the same as without systemd. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../cleanup.h"
#include "../log.h"
#include "internal.h"

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
#define BUS_SOCKET "/run/dbus/system_bus_socket"
#define PRIVATE_SOCKET "/run/systemd/private"
#define CALL_TIMEOUT_MS 30000
#define JOB_TIMEOUT_MS 60000

/* ---- jobs: JobRemoved signals ---- */

/* The job we wait for, and the last few that ended before we knew its path. */
struct jobs {
  const char *wanted;
  char *result;
  char *seen_path[8], *seen_result[8];
  size_t nseen;
};

static void jobs_clear(struct jobs *j) {
  free(j->result);
  for (size_t i = 0; i < j->nseen && i < 8; i++) {
    free(j->seen_path[i]);
    free(j->seen_result[i]);
  }
  *j = (struct jobs){0};
}

static void on_signal(const struct dbus_message *m, void *data) {
  struct jobs *j = data;
  struct dbus_reader r;
  uint32_t id;
  const char *path, *unit, *result;
  if (m->member == NULL || strcmp(m->member, "JobRemoved") != 0 || m->interface == NULL ||
      strcmp(m->interface, SD_MANAGER) != 0 || dbus_message_body(m, "uoss", &r, NULL) < 0 ||
      dbus_get_u32(&r, &id) < 0 || dbus_get_string(&r, &path) < 0 ||
      dbus_get_string(&r, &unit) < 0 || dbus_get_string(&r, &result) < 0)
    return;
  if (j->wanted && strcmp(path, j->wanted) == 0) {
    free(j->result);
    j->result = strdup(result);
    return;
  }
  size_t i = j->nseen++ % 8;
  if (j->nseen > 8) {
    free(j->seen_path[i]);
    free(j->seen_result[i]);
  }
  j->seen_path[i] = strdup(path);
  j->seen_result[i] = strdup(result);
}

static bool job_done(void *data) { return ((struct jobs *)data)->result != NULL; }

/* Waits for the JobRemoved of job; *result is its result ("done", "failed", ...). */
static int wait_job(struct dbus_conn *c, struct jobs *j, const char *job, struct berr **err) {
  j->wanted = job;
  for (size_t i = 0; i < j->nseen && i < 8; i++)
    if (j->seen_path[i] && strcmp(j->seen_path[i], job) == 0)
      j->result = strdup(j->seen_result[i]);
  int r = dbus_wait(c, job_done, j, JOB_TIMEOUT_MS, err);
  j->wanted = NULL;
  return r < 0 ? berr_prefix(err, "systemd job %s", job) : 0;
}

/* ---- the connection ---- */

static int manager_call(struct dbus_conn *c, const char *member, const char *sig,
                        const struct dbus_buf *body, struct dbus_message *reply,
                        char **error_name, struct berr **err) {
  struct dbus_call call = {.destination = SD_DEST, .path = SD_PATH, .interface = SD_MANAGER,
                           .member = member, .signature = sig, .body = body};
  return dbus_call(c, &call, reply, error_name, CALL_TIMEOUT_MS, err);
}

/* On the system bus: the JobRemoved signals are ours once matched and subscribed. */
static int subscribe(struct dbus_conn *c, struct berr **err) {
  cleanup_dbus_buf struct dbus_buf b = {0};
  dbus_put_string(&b, "type='signal',sender='" SD_DEST "',path='" SD_PATH "',interface='" SD_MANAGER
                      "',member='JobRemoved'");
  struct dbus_call match = {.destination = "org.freedesktop.DBus", .path = "/org/freedesktop/DBus",
                            .interface = "org.freedesktop.DBus", .member = "AddMatch",
                            .signature = "s", .body = &b};
  if (dbus_call(c, &match, NULL, NULL, CALL_TIMEOUT_MS, err) < 0)
    return -1;
  return manager_call(c, "Subscribe", NULL, NULL, NULL, NULL, err);
}

/* The system bus when a bus daemon runs and systemd is on it, else systemd's private socket
 * (root only; no bus daemon needed). */
static int sd_connect(struct jobs *j, struct dbus_conn **out, struct berr **err) {
  cleanup_berr struct berr *e = NULL;
  struct dbus_conn *c = NULL;
  if (dbus_open(BUS_SOCKET, true, &c, &e) == 0) {
    dbus_on_signal(c, on_signal, j);
    if (subscribe(c, &e) == 0) {
      *out = c;
      return 0;
    }
    dbus_close(c);
  }
  log_debug("systemd: not over the system bus (%s): trying %s", berr_message(&e), PRIVATE_SOCKET);
  if (dbus_open(PRIVATE_SOCKET, false, &c, err) < 0)
    return berr_prefix(err, "--systemd-cgroup: cannot reach systemd (system bus: %s)", berr_message(&e));
  dbus_on_signal(c, on_signal, j);
  *out = c;
  return 0;
}

/* ---- create ---- */

int cg_systemd_create(const struct spec *spec, const char *id, struct cgroup **out,
                      struct berr **err) {
  if (access("/run/systemd/system", F_OK) != 0)
    return berr_set(err, ENOTSUP, "--systemd-cgroup: systemd is not running (PID 1 is not "
                                  "systemd)");
  cleanup_cgroup struct cgroup *cg = cg_alloc();
  if (cg == NULL || (cg->sd = calloc(1, sizeof(*cg->sd))) == NULL)
    return berr_set(err, ENOMEM, "cgroup");
  if (cg_discover(&cg->h, &cg->n, &cg->unified, err) < 0)
    return -1;
  struct cg_systemd *sd = cg->sd;
  const char *cp = spec->linux ? spec->linux->cgroups_path : NULL;
  if (cgroup_systemd_unit(cp, id, &sd->u, err) < 0)
    return -1;
  sd->spec = spec;
  if (asprintf(&sd->description, "berth container %s", id) < 0 ||
      (cg->path = strdup(sd->u.path)) == NULL)
    return berr_set(err, ENOMEM, "cgroup");
  /* the same path in every hierarchy (cgroup v1: systemd makes the unit's directory in
   * name=systemd and the controllers it manages; cg_systemd_start makes the others) */
  for (size_t i = 0; i < cg->n; i++) {
    if (asprintf(&cg->h[i].dir, "%s%s", cg->h[i].mnt, cg->path) < 0) {
      cg->h[i].dir = NULL;
      return berr_set(err, ENOMEM, "cgroup");
    }
    if (access(cg->h[i].dir, F_OK) == 0)
      return berr_code(err, EEXIST,
                       "cgroup %s already exists: unit %s is in use (another container with this "
                       "id or linux.cgroupsPath?)",
                       cg->h[i].dir, sd->u.unit);
  }
  log_debug("cgroup: systemd unit %s in %s, cgroup %s", sd->u.unit, sd->u.slice, cg->path);
  *out = steal_ptr(&cg);
  return 0;
}

static int start_unit(struct cgroup *cg, pid_t pid, struct jobs *j, struct berr **err) {
  struct cg_systemd *sd = cg->sd;
  const struct spec_resources *res = sd->spec->linux ? sd->spec->linux->resources : NULL;
  cleanup_dbus_buf struct dbus_buf b = {0};
  dbus_put_string(&b, sd->u.unit);
  dbus_put_string(&b, "replace");
  if (cgroup_systemd_properties(&sd->u, sd->description, res, pid, &b, err) < 0)
    return -1;
  size_t aux = dbus_array_begin(&b, 8); /* no auxiliary units */
  dbus_array_end(&b, aux, 8);
  struct dbus_message reply = {0};
  struct dbus_reader r;
  const char *job;
  if (manager_call(sd->conn, "StartTransientUnit", "ssa(sv)a(sa(sv))", &b, &reply, NULL, err) < 0)
    return -1;
  sd->started = true;
  int rc = dbus_message_body(&reply, "o", &r, err) < 0 || dbus_get_string(&r, &job) < 0
               ? berr_set(err, EBADMSG, "StartTransientUnit: reply")
               : wait_job(sd->conn, j, job, err);
  dbus_message_clear(&reply);
  if (rc == 0 && strcmp(j->result, "done") != 0)
    rc = berr_code(err, EIO, "systemd could not start unit %s (job result \"%s\")", sd->u.unit,
                   j->result);
  return rc;
}

/* pid must be in the unit's cgroup now: in the unified hierarchy, or name=systemd on v1 (the
 * one systemd tracks units in). */
static int check_pid_in(const struct cgroup *cg, pid_t pid, struct berr **err) {
  const struct cg_hier *h = cg->unified ? &cg->h[0] : cg_find(cg, "name=systemd");
  if (h == NULL)
    h = &cg->h[0];
  cleanup_free char *procs = cg_read(h->dir, "cgroup.procs");
  char want[24];
  snprintf(want, sizeof(want), "%d", (int)pid);
  for (char *p = procs; p && *p; p += strcspn(p, "\n"), p += strspn(p, "\n"))
    if (strncmp(p, want, strlen(want)) == 0 && (p[strlen(want)] == '\n' || !p[strlen(want)]))
      return 0;
  return berr_code(err, EIO, "systemd started unit %s but pid %d is not in %s", cg->sd->u.unit,
                   (int)pid, h->dir);
}

/* A slice unit holds no process of its own, and on cgroup v1 systemd makes the scope only in
 * the hierarchies it manages: make the others (cpuset, freezer, net_cls, hugetlb...: removed
 * again by cgroup_destroy) and put pid in every one. */
static int join_all(struct cgroup *cg, pid_t pid, struct berr **err) {
  for (size_t i = 0; i < cg->n; i++) {
    struct cg_hier *h = &cg->h[i];
    if (access(h->dir, F_OK) != 0 && cg_mkdir_p(h, cg->path, false, err) < 0)
      return -1;
    if (cg_writef(h->dir, "cgroup.procs", "cgroup", err, "%d", (int)pid) < 0)
      return berr_prefix(err, "enter pid %d into %s", (int)pid, h->dir);
  }
  return 0;
}

int cg_systemd_start(struct cgroup *cg, pid_t pid, struct berr **err) {
  struct cg_systemd *sd = cg->sd;
  struct jobs j = {0};
  int r = -1;
  if (sd_connect(&j, &sd->conn, err) == 0 && start_unit(cg, pid, &j, err) == 0)
    r = 0;
  if (sd->conn)
    dbus_on_signal(sd->conn, NULL, NULL);
  jobs_clear(&j);
  if (r < 0)
    return berr_prefix(err, "--systemd-cgroup: unit %s", sd->u.unit);
  log_debug("cgroup: systemd started %s (%s)", sd->u.unit,
            dbus_is_bus(sd->conn) ? "system bus" : "private socket");
  /* what systemd knows and what it does not (unified keys, hugetlb, rdma, devices): the
   * cgroupfs code, as for the cgroupfs driver */
  const struct spec_resources *res = sd->spec->linux ? sd->spec->linux->resources : NULL;
  if ((sd->u.is_slice || !cg->unified) && join_all(cg, pid, err) < 0)
    return -1;
  if (check_pid_in(cg, pid, err) < 0)
    return -1;
  if (!cg->unified) {
    /* hybrid: what the unified hierarchy offers the unit (hugetlb on a host like this one) */
    for (size_t i = 0; i < cg->n; i++)
      if (cg->h[i].v2 && cg_v2_load_controllers(&cg->h[i], err) < 0)
        return -1;
    return cg_v1_apply(cg, res, err) < 0 || cg_v1_devices(cg, sd->spec, err) < 0 ? -1 : 0;
  }
  struct cg_hier *h = &cg->h[0];
  if (cg_v2_enable(h, cg->path, res, err) < 0 || cg_v2_load_controllers(h, err) < 0 ||
      cg_v2_apply(cg, res, err) < 0 || cg_v2_devices(cg, sd->spec, err) < 0)
    return -1;
  return 0;
}

/* ---- stop ---- */

static int stop_unit(struct dbus_conn *c, struct jobs *j, const char *unit, struct berr **err) {
  cleanup_dbus_buf struct dbus_buf b = {0};
  dbus_put_string(&b, unit);
  dbus_put_string(&b, "replace");
  struct dbus_message reply = {0};
  struct dbus_reader r;
  const char *job;
  cleanup_berr struct berr *e = NULL;
  int rc = 0;
  if (manager_call(c, "StopUnit", "ss", &b, &reply, NULL, &e) < 0) {
    if (berr_errcode(&e) != ENOENT) { /* ENOENT: systemd already unloaded it */
      return berr_move(err, &e);
    }
  } else {
    rc = dbus_message_body(&reply, "o", &r, err) < 0 || dbus_get_string(&r, &job) < 0
             ? berr_set(err, EBADMSG, "StopUnit: reply")
             : wait_job(c, j, job, err);
    if (rc == 0 && strcmp(j->result, "done") != 0)
      log_warn("systemd: stop %s: job result \"%s\"", unit, j->result);
  }
  dbus_message_clear(&reply);
  /* a unit that failed stays listed until reset */
  cleanup_dbus_buf struct dbus_buf rb = {0};
  dbus_put_string(&rb, unit);
  cleanup_berr struct berr *re = NULL;
  if (manager_call(c, "ResetFailedUnit", "s", &rb, NULL, NULL, &re) < 0 && berr_errcode(&re) != ENOENT)
    log_debug("systemd: ResetFailedUnit %s: %s", unit, berr_message(&re));
  return rc;
}

static int with_systemd(const char *unit, struct dbus_conn *have,
                        int (*fn)(struct dbus_conn *, struct jobs *, const char *, const void *,
                                  struct berr **),
                        const void *arg, struct berr **err) {
  struct jobs j = {0};
  struct dbus_conn *c = have;
  int r = have ? 0 : sd_connect(&j, &c, err);
  if (r == 0) {
    dbus_on_signal(c, on_signal, &j);
    r = fn(c, &j, unit, arg, err);
    dbus_on_signal(c, NULL, NULL);
  }
  if (c != have)
    dbus_close(c);
  jobs_clear(&j);
  return r;
}

static int stop_fn(struct dbus_conn *c, struct jobs *j, const char *unit, const void *arg,
                   struct berr **err) {
  (void)arg;
  return stop_unit(c, j, unit, err);
}

int cgroup_systemd_stop(const char *unit, struct berr **err) {
  if (with_systemd(unit, NULL, stop_fn, NULL, err) < 0)
    return berr_prefix(err, "stop systemd unit %s", unit);
  return 0;
}

void cg_systemd_destroy(struct cgroup *cg) {
  struct cg_systemd *sd = cg->sd;
  if (!sd->started)
    return; /* nothing was made */
  /* SIGKILL now rather than systemd's SIGTERM and timeout (the same processes in every
   * hierarchy: the first that has the directory does) */
  for (size_t i = 0; i < cg->n; i++)
    if (access(cg->h[i].dir, F_OK) == 0) {
      cg_kill_all(cg->h[i].dir, cg->h[i].v2);
      break;
    }
  cleanup_berr struct berr *e = NULL;
  if (with_systemd(sd->u.unit, sd->conn, stop_fn, NULL, &e) < 0)
    log_warn("stop systemd unit %s: %s", sd->u.unit, berr_message(&e));
  sd->started = false;
}

void cg_systemd_free(struct cg_systemd *sd) {
  if (sd == NULL)
    return;
  dbus_close(sd->conn);
  cgroup_unit_clear(&sd->u);
  free(sd->description);
  free(sd);
}

/* ---- update ---- */

static int update_fn(struct dbus_conn *c, struct jobs *j, const char *unit, const void *arg,
                     struct berr **err) {
  (void)j;
  cleanup_dbus_buf struct dbus_buf b = {0};
  dbus_put_string(&b, unit);
  dbus_put_bool(&b, true); /* runtime: until the unit goes */
  if (cgroup_systemd_properties(NULL, NULL, arg, 0, &b, err) < 0)
    return -1;
  return manager_call(c, "SetUnitProperties", "sba(sv)", &b, NULL, NULL, err);
}

int cgroup_systemd_update(const char *unit, const struct spec_resources *res, struct berr **err) {
  if (with_systemd(unit, NULL, update_fn, res, err) < 0)
    return berr_prefix(err, "systemd unit %s", unit);
  return 0;
}
