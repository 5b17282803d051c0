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

export function cleanUpAfter(monitorPath: string, user: JobUser, workDir: string): Promise<void> {
  const args = ["-C", "-d", workDir];
  if (user.gid !== undefined) args.push("-g", String(user.gid));
  if (user.uid !== undefined) args.push("-u", String(user.uid));
  if (user.ownIds) args.push("-n");
  return new Promise((resolve, reject) =>
    execFile(monitorPath, args, { env: {} }, (err) => (err ? reject(new Error(`cleaning up ${workDir} failed: ${err.message}`)) : resolve())),
  );
}
