/*
 * jobworker-launcher: starts job monitors on the agent's behalf.
 *
 * Node's spawn() forks the whole agent: the kernel copies the page tables of
 * its address space, and the event loop waits. That cost follows the agent's
 * RSS (measured: 3.5 ms a spawn at 52 MiB, 27 ms at 151 MiB, loaded 2-core
 * machine) and was paid on every Start. This helper is small; it forks and
 * execs each monitor, and the agent only writes a request to a pipe.
 *
 * stdin:  requests, each a little-endian u32 length, then that many bytes:
 *         "ID\0ARGC\0ARG0\0...ARGn\0ENVC\0ENV0\0...ENVn\0" (ARG0 is the path executed)
 * stdout: one answer per request, framed the same way: "ID\0TEXT", where TEXT is
 *         everything the launched process wrote to its fd 3 until it closed it
 *         (the monitor's report), or "spawn_error=REASON\n" if it could not be run.
 *
 * The launched process gets what spawn(path, args, {detached: true, cwd: "/",
 * stdio: ["ignore", "ignore", "ignore", "pipe"], env}) gave it: a new session,
 * /dev/null on 0-2, the report pipe on 3, no other descriptor, an empty signal
 * mask, default signal dispositions. It exits when stdin closes (the agent is
 * gone); monitors started already go on (they never depended on it).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* A request carries a job's argv and environment: the API bounds them far below this. */
#define MAX_REQUEST (16u << 20)
#define MAX_PENDING 4096
#define MAX_REPORT 16384
#define MAX_ID 64

struct pending {
  char id[MAX_ID];
  char report[MAX_REPORT];
  size_t used;
};

static struct pollfd fds[MAX_PENDING + 2]; /* [0] stdin, [1] SIGCHLD, then one report pipe per launch */
static struct pending *waiting[MAX_PENDING + 2];
static int count = 2;

static int write_all(int fd, const char *data, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    data += w;
    n -= (size_t)w;
  }
  return 0;
}

static void answer(const char *id, const char *text, size_t text_len) {
  size_t id_len = strlen(id) + 1;
  uint32_t len = (uint32_t)(id_len + text_len);
  unsigned char header[4] = {len & 0xff, (len >> 8) & 0xff, (len >> 16) & 0xff, (len >> 24) & 0xff};
  if (write_all(1, (const char *)header, 4) < 0 || write_all(1, id, id_len) < 0 || write_all(1, text, text_len) < 0) exit(1);
}

static void answer_error(const char *id, const char *reason) {
  char text[512];
  int n = snprintf(text, sizeof text, "spawn_error=%s\n", reason);
  answer(id, text, (size_t)n);
}

/* In the child: becomes what spawn() would have made, then execs. Never returns. */
static void become(int report_w, char **argv, char **envp, const sigset_t *blocked) {
  setsid();
  int null = open("/dev/null", O_RDWR);
  if (null < 0) _exit(127);
  if (report_w == 3) fcntl(3, F_SETFD, 0);
  else if (dup2(report_w, 3) < 0) _exit(127);
  for (int fd = 0; fd < 3; fd++) dup2(null, fd);
  if (syscall(SYS_close_range, 4U, ~0U, 0U) < 0)
    for (int fd = 4; fd < 65536; fd++) close(fd);
  sigprocmask(SIG_UNBLOCK, blocked, NULL);
  signal(SIGPIPE, SIG_DFL);
  if (chdir("/") < 0) _exit(127);
  execve(argv[0], argv, envp);
  dprintf(3, "spawn_error=%s\n", strerror(errno));
  _exit(127);
}

/* A NUL-terminated count, then that many NUL-terminated strings, from *p: a NULL-ended
 * array of pointers into the payload (freed by the caller), or NULL if malformed. */
static char **take_list(char **p, char *end, long least) {
  if (*p >= end) return NULL;
  long n = strtol(*p, NULL, 10);
  *p += strlen(*p) + 1;
  if (n < least || n > 1 << 20) return NULL;
  char **list = calloc((size_t)n + 1, sizeof(char *));
  if (!list) return NULL;
  for (long i = 0; i < n; i++) {
    if (*p >= end) {
      free(list);
      return NULL;
    }
    list[i] = *p;
    *p += strlen(*p) + 1;
  }
  return list;
}

/* Splits "ID\0ARGC\0..." into its parts (pointers into payload); 0 if malformed. */
static int parse(char *payload, size_t len, char **id, char ***argv, char ***envp) {
  char *p = payload, *end = payload + len;
  if (len == 0 || end[-1] != '\0') return 0;
  *id = p;
  p += strlen(p) + 1;
  *argv = take_list(&p, end, 1);
  *envp = *argv ? take_list(&p, end, 0) : NULL;
  return *argv && *envp && p == end && strlen(*id) < MAX_ID;
}

static void launch(char *payload, size_t len, const sigset_t *blocked) {
  char *id = NULL, **argv = NULL, **envp = NULL;
  if (!parse(payload, len, &id, &argv, &envp)) {
    if (id && strlen(id) < MAX_ID) answer_error(id, "malformed request");
    free(argv);
    free(envp);
    return;
  }
  int report[2];
  struct pending *p = NULL;
  if (count >= MAX_PENDING + 2) answer_error(id, "too many launches in flight");
  else if (!(p = calloc(1, sizeof *p))) answer_error(id, strerror(errno));
  else if (pipe2(report, O_CLOEXEC) < 0) answer_error(id, strerror(errno));
  else {
    pid_t child = fork();
    if (child == 0) become(report[1], argv, envp, blocked);
    int err = errno;
    close(report[1]);
    if (child < 0) {
      close(report[0]);
      answer_error(id, strerror(err));
    } else {
      snprintf(p->id, sizeof p->id, "%s", id);
      fds[count] = (struct pollfd){.fd = report[0], .events = POLLIN};
      waiting[count++] = p;
      p = NULL;
    }
  }
  free(p);
  free(argv);
  free(envp);
}

/* Reads what is there of one report; at its end (the pipe closed), answers and forgets it. */
static void read_report(int i) {
  struct pending *p = waiting[i];
  char scratch[4096];
  char *into = p->used < MAX_REPORT ? p->report + p->used : scratch;
  size_t room = p->used < MAX_REPORT ? MAX_REPORT - p->used : sizeof scratch; /* beyond the cap: read and dropped */
  ssize_t n = read(fds[i].fd, into, room);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n > 0) {
    if (into != scratch) p->used += (size_t)n;
    return;
  }
  answer(p->id, p->report, p->used);
  close(fds[i].fd);
  free(p);
  fds[i] = fds[count - 1];
  waiting[i] = waiting[count - 1];
  count--;
}

int main(void) {
  if (syscall(SYS_close_range, 3U, ~0U, 0U) < 0)
    for (int fd = 3; fd < 65536; fd++) close(fd);
  signal(SIGPIPE, SIG_IGN); /* the agent gone: the write fails and we exit */
  sigset_t blocked;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGCHLD);
  sigprocmask(SIG_BLOCK, &blocked, NULL);
  int sig_fd = signalfd(-1, &blocked, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sig_fd < 0) return 1;
  fds[0] = (struct pollfd){.fd = 0, .events = POLLIN};
  fds[1] = (struct pollfd){.fd = sig_fd, .events = POLLIN};
  unsigned char header[4];
  size_t header_used = 0, body_used = 0, body_len = 0;
  char *body = NULL;
  for (;;) {
    if (poll(fds, (nfds_t)count, -1) < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    if (fds[1].revents) {
      struct signalfd_siginfo si;
      while (read(sig_fd, &si, sizeof si) == sizeof si) {
      }
      while (waitpid(-1, NULL, WNOHANG) > 0) { /* each monitor's first process exits at once */
      }
    }
    for (int i = count - 1; i >= 2; i--)
      if (fds[i].revents) read_report(i);
    if (!fds[0].revents) continue;
    if (header_used < 4) {
      ssize_t n = read(0, header + header_used, 4 - header_used);
      if (n == 0) return 0;
      if (n < 0) {
        if (errno == EINTR) continue;
        return 1;
      }
      header_used += (size_t)n;
      if (header_used < 4) continue;
      body_len = header[0] | (size_t)header[1] << 8 | (size_t)header[2] << 16 | (size_t)header[3] << 24;
      if (body_len > MAX_REQUEST || !(body = malloc(body_len + 1))) return 1; /* not our agent's framing */
      body_used = 0;
    }
    if (body_used < body_len) {
      ssize_t n = read(0, body + body_used, body_len - body_used);
      if (n == 0) return 0;
      if (n < 0) {
        if (errno == EINTR) continue;
        return 1;
      }
      body_used += (size_t)n;
    }
    if (body_used == body_len) {
      launch(body, body_len, &blocked);
      free(body);
      body = NULL;
      header_used = 0;
    }
  }
}
