// The unprivileged users jobs run as when the agent is root.
import { readFile, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";

export interface Credentials {
  uid: number;
  gid: number;
  name: string;
}

/**
 * Resolves "name" (from /etc/passwd, with the user's primary group) or
 * "uid:gid" (numeric, for users that exist only in a container image or not at all).
 */
export async function resolveUser(spec: string, passwdPath = "/etc/passwd"): Promise<Credentials> {
  const numeric = /^(\d+):(\d+)$/.exec(spec);
  if (numeric) return checked({ uid: Number(numeric[1]), gid: Number(numeric[2]), name: spec });
  for (const line of (await readFile(passwdPath, "utf8")).split("\n")) {
    const [name, , uid, gid] = line.split(":");
    if (name === spec && uid !== undefined && gid !== undefined) return checked({ uid: Number(uid), gid: Number(gid), name });
  }
  throw new Error(`run-as user "${spec}" not found in ${passwdPath} (use a name from it, or "uid:gid")`);
}

/** Root is not an unprivileged user (root jobs are jobs.allowRootJobs); 2^32-1 is (uid_t)-1, "no change". */
function checked(user: Credentials): Credentials {
  const bad = (id: number) => id === 0 || id >= 2 ** 32 - 1;
  if (bad(user.uid) || bad(user.gid)) throw new Error(`run-as user "${user.name}" must be unprivileged: uid and gid between 1 and 4294967294`);
  return user;
}

/**
 * Jobs run as other users and must reach their work/ directory under the state
 * directory: every directory above it must let others through (x). The state
 * directory and jobs/ are the agent's own (their modes are set by the store);
 * an ancestor that is not is refused, naming it, instead of every job failing
 * with "chdir: Permission denied".
 */
export async function checkJobsCanReach(stateDir: string): Promise<void> {
  for (let dir = dirname(resolve(stateDir)); ; dir = dirname(dir)) {
    const mode = (await stat(dir)).mode & 0o777;
    if ((mode & 0o001) === 0) {
      throw new Error(
        `jobs cannot reach their working directories: ${dir} (above the state directory ${stateDir}) is mode ${mode.toString(8).padStart(4, "0")}, without search permission for others; allow it (chmod o+x ${dir}) or use a state directory elsewhere`,
      );
    }
    if (dir === "/") return;
  }
}
