// The unprivileged user jobs run as when the agent is root.
import { readFile } from "node:fs/promises";

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
  if (numeric) return { uid: Number(numeric[1]), gid: Number(numeric[2]), name: spec };
  for (const line of (await readFile(passwdPath, "utf8")).split("\n")) {
    const [name, , uid, gid] = line.split(":");
    if (name === spec && uid !== undefined && gid !== undefined) return { uid: Number(uid), gid: Number(gid), name };
  }
  throw new Error(`run-as user "${spec}" not found in ${passwdPath} (use a name from it, or "uid:gid")`);
}
