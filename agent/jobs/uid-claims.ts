// Host-wide claims of job uids, so that agents sharing a host (or a uid range)
// never hand one uid to two jobs: a job's monitor flocks <dir>/<uid> for its
// whole life and removes it once the uid's processes and files are gone
// (jobworker-monitor -U). Without them, two agents both starting at the bottom
// of the default range give their first jobs the same uid, and the first of
// the two to end kills the other's job (it kills everything running as it).
// The monitor's lock is the claim; a file's presence is only a hint the pool
// uses to skip uids that are probably taken, sparing a monitor spawn each.
import { existsSync } from "node:fs";
import { mkdir, stat } from "node:fs/promises";
import { join } from "node:path";

/** On tmpfs: claims die with the boot, as the monitors holding them do. */
export const DEFAULT_UID_CLAIM_DIR = "/run/jobworker/uids";

/** Creates the directory (root's, 0700: no job may plant a file or a symlink in it) and checks it is safe to trust. */
export async function ensureClaimDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const info = await stat(dir);
  if (info.uid !== process.getuid?.() || (info.mode & 0o022) !== 0) {
    throw new Error(`uid claim directory ${dir} must belong to the agent's user and be writable by nobody else (it is uid ${info.uid}, mode ${(info.mode & 0o777).toString(8)})`);
  }
}

/** True if a monitor probably holds the uid (its claim file is there). */
export function looksClaimed(dir: string, uid: number): boolean {
  return existsSync(join(dir, String(uid)));
}

/** The monitor's message for a uid another monitor holds: worth another uid, not a quarantine (it comes free). */
export function isClaimedElsewhere(message: string): boolean {
  return message.includes("claimed by another job's monitor");
}
