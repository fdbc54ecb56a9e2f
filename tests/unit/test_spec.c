/* Unit tests for spec.c (config.json parser) and tables.c.
 *
 * usage: test_spec [ENGINE_CONFIGS_DIR [SPEC_EXAMPLE_JSON]]
 * Prints "ok - name" / "not ok - name" per test and "N passed, M failed";
 * exits 1 on any failure. JSON snippets are written with single quotes,
 * turned into double quotes by q(). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "json.h"
#include "libc_compat.h"
#include "spec.h"
#include "tables.h"

static int passed, failed;
static bool cur_ok;

#define CHECK(cond)                                                                                \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      fprintf(stderr, "#   %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);             \
      cur_ok = false;                                                                              \
    }                                                                                              \
  } while (0)

static void begin(void) { cur_ok = true; }

__attribute__((format(printf, 1, 2))) static void end(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("%s - ", cur_ok ? "ok" : "not ok");
  vprintf(fmt, ap);
  printf("\n");
  va_end(ap);
  if (cur_ok)
    passed++;
  else
    failed++;
}

/* 'x' -> "x": JSON written readably in C strings. */
static char *q(const char *s) {
  char *r = strdup(s);
  for (char *p = r; *p; p++)
    if (*p == '\'')
      *p = '"';
  return r;
}

static int parse_q(const char *json, struct spec **out, struct berr **err) {
  cleanup_free char *text = q(json);
  return spec_parse(text, strlen(text), out, err);
}

static char *read_all(const char *path) {
  FILE *f = fopen(path, "re");
  if (f == NULL)
    return NULL;
  char *buf = NULL;
  size_t len = 0;
  FILE *m = open_memstream(&buf, &len);
  char chunk[4096];
  size_t n;
  while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
    fwrite(chunk, 1, n, m);
  fclose(m);
  fclose(f);
  return buf;
}

#define BASE "'ociVersion':'1.0.2','root':{'path':'rootfs'}"
#define PROC(extra) "'process':{'cwd':'/','args':['sh']" extra "}"

/* ------------------------------------------------------------ error cases */

struct error_case {
  const char *json;
  const char *msg;
};

static const struct error_case error_cases[] = {
    {"[]", "config.json: expected object, got array"},
    {"{'root':{'path':'r'}}", "config.json: ociVersion: required"},
    {"{'ociVersion':'2.0.0','root':{'path':'r'}}",
     "config.json: ociVersion: unsupported version \"2.0.0\" (berth supports 1.x)"},
    {"{'ociVersion':'0.9.0','root':{'path':'r'}}",
     "config.json: ociVersion: unsupported version \"0.9.0\" (berth supports 1.x)"},
    {"{'ociVersion':1,'root':{'path':'r'}}", "config.json: ociVersion: expected string, got number"},
    {"{'ociVersion':'1.0.2'}", "config.json: root: required"},
    {"{'ociVersion':'1.0.2','root':{}}", "config.json: root.path: required"},
    {"{'ociVersion':'1.0.2','root':{'path':'r','readonly':'yes'}}",
     "config.json: root.readonly: expected boolean, got string"},
    {"{" BASE ",'process':'sh'}", "config.json: process: expected object, got string"},
    {"{" BASE ",'process':{'args':['sh']}}", "config.json: process.cwd: required"},
    {"{" BASE ",'process':{'cwd':'tmp','args':['sh']}}",
     "config.json: process.cwd: must be an absolute path, got \"tmp\""},
    {"{" BASE ",'process':{'cwd':'/'}}", "config.json: process.args: required"},
    {"{" BASE ",'process':{'cwd':'/','args':[]}}",
     "config.json: process.args: must contain at least one entry"},
    {"{" BASE ",'process':{'cwd':'/','args':['sh',1]}}",
     "config.json: process.args[1]: expected string, got number"},
    {"{" BASE "," PROC(",'user':{'uid':'0','gid':0}") "}",
     "config.json: process.user.uid: expected number, got string"},
    {"{" BASE "," PROC(",'user':{'gid':0}") "}", "config.json: process.user.uid: required"},
    {"{" BASE "," PROC(",'user':{'uid':4294967296,'gid':0}") "}",
     "config.json: process.user.uid: 4294967296 is out of range for an id (0 to 2147483647)"},
    {"{" BASE "," PROC(",'user':{'uid':-1,'gid':0}") "}",
     "config.json: process.user.uid: -1 is out of range for an id (0 to 2147483647)"},
    {"{" BASE "," PROC(",'user':{'uid':4294967295,'gid':0}") "}",
     "config.json: process.user.uid: 4294967295 is out of range for an id (0 to 2147483647)"},
    {"{" BASE "," PROC(",'user':{'uid':0,'gid':2147483648}") "}",
     "config.json: process.user.gid: 2147483648 is out of range for an id (0 to 2147483647)"},
    {"{" BASE ",'process':{'cwd':'/','args':['id\\u0000zzz']}}",
     "config.json: process.args[0]: a string holds a NUL character (\\u0000): refused"},
    {"{" BASE ",'mounts':[{'destination':'/tmp','type':'tmpfs'},{'destination':'/tmp\\u0000x'}]}",
     "config.json: mounts[1].destination: a string holds a NUL character (\\u0000): refused"},
    {"{" BASE ",'annotations':{'a\\u0000b':'x'}}",
     "config.json: annotations.a\\u0000b: a string holds a NUL character (\\u0000): refused"},
    {"{" BASE ",'linux':{'uidMappings':[{'containerID':0,'hostID':1,'size':0}],"
     "'gidMappings':[]}}",
     "config.json: linux.uidMappings[0]: size must be at least 1"},
    {"{" BASE ",'linux':{'uidMappings':[{'containerID':0,'hostID':4294967295,'size':1}],"
     "'gidMappings':[]}}",
     "config.json: linux.uidMappings[0]: containerID 0 / hostID 4294967295 + size 1 goes past "
     "4294967294, the highest id"},
    {"{" BASE "," PROC(",'user':{'uid':1.5,'gid':0}") "}",
     "config.json: process.user.uid: expected integer, got 1.5"},
    {"{" BASE "," PROC(",'user':{'uid':0,'gid':0,'additionalGids':[1,-2]}") "}",
     "config.json: process.user.additionalGids[1]: -2 is out of range for an id (0 to 2147483647)"},
    {"{" BASE "," PROC(",'consoleSize':{'height':1}") "}",
     "config.json: process.consoleSize.width: required"},
    {"{" BASE "," PROC(",'rlimits':[{'type':'RLIMIT_FOO','soft':1,'hard':1}]") "}",
     "config.json: process.rlimits[0].type: unknown rlimit \"RLIMIT_FOO\""},
    {"{" BASE "," PROC(",'rlimits':[{'type':'RLIMIT_NOFILE','soft':10,'hard':5}]") "}",
     "config.json: process.rlimits[0]: soft limit 10 is greater than hard limit 5"},
    {"{" BASE "," PROC(",'rlimits':[{'type':'RLIMIT_NOFILE','hard':5}]") "}",
     "config.json: process.rlimits[0].soft: required"},
    {"{" BASE "," PROC(",'rlimits':[{'type':'RLIMIT_NOFILE','soft':1,'hard':5},"
                       "{'type':'RLIMIT_NOFILE','soft':1,'hard':5}]") "}",
     "config.json: process.rlimits[1].type: duplicate rlimit \"RLIMIT_NOFILE\""},
    {"{" BASE "," PROC(",'capabilities':{'bounding':['CAP_CHOWN','CAP_BOGUS']}") "}",
     "config.json: process.capabilities.bounding[1]: unknown capability \"CAP_BOGUS\""},
    {"{" BASE "," PROC(",'capabilities':{'ambient':'CAP_CHOWN'}") "}",
     "config.json: process.capabilities.ambient: expected array, got string"},
    {"{" BASE "," PROC(",'scheduler':{'policy':'SCHED_X'}") "}",
     "config.json: process.scheduler.policy: unknown scheduler policy \"SCHED_X\""},
    {"{" BASE "," PROC(",'scheduler':{'nice':1}") "}",
     "config.json: process.scheduler.policy: required"},
    {"{" BASE "," PROC(",'scheduler':{'policy':'SCHED_OTHER','nice':2147483648}") "}",
     "config.json: process.scheduler.nice: 2147483648 is out of range for int32"},
    {"{" BASE "," PROC(",'scheduler':{'policy':'SCHED_OTHER','flags':['SCHED_FLAG_X']}") "}",
     "config.json: process.scheduler.flags[0]: unknown scheduler flag \"SCHED_FLAG_X\""},
    {"{" BASE "," PROC(",'ioPriority':{'class':'IOPRIO_CLASS_X'}") "}",
     "config.json: process.ioPriority.class: unknown I/O priority class \"IOPRIO_CLASS_X\""},
    {"{" BASE "," PROC(",'oomScoreAdj':'5'") "}",
     "config.json: process.oomScoreAdj: expected number, got string"},
    {"{" BASE ",'mounts':[{'destination':'/a'},{'destination':'/b'},{'type':'tmpfs'}]}",
     "config.json: mounts[2].destination: required"},
    {"{" BASE ",'mounts':[{'destination':'proc','type':'proc'}]}",
     "config.json: mounts[0].destination: must be an absolute path, got \"proc\""},
    {"{" BASE ",'mounts':[{'destination':'/x','options':['rbind','size=1k','sizex']}]}",
     "config.json: mounts[0] (/x).options[2]: unknown option \"sizex\" for a bind mount "
     "(neither a mount flag nor key=value filesystem data)"},
    {"{" BASE ",'mounts':[{'destination':'/x','type':'bind','options':['bogus']}]}",
     "config.json: mounts[0] (/x).options[0]: unknown option \"bogus\" for a bind mount "
     "(neither a mount flag nor key=value filesystem data)"},
    {"{" BASE ",'mounts':[{'destination':'/x','uidMappings':[{'containerID':0,'hostID':1,"
              "'size':1}]}]}",
     "config.json: mounts[0] (/x).uidMappings: must be specified along with gidMappings"},
    {"{" BASE ",'mounts':{}}", "config.json: mounts: expected array, got object"},
    {"{" BASE ",'mounts':[1]}", "config.json: mounts[0]: expected object, got number"},
    {"{" BASE ",'hooks':{'prestart':[{'args':['x']}]}}",
     "config.json: hooks.prestart[0].path: required"},
    {"{" BASE ",'hooks':{'poststop':[{'path':'bin/x'}]}}",
     "config.json: hooks.poststop[0].path: must be an absolute path, got \"bin/x\""},
    {"{" BASE ",'hooks':{'createRuntime':[{'path':'/x','timeout':0}]}}",
     "config.json: hooks.createRuntime[0].timeout: must be at least 1, got 0"},
    {"{" BASE ",'annotations':{'a':1}}",
     "config.json: annotations[\"a\"]: expected string, got number"},
    {"{" BASE ",'linux':{'namespaces':[{'type':'pid'},{'type':'ipc'},{'type':'uts'},"
              "{'type':'bogus'}]}}",
     "config.json: linux.namespaces[3].type: unknown namespace type \"bogus\""},
    {"{" BASE ",'linux':{'namespaces':[{'type':'pid'},{'type':'pid'}]}}",
     "config.json: linux.namespaces[1].type: duplicate namespace type \"pid\""},
    {"{" BASE ",'linux':{'namespaces':[{'path':'/proc/1/ns/pid'}]}}",
     "config.json: linux.namespaces[0].type: required"},
    {"{" BASE ",'linux':{'namespaces':[{'type':'network','path':5}]}}",
     "config.json: linux.namespaces[0].path: expected string, got number"},
    {"{" BASE ",'linux':{'uidMappings':[{'containerID':0,'size':1}]}}",
     "config.json: linux.uidMappings[0].hostID: required"},
    {"{" BASE ",'linux':{'gidMappings':[{'containerID':0,'hostID':1,'size':-1}]}}",
     "config.json: linux.gidMappings[0].size: -1 is out of range for uint32"},
    {"{" BASE ",'linux':{'devices':[{'type':'x','path':'/dev/x','major':1,'minor':1}]}}",
     "config.json: linux.devices[0] (/dev/x).type: must be one of c, b, u, p, got \"x\""},
    {"{" BASE ",'linux':{'devices':[{'type':'c','path':'dev/x','major':1,'minor':1}]}}",
     "config.json: linux.devices[0].path: must be an absolute path, got \"dev/x\""},
    {"{" BASE ",'linux':{'devices':[{'type':'c','path':'/dev/x','minor':1}]}}",
     "config.json: linux.devices[0] (/dev/x).major: required"},
    {"{" BASE ",'linux':{'devices':[{'path':'/dev/x'}]}}",
     "config.json: linux.devices[0] (/dev/x).type: required"},
    {"{" BASE ",'linux':{'rootfsPropagation':'bogus'}}",
     "config.json: linux.rootfsPropagation: unknown propagation \"bogus\""},
    {"{" BASE ",'linux':{'seccomp':{'syscalls':[]}}}",
     "config.json: linux.seccomp.defaultAction: required"},
    {"{" BASE ",'linux':{'seccomp':{'defaultAction':'SCMP_ACT_NOPE'}}}",
     "config.json: linux.seccomp.defaultAction: unknown seccomp action \"SCMP_ACT_NOPE\""},
    {"{" BASE ",'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW',"
              "'architectures':['SCMP_ARCH_VAX']}}}",
     "config.json: linux.seccomp.architectures[0]: unknown seccomp architecture "
     "\"SCMP_ARCH_VAX\""},
    {"{" BASE ",'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','flags':['X']}}}",
     "config.json: linux.seccomp.flags[0]: unknown seccomp flag \"X\""},
    {"{" BASE ",'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':"
              "['read'],'action':'SCMP_ACT_BOGUS'}]}}}",
     "config.json: linux.seccomp.syscalls[0].action: unknown seccomp action \"SCMP_ACT_BOGUS\""},
    {"{" BASE ",'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':"
              "[],'action':'SCMP_ACT_ERRNO'}]}}}",
     "config.json: linux.seccomp.syscalls[0].names: must contain at least one entry"},
    {"{" BASE ",'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':"
              "['read'],'action':'SCMP_ACT_ERRNO','args':[{'index':6,'value':1,"
              "'op':'SCMP_CMP_EQ'}]}]}}}",
     "config.json: linux.seccomp.syscalls[0].args[0].index: must be 0..5, got 6"},
    {"{" BASE ",'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':"
              "['read'],'action':'SCMP_ACT_ERRNO','args':[{'index':0,'value':1,"
              "'op':'SCMP_CMP_XX'}]}]}}}",
     "config.json: linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator "
     "\"SCMP_CMP_XX\""},
    {"{" BASE ",'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':"
              "['read'],'action':'SCMP_ACT_ERRNO','args':[{'index':0,'op':'SCMP_CMP_EQ'}]}]}}}",
     "config.json: linux.seccomp.syscalls[0].args[0].value: required"},
    {"{" BASE ",'linux':{'personality':{'domain':'LINUX64'}}}",
     "config.json: linux.personality.domain: unknown personality domain \"LINUX64\""},
    {"{" BASE ",'linux':{'memoryPolicy':{'mode':'MPOL_X'}}}",
     "config.json: linux.memoryPolicy.mode: unknown memory policy mode \"MPOL_X\""},
    {"{" BASE ",'linux':{'memoryPolicy':{'mode':'MPOL_BIND','flags':['MPOL_F_X']}}}",
     "config.json: linux.memoryPolicy.flags[0]: unknown memory policy flag \"MPOL_F_X\""},
    {"{" BASE ",'linux':{'resources':{'devices':[{'access':'rwm'}]}}}",
     "config.json: linux.resources.devices[0].allow: required"},
    {"{" BASE ",'linux':{'resources':{'devices':[{'allow':false,'type':'u'}]}}}",
     "config.json: linux.resources.devices[0].type: must be one of a, c, b, got \"u\""},
    {"{" BASE ",'linux':{'resources':{'devices':[{'allow':false,'access':'rwx'}]}}}",
     "config.json: linux.resources.devices[0].access: invalid access \"rwx\" (only the "
     "letters r, w, m are allowed)"},
    {"{" BASE ",'linux':{'resources':{'pids':{}}}}",
     "config.json: linux.resources.pids.limit: required"},
    {"{" BASE ",'linux':{'resources':{'memory':{'limit':1.5}}}}",
     "config.json: linux.resources.memory.limit: expected integer, got 1.5"},
    {"{" BASE ",'linux':{'resources':{'memory':{'limit':9223372036854775808}}}}",
     "config.json: linux.resources.memory.limit: 9223372036854775808 is out of range for int64"},
    {"{" BASE ",'linux':{'resources':{'memory':{'swappiness':18446744073709551616}}}}",
     "config.json: linux.resources.memory.swappiness: 18446744073709551616 is out of range for "
     "uint64"},
    {"{" BASE ",'linux':{'resources':{'blockIO':{'weight':70000}}}}",
     "config.json: linux.resources.blockIO.weight: 70000 is out of range for uint16"},
    {"{" BASE ",'linux':{'resources':{'blockIO':{'throttleReadBpsDevice':[{'major':8,"
              "'minor':0}]}}}}",
     "config.json: linux.resources.blockIO.throttleReadBpsDevice[0].rate: required"},
    {"{" BASE ",'linux':{'resources':{'hugepageLimits':[{'limit':1}]}}}",
     "config.json: linux.resources.hugepageLimits[0].pageSize: required"},
    {"{" BASE ",'linux':{'resources':{'network':{'priorities':[{'name':'eth0'}]}}}}",
     "config.json: linux.resources.network.priorities[0].priority: required"},
    {"{" BASE ",'linux':{'resources':{'rdma':{'mlx5_1':{'hcaHandles':'3'}}}}}",
     "config.json: linux.resources.rdma[\"mlx5_1\"].hcaHandles: expected number, got string"},
    {"{" BASE ",'linux':{'resources':{'rdma':{'mlx5_0':{'hcaHandles':-1}}}}}",
     "config.json: linux.resources.rdma[\"mlx5_0\"].hcaHandles: -1 is out of range for uint32"},
    {"{" BASE ",'linux':{'resources':{'rdma':{'mlx5_0':{'hcaObjects':2147483648}}}}}",
     "config.json: linux.resources.rdma[\"mlx5_0\"].hcaObjects: 2147483648 is above the "
     "kernel's limit 2147483647"},
    {"{" BASE ",'linux':{'resources':{'rdma':{'mlx5 0':{'hcaHandles':1}}}}}",
     "config.json: linux.resources.rdma[\"mlx5 0\"]: an rdma device name has no spaces or "
     "newlines"},
    {"{" BASE ",'linux':{'resources':{'rdma':{'':{'hcaHandles':1}}}}}",
     "config.json: linux.resources.rdma[\"\"]: empty rdma device name"},
    {"{" BASE ",'linux':{'resources':{'rdma':{'mlx5_0':3}}}}",
     "config.json: linux.resources.rdma[\"mlx5_0\"]: expected object, got number"},
    {"{" BASE ",'linux':{'resources':{'unified':{'memory.max':1}}}}",
     "config.json: linux.resources.unified[\"memory.max\"]: expected string, got number"},
    {"{" BASE ",'linux':{'sysctl':[]}}", "config.json: linux.sysctl: expected object, got array"},
    {"{" BASE ",'linux':{'timeOffsets':{'boottime':{'secs':'1'}}}}",
     "config.json: linux.timeOffsets.boottime.secs: expected number, got string"},
    {"{" BASE ",'linux':{'netDevices':{'eth0':{'name':1}}}}",
     "config.json: linux.netDevices[\"eth0\"].name: expected string, got number"},
    {"{" BASE ",'linux':{'intelRdt':{'enableMonitoring':1}}}",
     "config.json: linux.intelRdt.enableMonitoring: expected boolean, got number"},
    {"{" BASE ",'linux':{'intelRdt':{'memBwSchema':'L3:0=f'}}}",
     "config.json: linux.intelRdt.memBwSchema: \"L3:0=f\": must start with \"MB:\""},
    {"{" BASE ",'linux':{'intelRdt':{'l3CacheSchema':'L3:0=f\\nMB:0=1'}}}",
     "config.json: linux.intelRdt.l3CacheSchema: must not contain a newline (one schemata "
     "line)"},
    {"{" BASE ",'linux':{'intelRdt':{'schemata':['L3:0=f','']}}}",
     "config.json: linux.intelRdt.schemata[1]: must not be empty"},
    {"{" BASE ",'linux':{'intelRdt':{'schemata':['L3:0=f\\nL2:0=1']}}}",
     "config.json: linux.intelRdt.schemata[0]: must not contain a newline (one schemata "
     "line)"},
    {"{" BASE ",'linux':{'intelRdt':{'closID':'a/b'}}}",
     "config.json: linux.intelRdt.closID: \"a/b\": must be one directory name of the resctrl "
     "filesystem (or \"/\" for its root group)"},
    {"{" BASE ",'linux':{'intelRdt':{'closID':'info'}}}",
     "config.json: linux.intelRdt.closID: \"info\": names one of resctrl's own directories"},
};

static void test_error_cases(void) {
  for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
    struct spec *s = NULL;
    cleanup_berr struct berr *err = NULL;
    begin();
    int r = parse_q(error_cases[i].json, &s, &err);
    CHECK(r == -1);
    CHECK(s == NULL);
    CHECK(err != NULL);
    if (err) {
      CHECK(err->code == EINVAL);
      if (strcmp(err->msg, error_cases[i].msg) != 0) {
        fprintf(stderr, "#   want: %s\n#   got:  %s\n", error_cases[i].msg, err->msg);
        cur_ok = false;
      }
    }
    spec_free(s);
    end("error: %s", error_cases[i].msg);
  }
}

/* A syntax error names the line and column and shows the line with a caret under the token
 * yajl stopped at (issue 17); the message is yajl's, without its "parse error: " prefix. */
static void test_invalid_json(void) {
  /* a 200-character line: the excerpt is a window around the column, "..." where cut */
  char long_line[400];
  snprintf(long_line, sizeof(long_line), "{\"a\": \"%0150d\", \"b\": @, \"c\": \"%040d\"}", 0, 0);
  static char long_want[600];
  snprintf(long_want, sizeof(long_want),
           "config.json: invalid json at line 1, column 166: invalid char in json text\n"
           " 1 | ...%028d\", \"b\": @, \"c\": \"%027d...\n"
           "   |    %36s^",
           0, 0, "");
  const struct {
    const char *json, *msg;
  } cases[] = {
      {"{\"ociVersion\": ",
       "config.json: invalid json at line 1, column 15: unexpected end of input\n"
       " 1 | {\"ociVersion\": \n"
       "   |               ^"},
      {"{\n  \"ociVersion\": \"1.0.0\",\n  5: 2\n}\n",
       "config.json: invalid json at line 3, column 3: invalid object key (must be a string)\n"
       " 3 |   5: 2\n"
       "   |   ^"},
      /* tabs are kept in the caret line, so that the caret lines up in any terminal */
      {"{\n\t\"process\": {\n\t\t\"args\" [\"sh\"]\n\t}\n}",
       "config.json: invalid json at line 3, column 10: object key and value must be separated "
       "by a colon (':')\n"
       " 3 | \t\t\"args\" [\"sh\"]\n"
       "   | \t\t       ^"},
      {"{\"a\": tru}",
       "config.json: invalid json at line 1, column 7: invalid string in json text\n"
       " 1 | {\"a\": tru}\n"
       "   |       ^"},
      {"{\"a\": [1,]}",
       "config.json: invalid json at line 1, column 10: unallowed token at this point in JSON "
       "text\n"
       " 1 | {\"a\": [1,]}\n"
       "   |          ^"},
      {"{}\n}",
       "config.json: invalid json at line 2, column 1: trailing garbage\n"
       " 2 | }\n"
       "   | ^"},
      /* comments are allowed (yajl_allow_comments), a column counts characters, not bytes */
      {"{/* \"x\": 1 */ \"h\u00e9\": 1 \"b\": 2}",
       "config.json: invalid json at line 1, column 23: after key and value, inside map, I "
       "expect ',' or '}'\n"
       " 1 | {/* \"x\": 1 */ \"h\u00e9\": 1 \"b\": 2}\n"
       "   |                       ^"},
      {"\n\n{\"a\": 1,\n\n", "config.json: invalid json at line 3, column 9: unexpected end of input\n"
                             " 3 | {\"a\": 1,\n"
                             "   |         ^"},
      {"", "config.json: invalid json at line 1, column 1: unexpected end of input\n"
           " 1 | \n"
           "   | ^"},
      {long_line, long_want},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct spec *s = NULL;
    cleanup_berr struct berr *err = NULL;
    begin();
    CHECK(spec_parse(cases[i].json, strlen(cases[i].json), &s, &err) == -1);
    CHECK(err && err->code == EINVAL);
    if (err && strcmp(err->msg, cases[i].msg) != 0) {
      fprintf(stderr, "#   want: %s\n#   got:  %s\n", cases[i].msg, err->msg);
      cur_ok = false;
    }
    end("invalid json %zu: line, column and caret", i);
  }
}

/* The pretty writer writes an empty object or array as {} and [] (yajl's beautify writes
 * "{", a blank line and "}"), the compact one as before. */
static void test_json_writer_empty(void) {
  begin();
  for (int pretty = 0; pretty < 2; pretty++) {
    cleanup_json_writer json_writer *w = json_writer_new(pretty);
    jw_object_begin(w);
    jw_key(w, "annotations");
    jw_object_begin(w);
    jw_object_end(w);
    jw_key(w, "a");
    jw_array_begin(w);
    jw_array_end(w);
    jw_kv_string(w, "s", "{ }\n[\n]");
    jw_key(w, "o");
    jw_object_begin(w);
    jw_kv_int(w, "n", 1);
    jw_object_end(w);
    jw_object_end(w);
    const char *t = json_writer_text(w, NULL);
    const char *want =
        pretty ? "{\n\t\"annotations\": {},\n\t\"a\": [],\n\t\"s\": \"{ }\\n[\\n]\",\n\t\"o\": {\n"
                 "\t\t\"n\": 1\n\t}\n}\n"
               : "{\"annotations\":{},\"a\":[],\"s\":\"{ }\\n[\\n]\",\"o\":{\"n\":1}}";
    if (t == NULL || strcmp(t, want) != 0) {
      fprintf(stderr, "#   want: %s\n#   got:  %s\n", want, t ? t : "(null)");
      cur_ok = false;
    }
  }
  cleanup_json_writer json_writer *w = json_writer_new(true);
  jw_array_begin(w);
  jw_array_end(w);
  const char *t = json_writer_text(w, NULL);
  CHECK(t && strcmp(t, "[]\n") == 0);
  end("json writer: empty object and array as {} and []");
}

/* ------------------------------------------------------------ good cases */

static void test_oci_versions(void) {
  static const char *const ok[] = {"1.0.0", "1.0.2-dev", "1.1.0", "1.2.1", "1.3.0", "1.4.0"};
  begin();
  for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
    char json[128];
    snprintf(json, sizeof(json), "{'ociVersion':'%s','root':{'path':'r'}}", ok[i]);
    cleanup_spec struct spec *s = NULL;
    cleanup_berr struct berr *err = NULL;
    if (parse_q(json, &s, &err) != 0) {
      fprintf(stderr, "#   %s: %s\n", ok[i], err ? err->msg : "?");
      cur_ok = false;
      continue;
    }
    CHECK(strcmp(s->oci_version, ok[i]) == 0);
    CHECK(s->process == NULL && s->linux == NULL && s->mounts_len == 0);
  }
  end("ociVersion 1.x.y accepted");
}

static void test_minimal_and_ignored(void) {
  cleanup_spec struct spec *s = NULL;
  cleanup_berr struct berr *err = NULL;
  begin();
  int r = parse_q("{" BASE ",'unknownThing':{'x':[1,2]},'windows':{'layerFolders':5},"
                  "'solaris':1,'vm':'x','zos':[],'freebsd':{},'hostname':null,"
                  "'process':{'cwd':'/','args':['sh'],'futureField':true,'user':{'uid':0,"
                  "'gid':0}}}",
                  &s, &err);
  CHECK(r == 0);
  if (r == 0) {
    CHECK(strcmp(s->root.path, "rootfs") == 0 && !s->root.readonly);
    CHECK(s->hostname == NULL);
    CHECK(s->process && s->process->args.len == 1 && s->process->args.items[1] == NULL);
    CHECK(!s->process->has_oom_score_adj && !s->process->user.has_umask);
    CHECK(s->process->capabilities == NULL);
  } else {
    fprintf(stderr, "#   %s\n", err->msg);
  }
  end("unknown properties and non-linux sections ignored");
}

static void test_uint64_max(void) {
  cleanup_spec struct spec *s = NULL;
  cleanup_berr struct berr *err = NULL;
  begin();
  int r = parse_q(
      "{" BASE "," PROC(",'rlimits':[{'type':'RLIMIT_NOFILE','soft':18446744073709551615,"
                        "'hard':18446744073709551615}],'consoleSize':{'height':"
                        "18446744073709551615,'width':0},'user':{'uid':2147483647,'gid':"
                        "2147483647,'umask':18,'additionalGids':[2147483647,0]},"
                        "'oomScoreAdj':-1000") ",'linux':{'resources':{'memory':{'limit':"
      "-9223372036854775808,'swap':9223372036854775807,'swappiness':18446744073709551615},"
      "'cpu':{'shares':18446744073709551615,'quota':-1,'period':100000},'pids':{'limit':-1},"
      "'hugepageLimits':[{'pageSize':'2MB','limit':18446744073709551615}]},"
      "'seccomp':{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':4294967295,'syscalls':"
      "[{'names':['ioctl'],'action':'SCMP_ACT_ALLOW','args':[{'index':5,'value':"
      "18446744073709551615,'valueTwo':18446744073709551615,'op':'SCMP_CMP_MASKED_EQ'}]}]}}}",
      &s, &err);
  CHECK(r == 0);
  if (r != 0) {
    fprintf(stderr, "#   %s\n", err->msg);
  } else {
    const struct spec_process *p = s->process;
    CHECK(p->rlimits_len == 1 && p->rlimits[0].resource == RLIMIT_NOFILE);
    CHECK(p->rlimits[0].soft == UINT64_MAX && p->rlimits[0].hard == UINT64_MAX);
    CHECK(p->console_size && p->console_size->height == UINT64_MAX);
    CHECK(p->user.uid == INT32_MAX && p->user.gid == INT32_MAX);
    CHECK(p->user.has_umask && p->user.umask == 18);
    CHECK(p->user.additional_gids_len == 2 && p->user.additional_gids[0] == INT32_MAX);
    CHECK(p->has_oom_score_adj && p->oom_score_adj == -1000);
    const struct spec_resources *res = s->linux->resources;
    CHECK(res->memory->has_limit && res->memory->limit == INT64_MIN);
    CHECK(res->memory->swap == INT64_MAX && res->memory->swappiness == UINT64_MAX);
    CHECK(!res->memory->has_reservation);
    CHECK(res->cpu->shares == UINT64_MAX && res->cpu->quota == -1 && !res->cpu->has_burst);
    CHECK(res->has_pids_limit && res->pids_limit == -1);
    CHECK(res->hugepage_limits_len == 1 && res->hugepage_limits[0].limit == UINT64_MAX);
    const struct spec_seccomp *sc = s->linux->seccomp;
    CHECK(sc->has_default_errno_ret && sc->default_errno_ret == UINT32_MAX);
    CHECK(sc->syscalls_len == 1 && sc->syscalls[0].args_len == 1);
    CHECK(sc->syscalls[0].args[0].value == UINT64_MAX);
    CHECK(sc->syscalls[0].args[0].value_two == UINT64_MAX);
    CHECK(sc->syscalls[0].args[0].index == 5);
  }
  end("uint64/uint32/int64 extreme values");
}

static const struct spec_mount *find_mount(const struct spec *s, const char *dest) {
  for (size_t i = 0; i < s->mounts_len; i++)
    if (strcmp(s->mounts[i].destination, dest) == 0)
      return &s->mounts[i];
  return NULL;
}

static void test_mount_options(void) {
  cleanup_spec struct spec *s = NULL;
  cleanup_berr struct berr *err = NULL;
  begin();
  int r = parse_q(
      "{" BASE ",'mounts':["
      "{'destination':'/a','type':'none','source':'/src','options':['ro','nosuid','rbind',"
      "'rro','rprivate']},"
      "{'destination':'/b','type':'tmpfs','source':'tmpfs','options':['nosuid','size=64k',"
      "'tmpcopyup','mode=755','noexec']},"
      "{'destination':'/c','type':'bind','source':'/c','options':['rw','ro','rw','idmap']},"
      "{'destination':'/d','type':'proc','source':'proc'},"
      "{'destination':'/e','type':'none','source':'/e','options':['bind','rnoatime','rrw',"
      "'ridmap','shared','private'],'uidMappings':[{'containerID':0,'hostID':1000,'size':10}],"
      "'gidMappings':[{'containerID':0,'hostID':1000,'size':10}]}]}",
      &s, &err);
  CHECK(r == 0);
  if (r != 0) {
    fprintf(stderr, "#   %s\n", err->msg);
    end("mount option translation");
    return;
  }
  const struct spec_mount *a = find_mount(s, "/a"), *b = find_mount(s, "/b"),
                          *c = find_mount(s, "/c"), *d = find_mount(s, "/d"),
                          *e = find_mount(s, "/e");
  CHECK(a && b && c && d && e);
  if (!(a && b && c && d && e)) {
    end("mount option translation");
    return;
  }
  CHECK(a->is_bind && a->flags == (MS_RDONLY | MS_NOSUID | MS_BIND | MS_REC));
  CHECK(a->propagation == (MS_PRIVATE | MS_REC));
  CHECK(a->attr_recursive && a->attr_set == MOUNT_ATTR_RDONLY && a->attr_clr == 0);
  CHECK(a->data == NULL && !a->tmpcopyup);
  CHECK(!b->is_bind && b->flags == (MS_NOSUID | MS_NOEXEC) && b->tmpcopyup);
  CHECK(b->data && strcmp(b->data, "size=64k,mode=755") == 0);
  CHECK(!b->attr_recursive && b->propagation == 0);
  CHECK(c->is_bind && c->flags == MS_BIND && c->clear_flags == MS_RDONLY && c->idmap && !c->ridmap);
  CHECK(d->flags == 0 && d->data == NULL && d->options.items == NULL && !d->is_bind);
  CHECK(e->is_bind && e->flags == MS_BIND && e->propagation == MS_PRIVATE && e->ridmap);
  CHECK(e->attr_set == MOUNT_ATTR_NOATIME);
  CHECK(e->attr_clr == (MOUNT_ATTR__ATIME | MOUNT_ATTR_RDONLY));
  CHECK(e->uid_mappings_len == 1 && e->uid_mappings[0].host_id == 1000);
  CHECK(e->gid_mappings_len == 1 && e->gid_mappings[0].size == 10);
  end("mount option translation (ro,nosuid,rbind,rro,tmpcopyup,size=64k)");
}

/* mount_setattr(2) takes an atime mode only with all of MOUNT_ATTR__ATIME in attr_clr. */
static void test_atime_attr_options(void) {
  static const struct {
    const char *opts;
    uint64_t set, clr;
  } cases[] = {
      {"'rnoatime'", MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME},
      {"'ratime'", 0, MOUNT_ATTR__ATIME},
      {"'rstrictatime'", MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME},
      {"'rnostrictatime'", 0, MOUNT_ATTR__ATIME},
      {"'rrelatime'", 0, MOUNT_ATTR__ATIME},
      {"'rnorelatime'", MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME},
      {"'rnoatime','ratime'", 0, MOUNT_ATTR__ATIME},
      {"'rstrictatime','rnoatime','rnodiratime'", MOUNT_ATTR_NOATIME | MOUNT_ATTR_NODIRATIME,
       MOUNT_ATTR__ATIME},
      {"'rnodiratime','rdiratime','rrw'", 0, MOUNT_ATTR_NODIRATIME | MOUNT_ATTR_RDONLY},
  };
  begin();
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    cleanup_spec struct spec *s = NULL;
    cleanup_berr struct berr *err = NULL;
    char json[1024];
    snprintf(json, sizeof(json),
             "{" BASE ",'mounts':[{'destination':'/a','type':'bind','source':'/a','options':"
             "['rbind',%s]}]}",
             cases[i].opts);
    CHECK(parse_q(json, &s, &err) == 0);
    if (s == NULL || s->mounts_len != 1)
      continue;
    if (s->mounts[0].attr_set != cases[i].set || s->mounts[0].attr_clr != cases[i].clr) {
      fprintf(stderr, "#   [%s]: set 0x%llx clr 0x%llx\n", cases[i].opts,
              (unsigned long long)s->mounts[0].attr_set, (unsigned long long)s->mounts[0].attr_clr);
      cur_ok = false;
    }
  }
  end("atime attr options set a whole mode with MOUNT_ATTR__ATIME cleared");
}

static void test_namespaces_and_linux(void) {
  cleanup_spec struct spec *s = NULL;
  cleanup_berr struct berr *err = NULL;
  begin();
  int r = parse_q(
      "{" BASE ",'linux':{'namespaces':[{'type':'pid'},{'type':'network','path':"
      "'/run/netns/x'},{'type':'mount','path':''},{'type':'time'}],'rootfsPropagation':"
      "'rslave','personality':{'domain':'LINUX32','flags':[]},'memoryPolicy':{'mode':"
      "'MPOL_INTERLEAVE','nodes':'2-3','flags':['MPOL_F_STATIC_NODES']},'intelRdt':{'closID':"
      "'g','schemata':['L3:0=f'],'enableMonitoring':true},'netDevices':{'eth9':{'name':'e0'},"
      "'eth8':{}},'resources':{'devices':[{'allow':false},{'allow':true,'type':'c','major':1,"
      "'access':'rw'}],'rdma':{'mlx':{'hcaHandles':3}},'unified':{'memory.max':'max'}}}}",
      &s, &err);
  CHECK(r == 0);
  if (r != 0) {
    fprintf(stderr, "#   %s\n", err->msg);
    end("linux section");
    return;
  }
  CHECK(spec_has_new_namespace(s, NS_PID));
  CHECK(!spec_has_new_namespace(s, NS_NETWORK));
  CHECK(spec_find_namespace(s, NS_NETWORK) &&
        strcmp(spec_find_namespace(s, NS_NETWORK)->path, "/run/netns/x") == 0);
  CHECK(spec_has_new_namespace(s, NS_MOUNT)); /* "" path: new namespace */
  CHECK(spec_has_new_namespace(s, NS_TIME));
  CHECK(spec_find_namespace(s, NS_USER) == NULL && !spec_has_new_namespace(s, NS_USER));
  const struct spec_linux *l = s->linux;
  CHECK(l->rootfs_propagation == (MS_SLAVE | MS_REC));
  CHECK(l->personality && l->personality->domain == PER_LINUX32);
  CHECK(l->memory_policy && l->memory_policy->mode == 3 &&
        l->memory_policy->flags == (1U << 15));
  CHECK(l->intel_rdt && l->intel_rdt->enable_monitoring && l->intel_rdt->schemata.len == 1);
  CHECK(l->net_devices_len == 2 && strcmp(l->net_devices[0].host_name, "eth9") == 0 &&
        strcmp(l->net_devices[0].name, "e0") == 0 && l->net_devices[1].name == NULL);
  const struct spec_resources *res = l->resources;
  CHECK(res->devices_len == 2 && res->devices[0].type == 'a' && !res->devices[0].allow);
  CHECK(res->devices[0].major == -1 && !res->devices[0].has_major && res->devices[0].access == NULL);
  CHECK(res->devices[1].type == 'c' && res->devices[1].major == 1 && res->devices[1].minor == -1);
  CHECK(res->rdma_len == 1 && res->rdma[0].has_hca_handles && !res->rdma[0].has_hca_objects);
  CHECK(res->unified_len == 1 && strcmp(res->unified[0].value, "max") == 0);
  end("linux: namespaces, propagation, personality, memoryPolicy, resources");
}

static void test_spec_example(const char *path) {
  begin();
  cleanup_free char *text = path ? read_all(path) : NULL;
  if (text == NULL) {
    printf("ok - spec example config # SKIP %s not readable\n", path ? path : "(no path)");
    passed++;
    return;
  }
  cleanup_spec struct spec *s = NULL;
  cleanup_berr struct berr *err = NULL;
  int r = spec_parse(text, strlen(text), &s, &err);
  CHECK(r == 0);
  if (r != 0) {
    fprintf(stderr, "#   %s\n", err->msg);
    end("spec example config parses");
    return;
  }
  CHECK(s->process && s->process->terminal && s->process->user.additional_gids_len == 2);
  CHECK(s->process->io_priority && s->process->io_priority->klass == 3);
  CHECK(s->process->capabilities && s->process->capabilities->has_bounding);
  CHECK(s->process->capabilities->bounding & (UINT64_C(1) << 29)); /* CAP_AUDIT_WRITE */
  CHECK(s->hooks.prestart.len == 2 && s->hooks.poststart.len == 1);
  CHECK(s->hooks.poststart.items[0].has_timeout && s->hooks.poststart.items[0].timeout == 5);
  CHECK(s->mounts_len == 7);
  const struct spec_linux *l = s->linux;
  CHECK(l && l->namespaces_len == 8 && l->devices_len == 2);
  CHECK(l->devices[0].type == 'c' && l->devices[0].major == 10 && l->devices[0].file_mode == 438);
  CHECK(l->time_monotonic.present && l->time_monotonic.secs == 172800);
  CHECK(l->rootfs_propagation == MS_SLAVE);
  CHECK(l->resources && l->resources->block_io && l->resources->block_io->weight_device_len == 2);
  CHECK(l->resources->block_io->weight_device[1].has_weight &&
        !l->resources->block_io->weight_device[1].has_leaf_weight);
  CHECK(l->resources->network && l->resources->network->class_id == 1048577);
  CHECK(l->seccomp && l->seccomp->architectures_len == 2);
  CHECK(l->sysctl_len == 2 && s->annotations_len == 2);
  end("spec example config parses");
}

static bool has_suffix(const char *s, const char *suf) {
  size_t a = strlen(s), b = strlen(suf);
  return a >= b && strcmp(s + a - b, suf) == 0;
}

static void test_engine_configs(const char *dir) {
  cleanup_dir DIR *d = dir ? opendir(dir) : NULL;
  if (d == NULL) {
    printf("ok - engine configs # SKIP %s not readable\n", dir ? dir : "(no dir)");
    passed++;
    return;
  }
  struct dirent *de;
  int count = 0;
  while ((de = readdir(d)) != NULL) {
    if (!has_suffix(de->d_name, ".json"))
      continue;
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
    cleanup_free char *text = read_all(path);
    cleanup_spec struct spec *s = NULL;
    cleanup_berr struct berr *err = NULL;
    begin();
    CHECK(text != NULL);
    if (text && spec_parse(text, strlen(text), &s, &err) != 0) {
      fprintf(stderr, "#   %s\n", err->msg);
      cur_ok = false;
    }
    if (s) {
      CHECK(s->process && s->process->args.len > 0 && s->linux);
      CHECK(s->linux->namespaces_len >= 5 && spec_has_new_namespace(s, NS_MOUNT));
      CHECK(s->mounts_len > 0 && find_mount(s, "/proc") != NULL);
      if (strncmp(de->d_name, "docker", 6) == 0) {
        CHECK(s->linux->seccomp && s->linux->seccomp->syscalls_len > 0);
        CHECK(s->hooks.prestart.len == 1);
      }
      if (strncmp(de->d_name, "podman", 6) == 0)
        CHECK(!spec_has_new_namespace(s, NS_NETWORK) && spec_find_namespace(s, NS_NETWORK));
    }
    end("engine config %s parses", de->d_name);
    count++;
  }
  begin();
  CHECK(count >= 12);
  end("found %d engine configs", count);
}

static void test_bundle_and_process(void) {
  cleanup_spec struct spec *s = NULL;
  cleanup_berr struct berr *err = NULL;
  begin();
  CHECK(spec_load_bundle("/nonexistent-berth-bundle", &s, &err) == -1);
  CHECK(err && err->code == ENOENT);
  CHECK(err && strcmp(err->msg, "open config.json in bundle /nonexistent-berth-bundle: No such "
                                "file or directory") == 0);
  end("spec_load_bundle: missing bundle keeps errno");

  begin();
  char dir[] = "/tmp/berth-test-bundle-XXXXXX";
  CHECK(mkdtemp(dir) != NULL);
  char path[PATH_MAX];
  snprintf(path, sizeof(path), "%s/config.json", dir);
  cleanup_free char *json = q("{" BASE "," PROC("") "}");
  FILE *f = fopen(path, "we");
  if (f) {
    fputs(json, f);
    fclose(f);
  }
  berr_cleanup(&err);
  CHECK(spec_load_bundle(dir, &s, &err) == 0 && s && strcmp(s->process->cwd, "/") == 0);
  unlink(path);
  rmdir(dir);
  end("spec_load_bundle reads <bundle>/config.json");

  begin();
  struct spec_process *p = NULL;
  berr_cleanup(&err);
  cleanup_free char *pj = q("{'cwd':'/work','args':['ls','-l'],'env':['A=1'],'terminal':true,"
                            "'user':{'uid':1,'gid':2}}");
  CHECK(spec_parse_process(pj, strlen(pj), &p, &err) == 0);
  CHECK(p && p->terminal && p->args.len == 2 && p->env.len == 1 && p->user.gid == 2);
  spec_process_free(p);
  end("spec_parse_process parses a process object");

  static const struct error_case perr[] = {
      {"{'cwd':'rel','args':['x']}",
       "process.json: cwd: must be an absolute path, got \"rel\""},
      {"{'cwd':'/'}", "process.json: args: required"},
      {"{'cwd':'/','args':['x'],'user':{'uid':'a','gid':0}}",
       "process.json: user.uid: expected number, got string"},
      {"[1]", "process.json: expected object, got array"},
      {"{'cwd':", NULL},
  };
  for (size_t i = 0; i < sizeof(perr) / sizeof(perr[0]); i++) {
    begin();
    p = NULL;
    berr_cleanup(&err);
    cleanup_free char *text = q(perr[i].json);
    CHECK(spec_parse_process(text, strlen(text), &p, &err) == -1 && p == NULL);
    if (perr[i].msg)
      CHECK(err && strcmp(err->msg, perr[i].msg) == 0);
    else
      CHECK(err && strncmp(err->msg, "process.json: invalid json at line 1, column 8: ", 48) == 0);
    if (err && !cur_ok)
      fprintf(stderr, "#   got: %s\n", err->msg);
    end("process.json error: %s", perr[i].msg ? perr[i].msg : "invalid json");
  }
}

/* ----------------------------------------------------------------- tables */

static void test_parse_resources(void) {
  const char *ok = "{\"memory\": {\"limit\": 1048576, \"swap\": -1}, \"cpu\": {\"cpus\": \"0-1\"},"
                   " \"pids\": {\"limit\": 7}, \"blockIO\": {\"weight\": 300}}";
  struct spec_resources *r = NULL;
  cleanup_berr struct berr *err = NULL;
  begin();
  CHECK(spec_parse_resources(ok, strlen(ok), &r, &err) == 0);
  CHECK(r && r->memory && r->memory->has_limit && r->memory->limit == 1048576);
  CHECK(r && r->memory && r->memory->has_swap && r->memory->swap == -1);
  CHECK(r && r->memory && !r->memory->has_reservation);
  CHECK(r && r->cpu && strcmp(r->cpu->cpus, "0-1") == 0 && !r->cpu->has_shares);
  CHECK(r && r->has_pids_limit && r->pids_limit == 7);
  CHECK(r && r->block_io && r->block_io->has_weight && r->block_io->weight == 300);
  spec_resources_free(r);
  end("spec_parse_resources: a linux.resources object alone");

  const struct {
    const char *text, *msg;
  } bad[] = {
      {"{\"memory\": {\"limit\": \"x\"}}", "linux.resources.memory.limit: "},
      {"{\"pids\": {}}", "linux.resources.pids.limit: "},
      {"[1]", "linux.resources: "},
      {"{", ""},
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    begin();
    r = NULL;
    berr_cleanup(&err);
    CHECK(spec_parse_resources(bad[i].text, strlen(bad[i].text), &r, &err) == -1 && r == NULL);
    CHECK(err && strncmp(err->msg, bad[i].msg, strlen(bad[i].msg)) == 0);
    end("spec_parse_resources: %s -> \"%s...\" (%s)", bad[i].text, bad[i].msg,
        err ? err->msg : "no error");
  }
}

static void test_signals(void) {
  begin();
  CHECK(signal_from_name("KILL") == SIGKILL);
  CHECK(signal_from_name("SIGKILL") == SIGKILL);
  CHECK(signal_from_name("sigterm") == SIGTERM);
  CHECK(signal_from_name("term") == SIGTERM);
  CHECK(signal_from_name("9") == 9);
  CHECK(signal_from_name("15") == SIGTERM);
  CHECK(signal_from_name("HUP") == SIGHUP && signal_from_name("SIGWINCH") == SIGWINCH);
  CHECK(signal_from_name("SIGRTMIN") == SIGRTMIN);
  CHECK(signal_from_name("SIGRTMIN+3") == SIGRTMIN + 3);
  CHECK(signal_from_name("RTMAX-2") == SIGRTMAX - 2);
  CHECK(signal_from_name("SIGRTMAX") == SIGRTMAX);
  CHECK(signal_from_name("SIGRTMIN+100") == -1);
  CHECK(signal_from_name("SIGRTMAX+1") == -1);
  CHECK(signal_from_name("0") == -1 && signal_from_name("65") == -1);
  CHECK(signal_from_name("SIGBOGUS") == -1 && signal_from_name("") == -1);
  CHECK(signal_from_name("9x") == -1 && signal_from_name(NULL) == -1);
  end("signal names");
}

static void test_capabilities(void) {
  begin();
  CHECK(cap_from_name("CAP_CHOWN") == 0);
  CHECK(cap_from_name("CAP_SYS_ADMIN") == 21);
  CHECK(cap_from_name("CAP_AUDIT_READ") == 37);
  CHECK(cap_from_name("CAP_PERFMON") == 38 && cap_from_name("CAP_BPF") == 39);
  CHECK(cap_from_name("CAP_CHECKPOINT_RESTORE") == 40);
  CHECK(cap_from_name("CAP_BOGUS") == -1 && cap_from_name("chown") == -1);
  CHECK(cap_table_last() == 40);
  for (int i = 0; i <= cap_table_last(); i++)
    CHECK(cap_name(i) != NULL && cap_from_name(cap_name(i)) == i);
  CHECK(cap_name(41) == NULL && cap_name(-1) == NULL);
  end("capability names");
  /* "" as a label or profile means none (as runc) */
  begin();
  cleanup_berr struct berr *err = NULL;
  cleanup_spec struct spec *l = NULL;
  CHECK(parse_q("{" BASE "," PROC(",'apparmorProfile':'','selinuxLabel':''") ","
                "'linux':{'mountLabel':''}}", &l, &err) == 0);
  CHECK(l && l->process->apparmor_profile == NULL && l->process->selinux_label == NULL &&
        l->linux->mount_label == NULL);
  end("empty LSM labels are none");
}

static void test_other_tables(void) {
  begin();
  CHECK(ns_type_from_name("network") == NS_NETWORK && ns_type_from_name("net") == -1);
  CHECK(strcmp(ns_proc_name(NS_MOUNT), "mnt") == 0 && strcmp(ns_proc_name(NS_NETWORK), "net") == 0);
  CHECK(strcmp(ns_type_name(NS_CGROUP), "cgroup") == 0);
  CHECK(ns_clone_flag(NS_USER) == CLONE_NEWUSER && ns_clone_flag(NS_TIME) == 0x80);
  CHECK(rlimit_from_name("RLIMIT_NOFILE") == RLIMIT_NOFILE);
  CHECK(rlimit_from_name("RLIMIT_RTTIME") == RLIMIT_RTTIME && rlimit_from_name("NOFILE") == -1);
  CHECK(strcmp(rlimit_name(RLIMIT_CORE), "RLIMIT_CORE") == 0);
  unsigned long prop = 0;
  CHECK(propagation_from_name("rshared", &prop) == 0 && prop == (MS_SHARED | MS_REC));
  CHECK(propagation_from_name("ro", &prop) == -1);
  const struct mount_option *o = mount_option_lookup("rbind");
  CHECK(o && o->kind == MOPT_FLAG && o->flag == (MS_BIND | MS_REC));
  o = mount_option_lookup("rw");
  CHECK(o && o->clear && o->flag == MS_RDONLY);
  o = mount_option_lookup("rro");
  CHECK(o && o->kind == MOPT_ATTR && o->attr == MOUNT_ATTR_RDONLY);
  CHECK(mount_option_lookup("tmpcopyup")->kind == MOPT_EXTENSION);
  CHECK(mount_option_lookup("size=1k") == NULL);
  size_t n = 0;
  CHECK(mount_option_table(&n) != NULL && n > 50);
  uint32_t a = 0;
  int op = 0;
  unsigned int fl = 0;
  CHECK(seccomp_action_from_name("SCMP_ACT_ALLOW", &a) == 0 && a == 0x7fff0000U);
  CHECK(seccomp_action_from_name("SCMP_ACT_ERRNO", &a) == 0 && a == 0x00050000U);
  CHECK(seccomp_operator_from_name("SCMP_CMP_MASKED_EQ", &op) == 0 && op == 7);
  CHECK(seccomp_arch_from_name("SCMP_ARCH_X86_64", &a) == 0 && a == 0xc000003eU);
  CHECK(seccomp_flag_from_name("SECCOMP_FILTER_FLAG_SPEC_ALLOW", &fl) == 0 && fl == 4);
  CHECK(seccomp_action_name_at(0) && seccomp_action_name_at(9) == NULL);
  CHECK(seccomp_operator_name_at(6) && seccomp_operator_name_at(7) == NULL);
  CHECK(seccomp_flag_name_at(3) && seccomp_flag_name_at(4) == NULL);
  CHECK(seccomp_arch_name_at(0) != NULL);
  uint64_t sf = 0;
  CHECK(sched_policy_from_name("SCHED_ISO") == 4 && sched_policy_from_name("SCHED_DEADLINE") == 6);
  CHECK(sched_flag_from_name("SCHED_FLAG_UTIL_CLAMP_MAX", &sf) == 0 && sf == 0x40);
  CHECK(ioprio_class_from_name("IOPRIO_CLASS_BE") == 2 && ioprio_class_from_name("x") == -1);
  CHECK(mempolicy_mode_from_name("MPOL_WEIGHTED_INTERLEAVE") == 6);
  CHECK(mempolicy_flag_from_name("MPOL_F_RELATIVE_NODES", &fl) == 0 && fl == (1U << 14));
  end("namespace, rlimit, mount, seccomp, sched, ioprio, mempolicy tables");
}

/* json_lookup_string: delete's one-field read of the config copy (perf17) */
static void test_json_lookup_string(void) {
  begin();
  static const char *const path[] = {"linux", "cgroupsPath"};
  static const struct {
    const char *json;
    int want;
    const char *value;
  } cases[] = {
      {"{'linux':{'cgroupsPath':'/a/b'}}", 1, "/a/b"},
      {"{'linux':{'cgroups\\u0050ath':'/e'}}", 1, "/e"},
      {"{'x':{'linux':{'cgroupsPath':'/nested'}},'linux':{}}", 0, NULL},
      {"{'linux':{'resources':{'cgroupsPath':'/deeper'}}}", 0, NULL},
      {"{'linux':[{'cgroupsPath':'/array'}]}", 0, NULL},
      {"{'cgroupsPath':'/top','linux':{'a':[1,{'b':2}],'cgroupsPath':'/after'}}", 1, "/after"},
      {"{'linux':{'cgroupsPath':null}}", 0, NULL},
      {"{'linux':{'cgroupsPath':5}}", -1, NULL},
      {"{'linux':{'cgroupsPath':{}}}", -1, NULL},
      {"{'linux':{'cgroupsPath':'a\\u0000b'}}", -1, NULL},
      {"{'linux':{'cgroupsPath':'/first','cgroupsPath':'/second'}}", 1, "/first"},
      {"/* c */ {'linux':{'cgroupsPath':'/c'}}", 1, "/c"},
      {"{'linux':{'cgroupsPath':'/x'}", -1, NULL},
      {"", -1, NULL},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    cleanup_free char *text = q(cases[i].json);
    char *out = (char *)"unset";
    int r = json_lookup_string(text, strlen(text), path, 2, &out);
    if (r != cases[i].want || (cases[i].value ? out == NULL || strcmp(out, cases[i].value) != 0
                                              : out != NULL)) {
      fprintf(stderr, "#   case %zu (%s): got %d %s\n", i, cases[i].json, r, out ? out : "NULL");
      cur_ok = false;
    }
    free(out);
  }
  end("json_lookup_string");
}

int main(int argc, char **argv) {
  const char *engine_dir = argc > 1 ? argv[1] : NULL;
  const char *example = argc > 2 ? argv[2] : NULL;
  test_error_cases();
  test_invalid_json();
  test_json_writer_empty();
  test_oci_versions();
  test_minimal_and_ignored();
  test_uint64_max();
  test_mount_options();
  test_atime_attr_options();
  test_namespaces_and_linux();
  test_spec_example(example);
  test_engine_configs(engine_dir);
  test_bundle_and_process();
  test_parse_resources();
  test_signals();
  test_capabilities();
  test_other_tables();
  test_json_lookup_string();
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
