/* Times one command: tspawn OUTFILE CMD [ARGS...] runs CMD with stdout and
 * stderr into OUTFILE (stdin /dev/null) and prints "NANOSECONDS STATUS
 * MAXRSS_KB CPU_MICROSECONDS": the wall time from just before posix_spawn to
 * wait4's return, the exit status (128+N when killed by signal N), wait4's
 * ru_maxrss, and user+system time of the command and the children it reaped.
 * The harness (bench.py) calls it so its own start-up is not measured. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: tspawn OUTFILE CMD [ARGS...]\n");
    return 2;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  struct timespec a, b;
  pid_t pid;
  int status;
  struct rusage ru;
  clock_gettime(CLOCK_MONOTONIC, &a);
  if (posix_spawn(&pid, argv[2], &fa, NULL, argv + 2, environ) != 0) {
    perror("posix_spawn");
    return 2;
  }
  if (wait4(pid, &status, 0, &ru) < 0) {
    perror("wait4");
    return 2;
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  long long ns = (b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec);
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  long cpu_us = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000L + ru.ru_utime.tv_usec +
                ru.ru_stime.tv_usec;
  printf("%lld %d %ld %ld\n", ns, code, ru.ru_maxrss, cpu_us);
  return 0;
}
