/* /proc/PID/stat, as the C helpers need it: shared by jobworker-monitor.c and jobworker-pidwatch.c. */
#ifndef JOBWORKER_PROC_STAT_H
#define JOBWORKER_PROC_STAT_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* /proc/PID/NAME into buf, NUL-terminated; its length, or -1 if the process (or file) is gone. */
static ssize_t read_proc_file(int pid, const char *name, char *buf, size_t size) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/%s", pid, name);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, size - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = '\0';
  return n;
}

/* Field 22 (start time in clock ticks since boot): with the pid it names one
 * process across pid reuse. 0 if there is no such process. *state gets field 3
 * ('R', 'S', ..., 'Z' for a zombie) when state is not NULL. */
static unsigned long long proc_start_ticks(int pid, char *state) {
  char buf[2048];
  if (read_proc_file(pid, "stat", buf, sizeof buf) < 0) return 0;
  char *p = strrchr(buf, ')'); /* the command name (field 2) may hold spaces and parentheses */
  if (!p || p[1] == '\0') return 0;
  p += 2; /* field 3 */
  if (state) *state = *p;
  for (int field = 3; field < 22 && p; field++) {
    p = strchr(p, ' ');
    if (p) p++;
  }
  return p ? strtoull(p, NULL, 10) : 0;
}

#endif
