/* malloc for the musl build (linked in only there, see meson.build).
 *
 * berth is a short-lived process: it allocates a few hundred small blocks and exits. musl's
 * allocator (mallocng) hands memory back to the kernel as soon as a group of blocks is free:
 * one `run` made 24 mmap and 23 munmap calls, page faults on every new page, and more mappings
 * for clone to copy. This one takes memory in 256 KiB chunks and keeps freed blocks on a list
 * per size class (powers of two from 16 bytes to 64 KiB); larger blocks are mappings of their
 * own, unmapped on free. A block is preceded by a 16-byte header holding its class (or its
 * mapping's size), which keeps the 16-byte alignment malloc owes.
 *
 * berth has one thread; a process it forks keeps a consistent copy. Long-running commands
 * (run attached, events) free what they allocate in their loops, so the lists bound them.
 *
 * Checked, and abort() on failure, as musl's and glibc's allocators do: a block freed twice or
 * a pointer malloc did not return (its header must name a class and say "in use"), and a free
 * list whose next block does not say "free" (its link was overwritten). */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define HDR 16
#define MIN_SHIFT 4  /* 16 bytes */
#define MAX_SHIFT 16 /* 64 KiB */
#define NCLASS (MAX_SHIFT - MIN_SHIFT + 1)
#define CHUNK (256 * 1024)
#define LARGE ((size_t)-1) /* header tag: a mapping of its own, its size in the next word */

struct block {
  size_t cls; /* class index, or LARGE */
  size_t len; /* LARGE: the mapping's length; else IN_USE or FREE */
};
#define IN_USE 0x6265727468 /* "berth" */
#define FREE 0x66726565     /* "free" */

static void *free_list[NCLASS];
static char *bump, *bump_end;

static int class_of(size_t n) {
  int c = 0;
  while (((size_t)1 << (c + MIN_SHIFT)) < n)
    c++;
  return c;
}

static void *from_chunk(size_t bytes) {
  if (bump == NULL || (size_t)(bump_end - bump) < bytes) {
    size_t len = bytes > CHUNK ? bytes : CHUNK;
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
      return NULL;
    bump = p; /* the rest of the old chunk is dropped: rare, and bounded by one block */
    bump_end = bump + len;
  }
  void *p = bump;
  bump += bytes;
  return p;
}

/* not named malloc: GCC turns malloc + memset into a call to calloc, which in calloc itself
 * would recurse */
static void *alloc_block(size_t n) {
  if (n > ((size_t)1 << MAX_SHIFT)) {
    if (n > SIZE_MAX - HDR - 4096) {
      errno = ENOMEM;
      return NULL;
    }
    size_t len = (n + HDR + 4095) & ~(size_t)4095;
    struct block *b = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (b == MAP_FAILED) {
      errno = ENOMEM;
      return NULL;
    }
    b->cls = LARGE;
    b->len = len;
    return (char *)b + HDR;
  }
  int c = class_of(n);
  void *p = free_list[c];
  if (p) {
    struct block *b = (struct block *)((char *)p - HDR);
    if (b->cls != (size_t)c || b->len != FREE)
      abort(); /* the free list is corrupt */
    free_list[c] = *(void **)p;
    b->len = IN_USE;
    return p;
  }
  struct block *b = from_chunk(HDR + ((size_t)1 << (c + MIN_SHIFT)));
  if (b == NULL) {
    errno = ENOMEM;
    return NULL;
  }
  b->cls = (size_t)c;
  b->len = IN_USE;
  return (char *)b + HDR;
}

void *malloc(size_t n) { return alloc_block(n); }

static struct block *header(void *p) { return (struct block *)((char *)p - HDR); }

static size_t capacity(const struct block *b) {
  return b->cls == LARGE ? b->len - HDR : (size_t)1 << (b->cls + MIN_SHIFT);
}

void free(void *p) {
  if (p == NULL)
    return;
  struct block *b = header(p);
  if (b->cls == LARGE) {
    munmap(b, b->len);
    return;
  }
  if (b->cls >= NCLASS || b->len != IN_USE)
    abort(); /* freed twice, or not from malloc */
  b->len = FREE;
  *(void **)p = free_list[b->cls];
  free_list[b->cls] = p;
}

void *calloc(size_t n, size_t size) {
  if (size && n > SIZE_MAX / size) {
    errno = ENOMEM;
    return NULL;
  }
  void *p = alloc_block(n * size);
  if (p)
    memset(p, 0, n * size);
  return p;
}

void *realloc(void *p, size_t n) {
  if (p == NULL)
    return alloc_block(n);
  size_t cap = capacity(header(p));
  if (n <= cap && (n > cap / 2 || cap <= 64))
    return p;
  void *q = alloc_block(n);
  if (q == NULL)
    return NULL;
  memcpy(q, p, n < cap ? n : cap);
  free(p);
  return q;
}

size_t malloc_usable_size(void *p) { return p ? capacity(header(p)) : 0; }
