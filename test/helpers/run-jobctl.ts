// Runs the compiled jobctl (dist/ctl/main.js) as a child process, as a user would.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const JOBCTL_MAIN = fileURLToPath(new URL("../../ctl/main.js", import.meta.url));

export interface JobctlRun {
  code: number | null;
  /** Raw bytes: logs must come through byte for byte. */
  stdoutBytes: Buffer;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface JobctlRunOptions {
  /** Merged over process.env; undefined removes a variable. */
  env?: Record<string, string | undefined>;
  /** Kill jobctl after this long (it must never hang). Default 30 s. */
  timeoutMs?: number;
  /** Written to jobctl's stdin (then closed); without it stdin is /dev/null. */
  stdin?: string;
}

export function runJobctl(args: string[], options: JobctlRunOptions = {}): Promise<JobctlRun> {
  const began = performance.now();
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  const child = spawn(process.execPath, [JOBCTL_MAIN, ...args], { env, stdio: [options.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
  if (options.stdin !== undefined) child.stdin!.end(options.stdin);
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout!.on("data", (chunk: Buffer) => stdout.push(chunk));
  child.stderr!.on("data", (chunk: Buffer) => stderr.push(chunk));
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 30_000);
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(stdout);
      resolve({
        code,
        stdoutBytes,
        stdout: stdoutBytes.toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8"),
        durationMs: performance.now() - began,
      });
    });
  });
}
