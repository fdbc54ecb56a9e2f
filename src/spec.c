/* berth spec: writes a default config.json, like runc's (and --rootless). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "cli.h"
#include "json.h"
#include "util.h"

struct default_mount {
  const char *destination, *type, *source;
  const char *options[8];
};

static const struct default_mount default_mounts[] = {
    {"/proc", "proc", "proc", {NULL}},
    {"/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k", NULL}},
    {"/dev/pts", "devpts", "devpts",
     {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL}},
    {"/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL}},
    {"/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev", NULL}},
    {"/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro", NULL}},
    {"/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro", NULL}},
};

static const char *const default_caps[] = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE",
                                           NULL};
static const char *const masked_paths[] = {
    "/proc/acpi",   "/proc/asound",      "/proc/kcore",      "/proc/keys",
    "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
    "/sys/firmware", "/proc/scsi", NULL};
static const char *const readonly_paths[] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                             "/proc/sysrq-trigger", NULL};

static void jw_strings(json_writer *w, const char *key, const char *const *v) {
  jw_key(w, key);
  jw_array_begin(w);
  for (; *v; v++)
    jw_string(w, *v);
  jw_array_end(w);
}

static void write_process(json_writer *w, bool rootless) {
  static const char *const args[] = {"sh", NULL};
  static const char *const env[] = {
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm", NULL};
  jw_key(w, "process");
  jw_object_begin(w);
  jw_kv_bool(w, "terminal", true);
  jw_key(w, "user");
  jw_object_begin(w);
  jw_kv_int(w, "uid", 0);
  jw_kv_int(w, "gid", 0);
  jw_object_end(w);
  jw_strings(w, "args", args);
  jw_strings(w, "env", env);
  jw_kv_string(w, "cwd", "/");
  jw_key(w, "capabilities");
  jw_object_begin(w);
  jw_strings(w, "bounding", default_caps);
  jw_strings(w, "effective", default_caps);
  jw_strings(w, "permitted", default_caps);
  jw_object_end(w);
  jw_key(w, "rlimits");
  jw_array_begin(w);
  jw_object_begin(w);
  jw_kv_string(w, "type", "RLIMIT_NOFILE");
  jw_kv_uint(w, "hard", 1024);
  jw_kv_uint(w, "soft", 1024);
  jw_object_end(w);
  jw_array_end(w);
  jw_kv_bool(w, "noNewPrivileges", true);
  jw_object_end(w);
}

/* Rootless: no gid= (the group is not mapped), and /sys is a bind of the
 * host's (sysfs cannot be mounted without owning the network namespace). */
static void write_mounts(json_writer *w, bool rootless) {
  jw_key(w, "mounts");
  jw_array_begin(w);
  for (size_t i = 0; i < sizeof(default_mounts) / sizeof(default_mounts[0]); i++) {
    const struct default_mount *m = &default_mounts[i];
    bool bind_sys = rootless && strcmp(m->destination, "/sys") == 0;
    jw_object_begin(w);
    jw_kv_string(w, "destination", m->destination);
    jw_kv_string(w, "type", bind_sys ? "none" : m->type);
    jw_kv_string(w, "source", bind_sys ? "/sys" : m->source);
    if (m->options[0] == NULL && !bind_sys) { /* /proc: no options, as runc writes it */
      jw_object_end(w);
      continue;
    }
    jw_key(w, "options");
    jw_array_begin(w);
    if (bind_sys)
      jw_string(w, "rbind");
    for (const char *const *o = m->options; *o; o++)
      if (!(rootless && strncmp(*o, "gid=", 4) == 0))
        jw_string(w, *o);
    jw_array_end(w);
    jw_object_end(w);
  }
  jw_array_end(w);
}

static void write_id_map(json_writer *w, const char *key, unsigned id) {
  jw_key(w, key);
  jw_array_begin(w);
  jw_object_begin(w);
  jw_kv_uint(w, "containerID", 0);
  jw_kv_uint(w, "hostID", id);
  jw_kv_uint(w, "size", 1);
  jw_object_end(w);
  jw_array_end(w);
}

static void write_linux(json_writer *w, bool rootless) {
  /* runc's template: a cgroup namespace only on a pure cgroup v2 host */
  static const char *const ns_root[] = {"pid", "network", "ipc", "uts", "mount", NULL};
  static const char *const ns_rootless[] = {"pid", "ipc", "uts", "mount", "user", NULL};
  jw_key(w, "linux");
  jw_object_begin(w);
  if (rootless) {
    write_id_map(w, "uidMappings", geteuid());
    write_id_map(w, "gidMappings", getegid());
  } else {
    jw_key(w, "resources");
    jw_object_begin(w);
    jw_key(w, "devices");
    jw_array_begin(w);
    jw_object_begin(w);
    jw_kv_bool(w, "allow", false);
    jw_kv_string(w, "access", "rwm");
    jw_object_end(w);
    jw_array_end(w);
    jw_object_end(w);
  }
  jw_key(w, "namespaces");
  jw_array_begin(w);
  for (const char *const *n = rootless ? ns_rootless : ns_root; *n; n++) {
    jw_object_begin(w);
    jw_kv_string(w, "type", *n);
    jw_object_end(w);
  }
  if (cgroup_host_unified()) {
    jw_object_begin(w);
    jw_kv_string(w, "type", "cgroup");
    jw_object_end(w);
  }
  jw_array_end(w);
  jw_strings(w, "maskedPaths", masked_paths);
  jw_strings(w, "readonlyPaths", readonly_paths);
  jw_object_end(w);
}

static char *default_config(bool rootless) {
  cleanup_json_writer json_writer *w = json_writer_new(true);
  jw_object_begin(w);
  jw_kv_string(w, "ociVersion", "1.3.0");
  write_process(w, rootless);
  jw_key(w, "root");
  jw_object_begin(w);
  jw_kv_string(w, "path", "rootfs");
  jw_kv_bool(w, "readonly", true);
  jw_object_end(w);
  jw_kv_string(w, "hostname", "berth");
  write_mounts(w, rootless);
  write_linux(w, rootless);
  jw_object_end(w);
  const char *text = json_writer_text(w, NULL);
  return text ? strdup(text) : NULL;
}

int cmd_spec(const struct global_opts *g, int argc, char **argv) {
  static const struct option opts[] = {
      {"bundle", required_argument, NULL, 'b'}, {"rootless", no_argument, NULL, 'r'}, {NULL, 0, NULL, 0}};
  const char *bundle = ".";
  bool rootless = false;
  int c;
  while ((c = getopt_long(argc, argv, "+b:", opts, NULL)) != -1) {
    if (c == 'b')
      bundle = optarg;
    else if (c == 'r')
      rootless = true;
    else
      return cli_bad_option("spec", argv);
  }
  if (optind < argc)
    return cli_usage_error("spec", "unexpected argument \"%s\"", argv[optind]);
  cleanup_close int dfd = open(bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return cli_usage_error("spec", "--bundle %s: %s", bundle, strerror(errno));
  if (faccessat(dfd, "config.json", F_OK, 0) == 0)
    return cli_usage_error("spec", "%s/config.json already exists", bundle);
  cleanup_free char *text = default_config(rootless);
  cleanup_berr struct berr *err = NULL;
  if (text == NULL)
    return 1;
  size_t len = strlen(text);
  text[len] = '\n';
  if (write_file_atomic_at(dfd, "config.json", text, len + 1, 0644, &err) < 0)
    return cli_fail(err);
  return 0;
}
