/*
 * jobworker-lock: takes an exclusive flock(2) on the file open at fd 3, then exits.
 *
 * Node has no flock. A flock belongs to the open file description, which the
 * agent shares with this helper through fd 3: the lock outlives the helper and
 * is held for as long as the agent keeps its descriptor open, and the kernel
 * releases it the moment the agent dies, however it dies (no stale lock files).
 *
 * Exit status: 0 locked, 1 held by another process (its pid, if the lock file
 * names it, is for the agent to read), 2 any other error (on stderr).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>

int main(void) {
  if (flock(3, LOCK_EX | LOCK_NB) == 0) return 0;
  if (errno == EWOULDBLOCK) return 1;
  fprintf(stderr, "flock: %s\n", strerror(errno));
  return 2;
}
