/* uverbs-probe DEV N: opens DEV (/dev/infiniband/uverbsX) N times and asks for a verbs context
 * on each (IB_USER_VERBS_CMD_GET_CONTEXT, which the rdma cgroup charges as one hca_handle),
 * then one protection domain on the first context (IB_USER_VERBS_CMD_ALLOC_PD: one hca_object).
 * Prints one word per attempt, "ok" or the errno name (EAGAIN: the cgroup's limit), space
 * separated: "ctx:ok ctx:EAGAIN pd:ok". The raw uverbs write ABI, so no libibverbs is needed in
 * the container. Keeps everything open until it exits. */
#include <errno.h>
#include <fcntl.h>
#include <rdma/ib_user_verbs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *name(int e) {
  switch (e) {
  case 0:
    return "ok";
  case EAGAIN:
    return "EAGAIN";
  case ENOENT:
    return "ENOENT";
  case EPERM:
    return "EPERM";
  case EACCES:
    return "EACCES";
  case EINVAL:
    return "EINVAL";
  default:
    return strerror(e);
  }
}

/* one legacy write command: header, the command's body (response pointer first) */
static int command(int fd, uint32_t cmd, void *resp, size_t resp_len) {
  struct {
    struct ib_uverbs_cmd_hdr hdr;
    __u64 response;
  } req = {.hdr = {.command = cmd, .in_words = sizeof(req) / 4, .out_words = resp_len / 4},
           .response = (uintptr_t)resp};
  return write(fd, &req, sizeof(req)) == (ssize_t)sizeof(req) ? 0 : errno;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: uverbs-probe DEV N\n");
    return 2;
  }
  int n = atoi(argv[2]), first = -1;
  for (int i = 0; i < n; i++) {
    int fd = open(argv[1], O_RDWR | O_CLOEXEC);
    if (fd < 0) {
      printf("%sopen:%s", i ? " " : "", name(errno));
      continue;
    }
    struct ib_uverbs_get_context_resp r;
    int e = command(fd, IB_USER_VERBS_CMD_GET_CONTEXT, &r, sizeof(r));
    printf("%sctx:%s", i ? " " : "", name(e));
    if (e == 0 && first < 0)
      first = fd;
  }
  if (first >= 0) {
    struct ib_uverbs_alloc_pd_resp r;
    printf(" pd:%s", name(command(first, IB_USER_VERBS_CMD_ALLOC_PD, &r, sizeof(r))));
  }
  printf("\n");
  return 0;
}
