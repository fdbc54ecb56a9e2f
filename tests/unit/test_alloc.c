/* The malloc contract, as berth's code and libraries rely on it. In the musl build these are
 * libcontainer/alloc.c's functions (the binary links them instead of musl's); with glibc the
 * same checks run against glibc's. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int passed, failed;

static void check(bool ok, const char *what) {
  printf("%s - %s\n", ok ? "ok" : "not ok", what);
  ok ? passed++ : failed++;
}

static bool all_zero(const unsigned char *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i])
      return false;
  return true;
}

static bool pattern_ok(const unsigned char *p, size_t n, unsigned char seed) {
  for (size_t i = 0; i < n; i++)
    if (p[i] != (unsigned char)(seed + i))
      return false;
  return true;
}

static void fill(unsigned char *p, size_t n, unsigned char seed) {
  for (size_t i = 0; i < n; i++)
    p[i] = (unsigned char)(seed + i);
}

int main(void) {
  /* alignment and sizes from 0 to past the largest size class */
  bool aligned = true;
  static const size_t sizes[] = {0, 1, 15, 16, 17, 100, 4096, 65535, 65536, 65537, 1 << 20};
  for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
    unsigned char *p = malloc(sizes[i]);
    if (p == NULL || ((uintptr_t)p & 15) != 0)
      aligned = false;
    if (p)
      fill(p, sizes[i], 7); /* the whole block is writable */
    free(p);
  }
  check(aligned, "malloc: every size 16-byte aligned, 0 to 1 MiB");

  /* calloc zeroes a block that comes back from the free list dirty */
  unsigned char *d = malloc(200);
  memset(d, 0xaa, 200);
  free(d);
  unsigned char *z = calloc(25, 8);
  check(z && all_zero(z, 200), "calloc: a recycled block is zeroed");
  free(z);
#ifdef __SANITIZE_ADDRESS__
  /* ASan's allocator reports the overflow and aborts (allocator_may_return_null=0) */
  printf("ok - # SKIP calloc overflow: the sanitizer's allocator\n");
#else
  errno = 0;
  volatile size_t huge = SIZE_MAX / 4; /* volatile: not refused at compile time */
  void *o = calloc(huge, 8);
  check(o == NULL && errno == ENOMEM, "calloc: n * size overflow is ENOMEM");
#endif

  /* realloc keeps the contents: growing in its class, to a bigger class, to a mapping of its
   * own, and back */
  unsigned char *r = malloc(20);
  fill(r, 20, 3);
  r = realloc(r, 30);
  bool ok = r && pattern_ok(r, 20, 3);
  fill(r, 30, 4);
  r = realloc(r, 5000);
  ok = ok && r && pattern_ok(r, 30, 4);
  fill(r, 5000, 5);
  r = realloc(r, 300000);
  ok = ok && r && pattern_ok(r, 5000, 5);
  fill(r, 300000, 6);
  r = realloc(r, 100);
  ok = ok && r && pattern_ok(r, 100, 6);
  check(ok, "realloc: contents kept up to 300000 bytes and back down");
  free(r);
  void *fresh = realloc(NULL, 10);
  check(fresh != NULL, "realloc(NULL, n) allocates");
  free(fresh);

  /* many blocks alive at once do not overlap (a bump allocator past its chunk would) */
  enum { N = 3000 };
  static unsigned char *blocks[N];
  for (int i = 0; i < N; i++) {
    size_t n = 1 + (size_t)(i * 37 % 900);
    blocks[i] = malloc(n);
    if (blocks[i])
      fill(blocks[i], n, (unsigned char)i);
  }
  ok = true;
  for (int i = 0; i < N; i++) {
    size_t n = 1 + (size_t)(i * 37 % 900);
    ok = ok && blocks[i] && pattern_ok(blocks[i], n, (unsigned char)i);
    free(blocks[i]);
  }
  check(ok, "3000 live blocks of 1-900 bytes (1.3 MiB, several chunks) keep their contents");

  /* strdup and friends inside the C library allocate with it too, and free() takes theirs */
  char *s = strdup("berth");
  check(s && strcmp(s, "berth") == 0, "strdup (the C library's allocation) works with free()");
  free(s);
  char *a = NULL;
  check(asprintf(&a, "%s-%d", "x", 42) == 4 && strcmp(a, "x-42") == 0, "asprintf");
  free(a);

  /* a block freed twice is caught: the process aborts rather than hand the block out twice */
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open("/dev/null", O_WRONLY);
    dup2(fd, 2); /* the allocator's (or sanitizer's) report */
    char *volatile twice = malloc(48); /* volatile: the pair is not optimized away */
    twice[0] = 1;
    free(twice);
    free(twice);
    _exit(0);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  check(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT, "a double free aborts");

  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
