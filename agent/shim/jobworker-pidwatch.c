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
 * stdout: one line per watched process once it is gone: "<pid> <start ticks> gone"
 *         (at once if it was already gone, or is another process by now), or
 *         "<pid> <start ticks> error" if it cannot be watched (no pidfd: EMFILE...);
 *         the agent then has to find out another way.
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

#include "proc-stat.h"

#define MAX_WATCHED 65536

struct watched {
  int pid;
  unsigned long long start;
};

static struct pollfd fds[MAX_WATCHED + 1];
static struct watched who[MAX_WATCHED + 1];
static int count = 1; /* fds[0] is stdin */

/* The start time of a live process; 0 when it is gone or a zombie (a zombie has died: its monitor work is over). */
static unsigned long long start_ticks(int pid) {
  char state = 0;
  unsigned long long ticks = proc_start_ticks(pid, &state);
  return state == 'Z' || state == 'X' ? 0 : ticks;
}

static void tell(int pid, unsigned long long start, const char *what) {
  printf("%d %llu %s\n", pid, start, what);
  fflush(stdout);
}

static void watch(int pid, unsigned long long start) {
  if (count > MAX_WATCHED) return tell(pid, start, "error");
  int fd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (fd < 0) return tell(pid, start, errno == ESRCH ? "gone" : "error");
  if (start_ticks(pid) != start) { /* another process by now, or a zombie: ours has ended */
    close(fd);
    return tell(pid, start, "gone");
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
      tell(who[i].pid, who[i].start, "gone");
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
