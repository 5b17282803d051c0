/*
 * jobworker-pidwatch: tells the agent when processes it names have died.
 *
 * A job's monitor is not the agent's child (and, after an agent restart, was
 * never this agent's child), so Node gets no exit event for it. This helper
 * holds a pidfd per watched process and polls them all: no /proc polling loop,
 * no pid-reuse race (the start time is checked after the pidfd is open, so the
 * pidfd is known to name that very process).
 *
 * stdin:  one line per process to watch: "<pid> <start ticks>"
 * stdout: one line per watched process once it is gone: "<pid> <start ticks>"
 *         (at once if it was already gone, or is another process by now)
 * It exits when stdin closes (the agent is gone).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_WATCHED 65536

struct watched {
  int pid;
  unsigned long long start;
};

static struct pollfd fds[MAX_WATCHED + 1];
static struct watched who[MAX_WATCHED + 1];
static int count = 1; /* fds[0] is stdin */

static unsigned long long start_ticks(int pid) {
  char path[64], buf[2048];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  char *p = strrchr(buf, ')');
  if (!p) return 0;
  p += 2;
  for (int field = 3; field < 22 && p; field++) {
    p = strchr(p, ' ');
    if (p) p++;
  }
  /* A zombie has died already: its monitor work is over. */
  char state = buf[(strrchr(buf, ')') - buf) + 2];
  if (state == 'Z' || state == 'X') return 0;
  return p ? strtoull(p, NULL, 10) : 0;
}

static void gone(int pid, unsigned long long start) {
  printf("%d %llu\n", pid, start);
  fflush(stdout);
}

static void watch(int pid, unsigned long long start) {
  int fd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (fd < 0 || start_ticks(pid) != start || count > MAX_WATCHED) {
    if (fd >= 0) close(fd);
    gone(pid, start);
    return;
  }
  fds[count] = (struct pollfd){.fd = fd, .events = POLLIN};
  who[count] = (struct watched){pid, start};
  count++;
}

int main(void) {
  char line[128];
  size_t used = 0;
  fds[0] = (struct pollfd){.fd = 0, .events = POLLIN};
  for (;;) {
    if (poll(fds, (nfds_t)count, -1) < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    for (int i = count - 1; i >= 1; i--) {
      if (!fds[i].revents) continue;
      close(fds[i].fd);
      gone(who[i].pid, who[i].start);
      fds[i] = fds[count - 1];
      who[i] = who[count - 1];
      count--;
    }
    if (fds[0].revents) {
      ssize_t n = read(0, line + used, sizeof line - 1 - used);
      if (n <= 0) return 0;
      used += (size_t)n;
      line[used] = '\0';
      char *start = line, *nl;
      while ((nl = strchr(start, '\n'))) {
        *nl = '\0';
        int pid;
        unsigned long long ticks;
        if (sscanf(start, "%d %llu", &pid, &ticks) == 2) watch(pid, ticks);
        start = nl + 1;
      }
      used = strlen(start);
      memmove(line, start, used + 1);
      if (used == sizeof line - 1) used = 0; /* a line too long to be ours: drop it */
    }
  }
}
