// What the monitor does after every job, done on its behalf when the monitor
// is gone: `jobworker-monitor -C` kills whatever still runs as the job's own uid
// and removes the job's working directory as the job's user (never following a
// symlink the job planted), so the uid can be handed out again.
import { execFile } from "node:child_process";

export interface JobUser {
  uid?: number;
  gid?: number;
  /** The uid is the job's alone: everything running as it is the job's. */
  ownIds?: boolean;
}

/** Who a finished job ran as, for its cleanup. */
export function jobUserOf(record: { uid?: number; gid?: number; ownUid?: boolean }): JobUser {
  return { uid: record.uid, gid: record.gid, ownIds: record.ownUid };
}

/** Resolves true when the working directory is gone, false when some of it could not be removed. */
/** With `uidClaimDir`, nothing is done (false) while another job's monitor holds the uid: it is that job's now. */
export function cleanUpAfter(monitorPath: string, user: JobUser, workDir: string, uidClaimDir?: string): Promise<boolean> {
  const args = ["-C", "-d", workDir];
  if (user.gid !== undefined) args.push("-g", String(user.gid));
  if (user.uid !== undefined) args.push("-u", String(user.uid));
  if (user.ownIds) args.push("-n");
  if (user.ownIds && uidClaimDir) args.push("-U", uidClaimDir);
  return new Promise((resolve, reject) =>
    execFile(monitorPath, args, { env: {} }, (err) => {
      if (!err) resolve(true);
      else if ((err as { code?: unknown }).code === 1) resolve(false);
      else reject(new Error(`cleaning up ${workDir} failed: ${err.message}`));
    }),
  );
}
