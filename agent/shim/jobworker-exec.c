/*
 * jobworker-exec: the minimal exec shim between the agent and a job's command.
 *
 * Node cannot run code in a child between fork and exec, yet a job must be
 * placed (cgroup, credentials, working directory, stderr merged into stdout)
 * before its command runs a single instruction. The agent spawns this shim in a
 * new session; the shim arranges all of that and then execs the command, so
 * the command inherits everything and nothing of the job ever runs outside.
 *
 * Usage: jobworker-exec [-c CGROUP_PROCS] [-g GID] [-u UID] [-d DIR] -- CMD [ARGS...]
 *
 * fd 3 is the status channel: it is close-on-exec, so a successful exec closes
 * it with nothing written. On any failure the shim writes one line
 * "<stage>: <reason>" there and exits 127; the agent then records the job as
 * FAILED with that message (the exit code alone would be ambiguous: a command
 * may exit 127 by itself).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define STATUS_FD 3

static void fail(const char *stage, const char *detail, int err) {
  char line[1024];
  int n = snprintf(line, sizeof line, "%s %s: %s\n", stage, detail, strerror(err));
  if (n > 0) {
    ssize_t ignored = write(STATUS_FD, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
    (void)ignored;
  }
  _exit(127);
}

static long parse_id(const char *text, const char *what) {
  char *end = NULL;
  errno = 0;
  long v = strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || v < 0) fail("parse", what, EINVAL);
  return v;
}

static void join_cgroup(const char *procs_file) {
  int fd = open(procs_file, O_WRONLY | O_CLOEXEC);
  if (fd < 0) fail("open", procs_file, errno);
  char pid[32];
  int n = snprintf(pid, sizeof pid, "%d\n", (int)getpid());
  if (write(fd, pid, (size_t)n) != n) fail("join cgroup", procs_file, errno);
  close(fd);
}

int main(int argc, char **argv) {
  const char *cgroup_procs = NULL, *dir = NULL;
  long uid = -1, gid = -1;
  int opt;

  /* Without the status channel there is nobody to tell; still refuse to run. */
  if (fcntl(STATUS_FD, F_SETFD, FD_CLOEXEC) < 0) return 126;

  while ((opt = getopt(argc, argv, "+c:g:u:d:")) != -1) {
    switch (opt) {
      case 'c': cgroup_procs = optarg; break;
      case 'g': gid = parse_id(optarg, "gid"); break;
      case 'u': uid = parse_id(optarg, "uid"); break;
      case 'd': dir = optarg; break;
      default: fail("usage", "unknown option", EINVAL);
    }
  }
  if (optind >= argc) fail("usage", "no command", EINVAL);

  /* Combined output in write order: both streams share the one pipe. */
  if (dup2(STDOUT_FILENO, STDERR_FILENO) < 0) fail("dup2", "stderr", errno);

  /* First, so that every later step and the command itself are accounted to the job. */
  if (cgroup_procs) join_cgroup(cgroup_procs);

  /* Drop supplementary groups, then the gid, then the uid: the order that still has the privilege to do each. */
  if (gid >= 0) {
    if (setgroups(0, NULL) < 0) fail("setgroups", "[]", errno);
    if (setgid((gid_t)gid) < 0) fail("setgid", argv[0], errno);
  }
  if (uid >= 0 && setuid((uid_t)uid) < 0) fail("setuid", argv[0], errno);

  if (dir && chdir(dir) < 0) fail("chdir", dir, errno);

  execvp(argv[optind], &argv[optind]);
  fail("exec", argv[optind], errno);
  return 127;
}
