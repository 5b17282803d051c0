/*
 * jobworker-monitor: one per job, the job's parent, independent of the agent.
 *
 * The agent starts it and may then restart, upgrade or crash: the monitor
 * keeps the job's output pipe drained into the output file and, once the job
 * has ended and its output is complete, writes the job's end atomically beside
 * it. Every later agent learns everything from those files (as conmon's
 * exit files and containerd's shims let their daemons reattach).
 *
 *   agent ──spawn──▶ monitor (exits at once) ──fork──▶ monitor (setsid, subreaper)
 *                                                         │ fork
 *                                                         ▼
 *                                     job: setsid, cgroup leaf, credentials, chdir, exec
 *
 * Usage: jobworker-monitor -D JOBDIR -d WORKDIR [-c JOB_CGROUP_DIR] [-m MONITOR_CGROUP_PROCS]
 *          [-u UID -g GID] [-n [-U CLAIM_DIR]] [-l CAP_BYTES] [-t DRAIN_MS] -- CMD [ARGS...]
 *
 *   -n  the uid and gid are the job's own: refuse them ("uid-in-use") if NSS
 *       knows them or any process already runs as the uid (a /proc scan).
 *   -U  and claim the uid host-wide first: an flock on CLAIM_DIR/UID, held for
 *       the monitor's life, so that two agents (or any two monitors) never give
 *       one uid to two jobs, nor kill each other's jobs when one ends; removed
 *       once the job's processes and files are gone.
 *
 *       jobworker-monitor -C -d WORKDIR [-u UID -g GID] [-n [-U CLAIM_DIR]]
 *   only the cleanup that follows every job (for a job whose monitor is gone):
 *   as UID, kill what runs as it (with -n) and empty WORKDIR; then remove WORKDIR.
 *   With -U it claims the uid first, and cleans nothing (exit 1) if another
 *   monitor holds it: the uid is then someone else's job now.
 *
 * Files it writes (root's, mode 0600; the agent reads them):
 *   JOBDIR/output   the combined stdout+stderr, appended up to CAP_BYTES
 *   JOBDIR/monitor  once the exec outcome is known: who the monitor and the job are
 *   JOBDIR/exit     once the job has ended and its output is drained: how it ended
 * Both are "key=value" lines, written to a temporary file and renamed; the exit file
 * is fsynced first, the monitor file right after the agent has been answered.
 *
 * fd 3 is the report channel to the agent that started it: the same text as
 * JOBDIR/monitor (or "error=<stage>: <reason>" if the monitor could not set the
 * job up), then closed. Exit status of the first process: 0, or 125 when it
 * could not fork.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <dirent.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proc-stat.h"

#define REPORT_FD 3
#define CHUNK (1 << 20)
/* exec_step, exec_errno and exec_error (at most 900 bytes of detail), as the job's process writes them */
#define EXEC_FAILURE_BYTES 1024

struct options {
  const char *job_dir, *work_dir, *job_cgroup, *monitor_procs, *claim_dir;
  long uid, gid;
  int own_ids;
  unsigned long long cap;
  long drain_ms;
  int cleanup_only;
  char **argv;
};

/* What the monitor knows of the output so far. */
struct capture {
  int out_fd;
  int splice_ok;
  unsigned long long written, dropped;
  char write_error[256];
};

static char *detail_of(const char *fmt, va_list ap) {
  static char text[1024];
  vsnprintf(text, sizeof text, fmt, ap);
  for (char *p = text; *p; p++)
    if (*p == '\n') *p = ' ';
  return text;
}

/* Before the job exists: tell the agent why, and give up. */
static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  dprintf(REPORT_FD, "error=%s\n", detail_of(fmt, ap));
  va_end(ap);
  _exit(125);
}

/* In the job's process before exec: the failed step, its errno and a line of
 * detail, as monitor-file fields, on the exec-status pipe; then exit 127.
 * The step and errno are what callers act on (not found is not "not
 * executable"); the detail is for people. */
static void child_fail(int status_fd, const char *step, int err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  const char *text = detail_of(fmt, ap);
  va_end(ap);
  char fields[EXEC_FAILURE_BYTES];
  int n = snprintf(fields, sizeof fields, "exec_step=%s\nexec_errno=%d\nexec_error=%.900s\n", step, err, text);
  ssize_t ignored = write(status_fd, fields, n > 0 && (size_t)n < sizeof fields ? (size_t)n : sizeof fields - 1);
  (void)ignored;
  _exit(127);
}

static long parse_number(const char *text, const char *what) {
  char *end = NULL;
  errno = 0;
  long long v = strtoll(text, &end, 10);
  /* (uid_t)-1 would make setresuid a no-op: the job would stay root. */
  if (errno != 0 || end == text || *end != '\0' || v < 0 || v >= 4294967295LL) die("usage: bad %s '%s'", what, text);
  return (long)v;
}

static void parse(int argc, char **argv, struct options *o) {
  int opt;
  memset(o, 0, sizeof *o);
  o->uid = o->gid = -1;
  o->cap = ULLONG_MAX;
  o->drain_ms = 2000;
  while ((opt = getopt(argc, argv, "+CD:d:c:m:u:g:nU:l:t:")) != -1) {
    switch (opt) {
      case 'C': o->cleanup_only = 1; break;
      case 'D': o->job_dir = optarg; break;
      case 'd': o->work_dir = optarg; break;
      case 'c': o->job_cgroup = optarg; break;
      case 'm': o->monitor_procs = optarg; break;
      case 'u': o->uid = parse_number(optarg, "uid"); break;
      case 'g': o->gid = parse_number(optarg, "gid"); break;
      case 'n': o->own_ids = 1; break;
      case 'U': o->claim_dir = optarg; break;
      case 'l': o->cap = (unsigned long long)strtoull(optarg, NULL, 10); break;
      case 't': o->drain_ms = parse_number(optarg, "drain timeout"); break;
      default: die("usage: unknown option");
    }
  }
  if (o->cleanup_only) {
    if (!o->work_dir) die("usage: -C needs -d");
    return;
  }
  if (!o->job_dir || !o->work_dir) die("usage: -D and -d are required");
  if (optind >= argc) die("usage: no command");
  o->argv = &argv[optind];
}

static int write_all(int fd, const char *data, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    data += w;
    n -= (size_t)w;
  }
  return 0;
}

static int write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  int rc = write_all(fd, text, strlen(text));
  int saved = errno;
  close(fd);
  errno = saved;
  return rc;
}

/* The directory's entries (a rename into it) on disk; best effort. */
static void sync_dir(const char *dir_path) {
  int dir = open(dir_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    fsync(dir);
    close(dir);
  }
}

/* JOBDIR/.name.tmp, written and open at fd, becomes JOBDIR/name: fsync, rename, fsync of the directory. */
static int publish(const char *job_dir, int fd, const char *name) {
  char tmp[PATH_MAX], final[PATH_MAX];
  snprintf(tmp, sizeof tmp, "%s/.%s.tmp", job_dir, name);
  snprintf(final, sizeof final, "%s/%s", job_dir, name);
  if (fsync(fd) < 0) {
    close(fd);
    return -1;
  }
  close(fd);
  if (rename(tmp, final) < 0) return -1;
  sync_dir(job_dir);
  return 0;
}

/* JOBDIR/name replaced atomically (written, then renamed), but not yet on disk: the returned fd is
 * for make_durable, once the agent has its answer. Until then the agent (and any agent
 * after it, short of a power loss) reads the whole file from the page cache; after a power
 * loss in between it may be empty, and the job is gone too (a job never survives a
 * reboot). Measured (npm run bench -- --only start-rpc, loaded 2-core machine): fsync p50
 * 1.5 ms, p90 8 ms here, and Start waited on five in a row. */
static int write_atomically_unsynced(const char *job_dir, const char *name, const char *text) {
  char tmp[PATH_MAX], final[PATH_MAX];
  snprintf(tmp, sizeof tmp, "%s/.%s.tmp", job_dir, name);
  snprintf(final, sizeof final, "%s/%s", job_dir, name);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return -1;
  if (write_all(fd, text, strlen(text)) < 0 || rename(tmp, final) < 0) {
    int err = errno;
    close(fd);
    unlink(tmp);
    errno = err;
    return -1;
  }
  return fd;
}

/* fsync of a file written earlier and of its directory; best effort (the job runs already). */
static void make_durable(const char *job_dir, int fd) {
  fsync(fd);
  close(fd);
  sync_dir(job_dir);
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* For deadlines: a clock nobody can set back or forward. */
static long long mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A /proc/PID/status text of a live (not zombie) process with uid as its real, effective, saved or fs uid. */
static int status_has_uid(const char *status, long uid) {
  const char *state = strstr(status, "\nState:");
  if (state) {
    state += 7;
    while (*state == ' ' || *state == '\t') state++;
    if (*state == 'Z' || *state == 'X') return 0; /* it has died; only its parent's reaping is left */
  }
  const char *line = strstr(status, "\nUid:");
  long ids[4];
  if (!line || sscanf(line + 5, "%ld %ld %ld %ld", &ids[0], &ids[1], &ids[2], &ids[3]) != 4) return 0;
  for (int i = 0; i < 4; i++)
    if (ids[i] == uid) return 1;
  return 0;
}

static int pid_runs_as(pid_t pid, long uid) {
  char buf[4096];
  return read_proc_file((int)pid, "status", buf, sizeof buf) > 0 && status_has_uid(buf, uid);
}

/* A cheap first look, before reading a process's status (the kernel formats all of
 * it, and with thousands of jobs ending at once these scans were most of the host's
 * time): the directory /proc/PID belongs to the process's effective uid, dumpable or
 * not, so one that belongs to anyone but uid or root is not running as uid. A root-owned
 * one (monitors, the agent) may still have uid as its real or saved uid, and is read.
 * Measured (npm run bench -- --only fleet, quiet 2-core machine, no cgroups): Stop of
 * 1,000 running jobs 57.1 and 55.2 s before, 37.5 and 38.7 s after. */
static int may_run_as(int proc_fd, const char *name, long uid) {
  struct stat st;
  if (fstatat(proc_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) return 0; /* gone */
  return st.st_uid == 0 || (long)st.st_uid == uid;
}

/* Scans /proc for live processes running as uid: how many it found (it stops at the
 * first unless kill_them; *first gets that one). With kill_them each gets SIGKILL
 * through a pidfd opened before its uid is checked, so a reused pid is never hit.
 * (kill(-1, 0) as that uid cannot tell: Linux answers 0 when every target refuses.) */
static int scan_uid(long uid, int kill_them, pid_t *first) {
  DIR *proc = opendir("/proc");
  if (!proc) return 0;
  struct dirent *e;
  int found = 0;
  while ((e = readdir(proc))) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    if (!may_run_as(dirfd(proc), e->d_name, uid)) continue;
    pid_t pid = (pid_t)atoi(e->d_name);
    if (!kill_them) {
      if (!pid_runs_as(pid, uid)) continue;
      if (first) *first = pid;
      found = 1;
      break;
    }
    int fd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (fd < 0) continue;
    if (pid_runs_as(pid, uid)) {
      syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0);
      found++;
    }
    close(fd);
  }
  closedir(proc);
  return found;
}

static pid_t process_running_as(long uid) {
  pid_t pid = 0;
  return scan_uid(uid, 0, &pid) ? pid : 0;
}

/* SIGKILL, from root, to every process running as uid, round after round until a scan
 * finds none (forks in flight are caught by the next round). -1 if some survive.
 * For processes that are not the monitor's descendants (cleanup after a monitor is gone). */
static int kill_all_of(long uid) {
  for (int round = 0; round < 100; round++) {
    if (scan_uid(uid, 1, NULL) == 0) return 0;
    /* Reap what is ours (the subreaper inherits the job's orphans), so the next scan does not wait on zombies. */
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
    usleep(1000);
  }
  return process_running_as(uid) ? -1 : 0;
}

/* Waits for a child that runs as a job's uid: its exit status, or -1 if it did not exit.
 * Anything else of the uid may stop it (it shares their uid): a stopped child is killed,
 * so the monitor never waits on one forever. */
static int wait_uid_child(pid_t p) {
  int status = 0;
  for (;;) {
    if (waitpid(p, &status, WUNTRACED) < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (!WIFSTOPPED(status)) break;
    kill(p, SIGKILL);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Runs fn(uid) in a forked child whose real, effective and saved uid are uid (so it is not
 * dumpable, and nothing of the job can trace it), with no descriptor of the monitor's but
 * out_fd (as fd 3); the child's exit status, or -1 if it did not exit: a process of the
 * job killed or stopped it first. */
static int as_uid(long uid, int (*fn)(long uid, int out_fd), int out_fd) {
  pid_t p = fork();
  if (p < 0) return -1;
  if (p == 0) {
    if (out_fd >= 0 && out_fd != 3 && dup2(out_fd, 3) < 0) _exit(125);
    if (syscall(SYS_close_range, out_fd >= 0 ? 4U : 3U, ~0U, 0U) < 0) _exit(125);
    if (setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid) < 0) _exit(125);
    _exit(fn(uid, out_fd >= 0 ? 3 : -1));
  }
  return wait_uid_child(p);
}

/* kill(-1, SIGKILL) made as uid reaches every process whose real or saved uid is uid: all
 * of a job's processes, which cannot change their uid. The kernel walks the process list
 * holding tasklist_lock, which fork also takes, after checking for pending signals, to
 * add a child: a fork in flight either finishes first and its child is killed, or fails.
 * One system call instead of rounds of /proc scans. */
static int kill_everything_of_self(long uid, int out_fd) {
  (void)uid;
  (void)out_fd;
  return kill(-1, SIGKILL) == 0 || errno == ESRCH ? 0 : 1;
}

/* Looks for a live process running as uid, from a child that is uid: kill(pid, 0) then
 * answers EPERM at once for every process whose real and saved uids are not uid (the
 * other jobs' monitors and root's daemons), so only the /proc entries owned by uid and
 * the root-owned ones the probe reaches (a non-dumpable process of uid, or a zombie)
 * have their status read. What it cannot see: a root process with only its effective or
 * filesystem uid set to uid and not dumpable. Writes the pid found to out_fd. */
static int find_process_of_self(long uid, int out_fd) {
  /* /proc mounted hidepid= hides other users' processes (and non-dumpable ones of its own)
   * from a process without the right group: root's scan decides then. */
  char parent[32];
  snprintf(parent, sizeof parent, "/proc/%d", (int)getppid());
  if (access(parent, F_OK) < 0) return 2;
  DIR *proc = opendir("/proc");
  if (!proc) return 2;
  struct dirent *e;
  while ((e = readdir(proc))) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    struct stat st;
    if (fstatat(dirfd(proc), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) continue;
    pid_t pid = (pid_t)atoi(e->d_name);
    if (pid == getpid()) continue;
    if ((long)st.st_uid != uid && (st.st_uid != 0 || kill(pid, 0) < 0)) continue;
    if (!pid_runs_as(pid, uid)) continue;
    ssize_t ignored = write(out_fd, &pid, sizeof pid);
    (void)ignored;
    closedir(proc);
    return 1;
  }
  closedir(proc);
  return 0;
}

/* The setup check that no process runs as the job's uid yet: the pid of one, or 0.
 * Measured with 1,000 root processes running (as with 1,000 jobs' monitors; loaded
 * 2-core machine, 50 calls each, two runs): the status-reading scan as root 49 and 37 ms
 * a call, this one 20 and 9 ms. It is still a scan: Linux has no list of a uid's
 * processes (RLIMIT_NPROC's count covers real uids only). */
static pid_t process_running_as_cheaply(long uid) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0) return process_running_as(uid);
  int found = as_uid(uid, find_process_of_self, fds[1]);
  close(fds[1]);
  pid_t pid = 0;
  if (found == 1 && read(fds[0], &pid, sizeof pid) != (ssize_t)sizeof pid) pid = 0;
  close(fds[0]);
  if (found == 0) return 0;
  if (found == 1 && pid > 0) return pid;
  return process_running_as(uid); /* the probe failed: the full scan decides */
}

/* Reaps the monitor's children until it has none (1), or until deadline (0). The monitor
 * is a subreaper: each of the job's processes becomes its child once its parent has died,
 * and a job cannot make a process outside its tree, so no children left means nothing
 * the job started is alive. */
static int reap_all_until(long long deadline) {
  for (;;) {
    pid_t r;
    while ((r = waitpid(-1, NULL, WNOHANG)) > 0) {
    }
    if (r < 0 && errno == ECHILD) return 1;
    if (mono_ms() > deadline) return 0;
    usleep(1000);
  }
}

/* The end of a job with a uid of its own, once its group has had SIGKILL: when what was
 * in the group is reaped and nothing else is left (the common case), that is all, at no
 * cost. Otherwise something escaped the group (setsid): every process running as the uid
 * is killed at once (kill_everything_of_self) and reaped. Processes of the uid that are
 * not the job's are killed too, but not waited for. -1 if some are still alive after 2 s
 * (one stuck in the kernel), and the cleanup is left for later. Measured (npm run bench
 * -- --only fleet, 2-core machine, loaded): Stop of 1,000 running jobs 37.5 s with three
 * /proc scans per job's end; 17.0 s with a kill(-1) for each; 5.1 s with this. */
static int end_processes_of(long uid) {
  if (reap_all_until(mono_ms() + 20)) return 0;
  int sent = -1;
  for (int tries = 0; tries < 100 && sent == -1; tries++) sent = as_uid(uid, kill_everything_of_self, -1);
  if (sent != 0) return kill_all_of(uid); /* the uid could not be taken, or the job kept killing the killer */
  return reap_all_until(mono_ms() + 2000) ? 0 : -1;
}

/* The exit file's space, taken while the disk may still have some: a job that
 * ends on a full disk still gets its end recorded. fallocate takes the blocks at once
 * (or fails with ENOSPC); the file's fsync comes after the agent has its answer. */
#define EXIT_RESERVE 4096

static int reserve_exit_file(const char *job_dir) {
  char path[PATH_MAX], blank[EXIT_RESERVE];
  snprintf(path, sizeof path, "%s/.exit.tmp", job_dir);
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) die("create %s: %s", path, strerror(errno));
  memset(blank, '\n', sizeof blank);
  if (write_all(fd, blank, sizeof blank) < 0) die("reserve %s: %s", path, strerror(errno));
  /* The blocks taken now, synchronously (no fsync): where fallocate is not supported (NFS,
   * FUSE...), fsync allocates them, as it did before, and reports ENOSPC. */
  if (fallocate(fd, 0, 0, EXIT_RESERVE) < 0 && (errno != EOPNOTSUPP || fsync(fd) < 0)) die("reserve %s: %s", path, strerror(errno));
  return fd;
}

/* Writes the end into the reserved file (no new blocks needed), then renames it into place. */
static int write_exit_file(const char *job_dir, int fd, const char *text) {
  size_t n = strlen(text);
  if (pwrite(fd, text, n, 0) != (ssize_t)n || ftruncate(fd, (off_t)n) < 0) return -1;
  return publish(job_dir, fd, "exit");
}

/* The host-wide claim of a job's own uid: CLAIM_DIR/UID, flocked for as long
 * as this process lives (the kernel drops the lock when it dies, however it
 * dies: no stale claims to judge). Its holder unlinks it once the uid's
 * processes and files are gone, so a locked file that is no longer at the
 * path (unlinked between our open and our lock) is retried. Returns the held
 * fd; -1 with errno set on failure, EWOULDBLOCK when another monitor holds it. */
static int claim_uid(const char *dir, long uid, char *path, size_t size) {
  snprintf(path, size, "%s/%ld", dir, uid);
  for (int tries = 0; tries < 8; tries++) {
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return -1;
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
      int err = errno;
      close(fd);
      errno = err;
      return -1;
    }
    struct stat held, now;
    if (fstat(fd, &held) == 0 && stat(path, &now) == 0 && held.st_dev == now.st_dev && held.st_ino == now.st_ino) return fd;
    close(fd);
  }
  errno = EAGAIN;
  return -1;
}

/* The uid is free again (its processes killed, its files gone): the claim goes, then the lock with the process. */
static void release_claim(const char *path) {
  if (path[0]) unlink(path);
}

/* The monitor's own placement and protection; none of it is inherited by the job. */
static int setup_monitor(const struct options *o, char *old_oom, size_t old_oom_size, int *exit_fd, char *claim_path) {
  char self[32];
  snprintf(self, sizeof self, "%d\n", (int)getpid());
  if (o->monitor_procs && write_file(o->monitor_procs, self) < 0)
    die("monitor cgroup %s: %s", o->monitor_procs, strerror(errno));
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) die("subreaper: %s", strerror(errno));
  old_oom[0] = '\0';
  int fd = open("/proc/self/oom_score_adj", O_RDWR | O_CLOEXEC);
  if (fd >= 0) {
    ssize_t n = read(fd, old_oom, old_oom_size - 1);
    old_oom[n > 0 ? n : 0] = '\0';
    ssize_t ignored = pwrite(fd, "-1000", 5, 0); /* needs CAP_SYS_RESOURCE; best effort without it */
    (void)ignored;
    close(fd);
  }
  if (o->own_ids && o->claim_dir && claim_uid(o->claim_dir, o->uid, claim_path, PATH_MAX) < 0) {
    if (errno == EWOULDBLOCK) die("uid-in-use: uid %ld is claimed by another job's monitor (%s/%ld)", o->uid, o->claim_dir, o->uid);
    die("claim uid %ld in %s: %s", o->uid, o->claim_dir, strerror(errno));
  }
  if (o->own_ids) {
    struct passwd *pw = getpwuid((uid_t)o->uid);
    if (pw) die("uid-in-use: uid %ld is user %s", o->uid, pw->pw_name);
    struct group *gr = getgrgid((gid_t)o->gid);
    if (gr) die("uid-in-use: gid %ld is group %s", o->gid, gr->gr_name);
    pid_t other = process_running_as_cheaply(o->uid);
    if (other) die("uid-in-use: process %d already runs as uid %ld", (int)other, o->uid);
  }
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/output", o->job_dir);
  int out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (out < 0) die("create %s: %s", path, strerror(errno));
  *exit_fd = reserve_exit_file(o->job_dir);
  return out;
}

/* In the forked child: becomes the job, then execs its command. Never returns. */
static void become_job(const struct options *o, int out_w, int status_w, const char *old_oom, const sigset_t *mask) {
  if (setsid() < 0) child_fail(status_w, "setsid", errno, "setsid: %s", strerror(errno));
  for (int sig = 1; sig < NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP) signal(sig, SIG_DFL); /* the monitor ignores SIGPIPE and SIGHUP; the job must not */
  sigprocmask(SIG_UNBLOCK, mask, NULL);
  if (old_oom[0]) write_file("/proc/self/oom_score_adj", old_oom);
  /* First, so that every later step and the command itself are accounted to the job. */
  if (o->job_cgroup) {
    char procs[PATH_MAX];
    snprintf(procs, sizeof procs, "%s/cgroup.procs", o->job_cgroup);
    char self[32];
    snprintf(self, sizeof self, "%d\n", (int)getpid());
    if (write_file(procs, self) < 0) child_fail(status_w, "cgroup", errno, "join cgroup %s: %s", procs, strerror(errno));
  }
  int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (devnull < 0 || dup2(devnull, 0) < 0) child_fail(status_w, "stdin", errno, "stdin /dev/null: %s", strerror(errno));
  /* Combined output in write order: both streams share the one pipe. */
  if (dup2(out_w, 1) < 0 || dup2(out_w, 2) < 0) child_fail(status_w, "output", errno, "dup2 output: %s", strerror(errno));
  /* Drop supplementary groups, then the gid, then the uid: the order that still has the privilege to do each. */
  if (o->gid >= 0) {
    if (setgroups(0, NULL) < 0) child_fail(status_w, "setgroups", errno, "setgroups []: %s", strerror(errno));
    if (setresgid((gid_t)o->gid, (gid_t)o->gid, (gid_t)o->gid) < 0) child_fail(status_w, "setgid", errno, "setgid %ld: %s", o->gid, strerror(errno));
  }
  if (o->uid >= 0 && setresuid((uid_t)o->uid, (uid_t)o->uid, (uid_t)o->uid) < 0)
    child_fail(status_w, "setuid", errno, "setuid %ld: %s", o->uid, strerror(errno));
  /* A uid of its own is only worth having if no job can take another's: a setuid binary
   * that one job leaves behind must not hand its uid (or file capabilities) to a later job. */
  if (o->own_ids && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) child_fail(status_w, "no_new_privs", errno, "no_new_privs: %s", strerror(errno));
  if (chdir(o->work_dir) < 0) child_fail(status_w, "chdir", errno, "chdir %s: %s", o->work_dir, strerror(errno));
  /* A job sees exactly fds 0, 1 and 2: everything else closes at exec (the status pipe only then). */
  if (syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */) < 0) {
    for (int fd = 3; fd < 65536; fd++)
      if (fd != status_w) close(fd);
  }
  execvp(o->argv[0], o->argv);
  child_fail(status_w, "exec", errno, "exec %s: %s", o->argv[0], strerror(errno));
}

enum drained { DRAINED_EOF, DRAINED_SOME, DRAINED_EMPTY };

static void note_write_error(struct capture *c, int err) {
  if (c->write_error[0] == '\0') snprintf(c->write_error, sizeof c->write_error, "writing the output file failed: %s", strerror(err));
}

/* Moves what the pipe has to the output file, within the cap. A write error
 * (ENOSPC, EIO, ...) loses those bytes, counted, and never stops the draining:
 * the job is never blocked on its output. */
static enum drained drain_once(int pipe_r, struct capture *c, unsigned long long cap, char *buf) {
  unsigned long long room = c->written < cap ? cap - c->written : 0;
  size_t want = room > 0 && room < CHUNK ? (size_t)room : CHUNK;
  if (room > 0 && c->splice_ok) {
    loff_t offset = (loff_t)c->written;
    ssize_t n = splice(pipe_r, NULL, c->out_fd, &offset, want, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n > 0) {
      c->written += (unsigned long long)n;
      return DRAINED_SOME;
    }
    if (n == 0) return DRAINED_EOF;
    if (errno == EAGAIN || errno == EINTR) return DRAINED_EMPTY;
    if (errno == EINVAL) c->splice_ok = 0; /* no splice to this file system: plain reads and writes from now on */
    else note_write_error(c, errno);
  }
  ssize_t r = read(pipe_r, buf, want);
  if (r == 0) return DRAINED_EOF;
  if (r < 0) return DRAINED_EMPTY; /* EAGAIN, EINTR */
  ssize_t w = room > 0 ? pwrite(c->out_fd, buf, (size_t)r, (off_t)c->written) : 0;
  if (w < 0) {
    note_write_error(c, errno);
    w = 0;
  }
  c->written += (unsigned long long)w;
  c->dropped += (unsigned long long)(r - w); /* over the cap, or not written: discarded and counted */
  return DRAINED_SOME;
}

/* cgroup.kill: SIGKILL to everything in the job's leaf, atomically, forks included. */
static void kill_cgroup(const char *job_cgroup) {
  if (!job_cgroup) return;
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/cgroup.kill", job_cgroup);
  write_file(path, "1");
}

struct ending {
  int status;
  int exited;
};

/* Reaps every child (the subreaper inherits the job's orphans). When the job's
 * main process has ended, kills what it left behind while its zombie still holds
 * the pid, so the group and cgroup signalled are certainly the job's. */
static void reap(pid_t job, const struct options *o, struct ending *end) {
  for (;;) {
    siginfo_t info;
    memset(&info, 0, sizeof info);
    if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) < 0 || info.si_pid == 0) return;
    if (info.si_pid == job && !end->exited) {
      kill(-job, SIGKILL);
      kill_cgroup(o->job_cgroup);
      waitpid(job, &end->status, 0);
      end->exited = 1;
      /* With a uid of its own, whatever escaped the group (setsid) is reached too
       * (end_processes_of), so its output ends now, not after the drain timeout. */
      if (o->own_ids && o->uid > 0) end_processes_of(o->uid);
    } else {
      waitpid(info.si_pid, NULL, 0);
    }
  }
}

static const char *signal_name(int sig) {
  const char *abbrev = sigabbrev_np(sig);
  static char name[32];
  snprintf(name, sizeof name, "SIG%s", abbrev ? abbrev : "UNKNOWN");
  return name;
}

#define MAX_DEPTH 32

/* Removes what is inside the directory open at dirfd, without following any
 * symlink the job planted (every step is relative to an fd, O_NOFOLLOW). A
 * directory deeper than MAX_DEPTH is moved up into the top directory (top_fd)
 * for a later pass, so a tree of any depth is removed with few descriptors. */
static void empty_dir(int top_fd, int dirfd, int depth, unsigned *moved) {
  if (fchmod(dirfd, 0700) < 0) { /* a job may have made its own directories read-only; not ours to fix if it fails */
  }
  DIR *dir = fdopendir(dirfd);
  if (!dir) {
    close(dirfd);
    return;
  }
  struct dirent *e;
  while ((e = readdir(dir))) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    if (unlinkat(dirfd, e->d_name, 0) == 0 || (errno != EISDIR && errno != EPERM)) continue;
    if (depth >= MAX_DEPTH) {
      /* Moving a directory to another parent needs write permission on it (its ".." changes). */
      fchmodat(dirfd, e->d_name, 0700, 0);
      char name[64];
      for (int tries = 0; tries < 1000; tries++) {
        snprintf(name, sizeof name, ".jobworker-deep-%u-%d", *moved, tries);
        if (syscall(SYS_renameat2, dirfd, e->d_name, top_fd, name, 1U /* RENAME_NOREPLACE */) == 0) {
          (*moved)++; /* counted only when it moved: a pass that moves nothing ends the cleanup */
          break;
        }
        if (errno != EEXIST) break;
      }
      continue;
    }
    int sub = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0 && errno == EACCES && fchmodat(dirfd, e->d_name, 0700, 0) == 0)
      sub = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0) continue;
    empty_dir(top_fd, sub, depth + 1, moved);
    unlinkat(dirfd, e->d_name, AT_REMOVEDIR);
  }
  closedir(dir);
}

/* As the job's user: the work directory emptied, pass after pass, until nothing is left (or nothing more goes). */
static void empty_work_dir(const char *work_dir) {
  chmod(work_dir, 0700); /* the job owns it and may have taken its own permissions away */
  int top = open(work_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (top < 0) return;
  unsigned moved = 0, before;
  for (int pass = 0; pass < 100000; pass++) {
    before = moved;
    int fd = dup(top);
    if (fd < 0) break;
    lseek(fd, 0, SEEK_SET);
    empty_dir(top, fd, 0, &moved);
    if (moved == before) break; /* nothing was moved up: this pass went to the bottom */
  }
  close(top);
}

/* After the job: as the job's user (never root, so a planted symlink or a
 * crafted tree gains nothing), kill every process left running as its own uid
 * and empty its working directory; then, as root, remove the directory itself.
 * Returns 1 when the directory is gone. */
static int clean_up(const struct options *o) {
  /* Only a uid of the job's own: under a shared user this would reach other jobs. The
   * monitor reaps the job's processes; a cleanup after it (-C) scans for them. */
  if (o->own_ids && o->uid > 0 && (o->cleanup_only ? kill_all_of(o->uid) : end_processes_of(o->uid)) < 0) return 0;
  /* Nothing in it (nothing of the job is left to add anything): removed as root, no fork.
   * Not for -C, whose scans may have raced a fork: it checks for a comeback below. */
  if (!o->cleanup_only && (rmdir(o->work_dir) == 0 || errno == ENOENT)) return 1;
  pid_t p = fork();
  if (p < 0) return 0;
  if (p == 0) {
    if (o->gid >= 0 && (setgroups(0, NULL) < 0 || setresgid((gid_t)o->gid, (gid_t)o->gid, (gid_t)o->gid) < 0)) _exit(1);
    if (o->uid >= 0 && setresuid((uid_t)o->uid, (uid_t)o->uid, (uid_t)o->uid) < 0) _exit(1);
    empty_work_dir(o->work_dir);
    _exit(0);
  }
  if (wait_uid_child(p) != 0) return 0;
  /* Something of the uid came back? After the monitor's reliable kill, only a process that
   * root started as the uid could; after -C's scans, one that was forking. */
  if (o->cleanup_only && o->own_ids && o->uid > 0 && process_running_as(o->uid)) return 0;
  return rmdir(o->work_dir) == 0 || errno == ENOENT;
}

int main(int argc, char **argv) {
  struct options o;
  int cleanup_only = argc > 1 && strcmp(argv[1], "-C") == 0;
  if (!cleanup_only && fcntl(REPORT_FD, F_SETFD, FD_CLOEXEC) < 0) return 126; /* nobody to tell: refuse to run */
  /* Nothing the agent inherited from its own launcher reaches the monitor, let alone a job. */
  if (syscall(SYS_close_range, 4U, ~0U, 0U) < 0)
    for (int fd = 4; fd < 65536; fd++) close(fd);
  parse(argc, argv, &o);
  char claim_path[PATH_MAX] = "";
  if (o.cleanup_only) { /* for a job whose monitor is gone, or one whose cleanup failed: the agent asks for it */
    /* Held by a live monitor: the uid is another job's now, and killing what runs as it would kill that job. */
    if (o.own_ids && o.claim_dir && claim_uid(o.claim_dir, o.uid, claim_path, sizeof claim_path) < 0) return 1;
    int cleaned = clean_up(&o);
    if (cleaned) release_claim(claim_path);
    return cleaned ? 0 : 1;
  }

  /* The agent's child exits at once: the monitor is nobody's child but init's (or a subreaper's). */
  pid_t monitor = fork();
  if (monitor < 0) die("fork monitor: %s", strerror(errno));
  if (monitor > 0) _exit(0);
  setsid();
  signal(SIGPIPE, SIG_IGN);
  signal(SIGHUP, SIG_IGN); /* its session has no terminal; and an agent's restart must not end it */

  char old_oom[32];
  struct capture c = {.splice_ok = 1};
  int exit_fd;
  c.out_fd = setup_monitor(&o, old_oom, sizeof old_oom, &exit_fd, claim_path);

  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  int sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sig_fd < 0) die("signalfd: %s", strerror(errno));

  int out_pipe[2], status_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) < 0 || pipe2(status_pipe, O_CLOEXEC) < 0) die("pipe: %s", strerror(errno));
  fcntl(out_pipe[0], F_SETPIPE_SZ, CHUNK); /* fewer wake-ups for a fast writer; best effort */
  pid_t job = fork();
  if (job < 0) die("fork job: %s", strerror(errno));
  if (job == 0) become_job(&o, out_pipe[1], status_pipe[1], old_oom, &mask);
  close(out_pipe[1]);
  close(status_pipe[1]);

  /* The exec outcome: the status pipe closes empty on a successful exec, or
   * carries the exec_step, exec_errno and exec_error fields of a failure. */
  char exec_failure[EXEC_FAILURE_BYTES] = "";
  size_t got = 0;
  for (;;) {
    ssize_t n = read(status_pipe[0], exec_failure + got, sizeof exec_failure - 1 - got);
    if (n > 0 && (got += (size_t)n) < sizeof exec_failure - 1) continue;
    if (n < 0 && errno == EINTR) continue;
    break;
  }
  exec_failure[got] = '\0';
  close(status_pipe[0]);

  char report[2048];
  snprintf(report, sizeof report, "monitor_pid=%d\nmonitor_start=%llu\njob_pid=%d\njob_start=%llu\n%s",
           (int)getpid(), proc_start_ticks(getpid(), NULL), (int)job, proc_start_ticks(job, NULL), exec_failure);
  int monitor_fd = write_atomically_unsynced(o.job_dir, "monitor", report);
  if (monitor_fd < 0) {
    /* Without this file no later agent could find the job: it must not run unaccounted for. */
    int err = errno;
    kill(-job, SIGKILL);
    kill_cgroup(o.job_cgroup);
    waitpid(job, NULL, 0);
    if (clean_up(&o)) release_claim(claim_path);
    die("write %s/monitor: %s", o.job_dir, strerror(err));
  }
  dprintf(REPORT_FD, "%s", report);
  close(REPORT_FD);
  make_durable(o.job_dir, monitor_fd);
  fsync(exit_fd); /* the exit file's reserved blocks, allocated */

  fcntl(out_pipe[0], F_SETFL, O_NONBLOCK);
  char *buf = malloc(CHUNK);
  if (!buf) abort();
  struct ending end = {0};
  int pipe_open = 1;
  long long drain_deadline = 0;
  while (pipe_open || !end.exited) {
    struct pollfd fds[2] = {{.fd = sig_fd, .events = POLLIN}, {.fd = pipe_open ? out_pipe[0] : -1, .events = POLLIN}};
    int timeout = -1;
    if (end.exited) {
      long long left = drain_deadline - mono_ms();
      if (left <= 0) break; /* a process that escaped the job still holds the pipe: stop waiting for it */
      timeout = (int)left;
    }
    if (poll(fds, 2, timeout) < 0 && errno != EINTR) break;
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      enum drained d;
      int rounds = 0; /* bounded, so that a writer faster than the disk cannot keep SIGCHLD waiting */
      while ((d = drain_once(out_pipe[0], &c, o.cap, buf)) == DRAINED_SOME && ++rounds < 64) {
      }
      if (d == DRAINED_EOF) pipe_open = 0;
    }
    if (fds[0].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (read(sig_fd, &si, sizeof si) == sizeof si) {
      }
      int was = end.exited;
      reap(job, &o, &end);
      if (end.exited && !was) drain_deadline = mono_ms() + o.drain_ms;
    }
  }
  reap(job, &o, &end);
  if (!end.exited) { /* the loop gave up (poll failed): the job must not outlive its monitor */
    kill(-job, SIGKILL);
    kill_cgroup(o.job_cgroup);
    waitpid(job, &end.status, 0);
    end.exited = 1;
  }
  int cleaned = clean_up(&o);
  reap(job, &o, &end);
  /* Left files keep the claim's file (not its lock: that ends with us); the next -C takes it over. */
  if (cleaned) release_claim(claim_path);

  char text[2048];
  int code = WIFEXITED(end.status) ? WEXITSTATUS(end.status) : -1;
  const char *sig = WIFSIGNALED(end.status) ? signal_name(WTERMSIG(end.status)) : "";
  snprintf(text, sizeof text, "exit_code=%d\nsignal=%s\nend_time_ms=%lld\noutput_bytes=%llu\ndropped_bytes=%llu\ncleaned=%d\n%s%s%s%s",
           got ? -1 : code, got ? "" : sig, now_ms(), c.written, c.dropped, cleaned,
           c.write_error[0] ? "write_error=" : "", c.write_error, c.write_error[0] ? "\n" : "", exec_failure);
  /* No fsync of the output: it would hold the end back by as long as the disk takes to
   * write the whole output (seconds for a GiB). After a power loss its tail may be
   * shorter than output_bytes says; readers stop at the file's end. */
  close(c.out_fd);
  if (write_exit_file(o.job_dir, exit_fd, text) < 0) return 1;
  return 0;
}
