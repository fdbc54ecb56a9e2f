/* The features document: every list comes from tables.c, the few booleans
 * from the constants below, so `berth features` and the parser cannot drift. */
#include "runtime_features.h"

#include <ctype.h>
#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "criu.h"
#include "json.h"
#include "tables.h"

#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

#define OCI_VERSION_MIN "1.0.0"
#define OCI_VERSION_MAX "1.3.0"

/* What berth implements beyond the name tables. idmap also gates the
 * "idmap"/"ridmap" mount options (idmapped mounts: idmap.c). */
static const bool have_idmap_mounts = true;

typedef const char *(*name_at_fn)(size_t i);

static void write_names(json_writer *w, const char *key, name_at_fn at) {
  jw_key(w, key);
  jw_array_begin(w);
  for (size_t i = 0; at(i) != NULL; i++)
    jw_string(w, at(i));
  jw_array_end(w);
}

static void write_enabled(json_writer *w, const char *key, bool enabled) {
  jw_key(w, key);
  jw_object_begin(w);
  jw_kv_bool(w, "enabled", enabled);
  jw_object_end(w);
}

static bool is_idmap_option(const char *name) {
  return strcmp(name, "idmap") == 0 || strcmp(name, "ridmap") == 0;
}

static void write_mount_options(json_writer *w) {
  size_t n;
  const struct mount_option *t = mount_option_table(&n);
  jw_key(w, "mountOptions");
  jw_array_begin(w);
  for (size_t i = 0; i < n; i++)
    if (have_idmap_mounts || !is_idmap_option(t[i].name))
      jw_string(w, t[i].name);
  jw_array_end(w);
}

static void write_namespaces(json_writer *w) {
  jw_key(w, "namespaces");
  jw_array_begin(w);
  for (int t = 0; t < NS_COUNT; t++)
    jw_string(w, ns_type_name((enum spec_ns_type)t));
  jw_array_end(w);
}

static void write_capabilities(json_writer *w) {
  jw_key(w, "capabilities");
  jw_array_begin(w);
  for (int c = 0; c <= cap_table_last(); c++)
    if (cap_name(c) != NULL)
      jw_string(w, cap_name(c));
  jw_array_end(w);
}

/* The table was cut to the build's headers; keep the architectures the libseccomp
 * loaded here also knows: "SCMP_ARCH_X86_64" resolves as "x86_64" to the same token. */
static bool libseccomp_knows_arch(const char *name, uint32_t arch) {
  static const char prefix[] = "SCMP_ARCH_";
  char lower[32];
  size_t n = 0;
  if (strncmp(name, prefix, sizeof(prefix) - 1) != 0)
    return false;
  for (const char *c = name + sizeof(prefix) - 1; *c && n < sizeof(lower) - 1; c++)
    lower[n++] = (char)tolower((unsigned char)*c);
  lower[n] = '\0';
  return seccomp_arch_resolve_name(lower) == arch;
}

static void write_seccomp_archs(json_writer *w) {
  jw_key(w, "archs");
  jw_array_begin(w);
  for (size_t i = 0; seccomp_arch_name_at(i) != NULL; i++) {
    const char *name = seccomp_arch_name_at(i);
    uint32_t arch;
    if (seccomp_arch_from_name(name, &arch) == 0 && libseccomp_knows_arch(name, arch))
      jw_string(w, name);
  }
  jw_array_end(w);
}

/* The kernel checks the flags before it reads the program: with a NULL program a
 * known flag fails with EFAULT, an unknown one with EINVAL. Nothing is loaded. */
static bool kernel_has_seccomp_flag(unsigned int flag) {
  if (flag & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
    flag |= SECCOMP_FILTER_FLAG_NEW_LISTENER; /* only valid with a listener */
  long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flag, NULL);
  return rc < 0 && errno == EFAULT;
}

static void write_seccomp_flags(json_writer *w) {
  write_names(w, "knownFlags", seccomp_flag_name_at);
  jw_key(w, "supportedFlags");
  jw_array_begin(w);
  for (size_t i = 0; seccomp_flag_name_at(i) != NULL; i++) {
    unsigned int flag;
    if (seccomp_flag_from_name(seccomp_flag_name_at(i), &flag) == 0 &&
        kernel_has_seccomp_flag(flag))
      jw_string(w, seccomp_flag_name_at(i));
  }
  jw_array_end(w);
}

static void write_seccomp(json_writer *w) {
  jw_key(w, "seccomp");
  jw_object_begin(w);
  jw_kv_bool(w, "enabled", true);
  write_names(w, "actions", seccomp_action_name_at);
  write_names(w, "operators", seccomp_operator_name_at);
  write_seccomp_archs(w);
  write_seccomp_flags(w);
  jw_object_end(w);
}

static void write_cgroup(json_writer *w) {
  jw_key(w, "cgroup");
  jw_object_begin(w);
  jw_kv_bool(w, "v1", true);
  jw_kv_bool(w, "v2", true);
  jw_kv_bool(w, "systemd", true); /* --systemd-cgroup */
  jw_kv_bool(w, "systemdUser", false);
  jw_kv_bool(w, "rdma", cgroup_rdma_supported());
  jw_object_end(w);
}

static void write_linux(json_writer *w) {
  jw_key(w, "linux");
  jw_object_begin(w);
  write_namespaces(w);
  write_capabilities(w);
  write_cgroup(w);
  write_seccomp(w);
  write_enabled(w, "apparmor", true);
  write_enabled(w, "selinux", true);
  jw_key(w, "memoryPolicy");
  jw_object_begin(w);
  write_names(w, "modes", mempolicy_mode_name_at);
  write_names(w, "flags", mempolicy_flag_name_at);
  jw_object_end(w);
  /* resctrl.c: closID, l3CacheSchema, memBwSchema, schemata and enableMonitoring */
  jw_key(w, "intelRdt");
  jw_object_begin(w);
  jw_kv_bool(w, "enabled", true);
  jw_kv_bool(w, "schemata", true);
  jw_kv_bool(w, "monitoring", true);
  jw_object_end(w);
  jw_key(w, "mountExtensions");
  jw_object_begin(w);
  write_enabled(w, "idmap", have_idmap_mounts);
  jw_object_end(w);
  write_enabled(w, "netDevices", true);
  jw_object_end(w);
}

static void write_annotations(json_writer *w) {
  char libseccomp[64];
  const struct scmp_version *v = seccomp_version();
  jw_key(w, "annotations");
  jw_object_begin(w);
  jw_kv_string(w, "io.github.berth.version", BERTH_VERSION);
  /* runc's org.opencontainers.runc.checkpoint.enabled, and the CRIU it would drive: "false"
   * without a criu in $PATH (`criu check` is not run: checkpoint says what the kernel lacks) */
  cleanup_free char *criu = criu_version();
  jw_kv_string(w, "io.github.berth.checkpoint.enabled", criu ? "true" : "false");
  if (criu)
    jw_kv_string(w, "io.github.berth.criu.version", criu);
  if (v != NULL) {
    snprintf(libseccomp, sizeof(libseccomp), "%u.%u.%u", v->major, v->minor, v->micro);
    jw_kv_string(w, "io.github.seccomp.libseccomp.version", libseccomp);
  }
  jw_object_end(w);
}

char *features_json(void) {
  cleanup_json_writer json_writer *w = json_writer_new(true);
  if (w == NULL) {
    errno = ENOMEM;
    return NULL;
  }
  jw_object_begin(w);
  jw_kv_string(w, "ociVersionMin", OCI_VERSION_MIN);
  jw_kv_string(w, "ociVersionMax", OCI_VERSION_MAX);
  write_names(w, "hooks", hook_name_at);
  write_mount_options(w);
  write_linux(w);
  write_annotations(w);
  jw_object_end(w);
  const char *text = json_writer_text(w, NULL);
  if (text == NULL) {
    errno = EINVAL; /* unbalanced writer calls: a bug above */
    return NULL;
  }
  return strdup(text);
}
