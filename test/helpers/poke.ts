// What one job tries against another (test/fixtures/poke.c), shared by the
// host isolation test (real agent) and the VM one (cgroup v2).
import { execFileSync } from "node:child_process";
import { chmodSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { tempDir } from "./tmp.js";

const POKE_SOURCE = fileURLToPath(new URL("../../../test/fixtures/poke.c", import.meta.url));

/** Compiles poke into a directory every job can read; returns its path and the cleanup. */
export function buildPoke(): { path: string; cleanup: () => void } {
  const dir = tempDir();
  chmodSync(dir.path, 0o755);
  const path = join(dir.path, "poke");
  execFileSync("cc", ["-o", path, POKE_SOURCE]);
  return { path, cleanup: dir.cleanup };
}

/** A shell script for the attacking job: every attack on the victim's process and working directory, one line each. */
export function attackScript(poke: string, victimPid: number, victimWorkDir: string): string {
  const checks = [`kill ${victimPid}`, `ptrace ${victimPid}`, `environ ${victimPid}`, `cwd ${victimPid}`, `getfd ${victimPid} 1`].map((c) => `${poke} ${c}`);
  return `${checks.join("; ")}; ls ${victimWorkDir} >/dev/null 2>&1 && echo workdir: OK || echo workdir: denied`;
}

/** What the attack script prints when the kernel refuses every attack. */
export const ALL_REFUSED = ["kill: EPERM", "ptrace: EPERM", "environ: EACCES", "cwd: EACCES", "getfd: EPERM", "workdir: denied"];

/** A script that tries to open each path and to list a directory. */
export function readScript(poke: string, paths: string[], listDir: string): string {
  return `${paths.map((p) => `${poke} read ${p}`).join("; ")}; ls ${listDir} >/dev/null 2>&1 && echo list: OK || echo list: denied`;
}
