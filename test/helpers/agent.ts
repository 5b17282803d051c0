// Runs the real jobagent binary (dist/agent/main.js) on 127.0.0.1 with a fresh
// state directory; on first start it generates its development PKI there,
// with clients admin (admin), alice and bob (user) and viewer (readonly).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { killLeftoverJobs } from "./proc.js";

export const AGENT_MAIN = fileURLToPath(new URL("../../agent/main.js", import.meta.url));

export interface TestAgent {
  address: string;
  port: number;
  /** The metrics listener's port (on 127.0.0.1 unless args say otherwise); undefined when args disable it. */
  metricsPort?: number;
  pid: number;
  stateDir: string;
  pkiDir: string;
  jobctlConfigPath: string;
  /** Every log line the agent wrote, parsed. */
  logs: Record<string, unknown>[];
  /** Sends a signal (default SIGTERM) and resolves with the exit code once the agent is gone. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Kills the jobs left running (they outlive the agent) and removes the state directory (after stop). */
  cleanup(): void;
}

export interface TestAgentOptions {
  /** Reuse a state directory (e.g. to test restarts). */
  stateDir?: string;
  args?: string[];
  /** Options for node itself, before the agent's script (the bench's --agent-node-args, e.g. --cpu-prof). */
  nodeArgs?: string[];
}

export async function startTestAgent(options: TestAgentOptions = {}): Promise<TestAgent> {
  const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), "jobagent-test-"));
  const jobctlConfigPath = join(stateDir, "jobctl.yaml");
  // Metrics on port 0 too: the default (localhost:9464) would collide between agents; args may override it.
  const args = ["--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--state-dir", stateDir, "--jobctl-config", jobctlConfigPath, ...(options.args ?? [])];
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), AGENT_MAIN, ...args], { stdio: ["ignore", "pipe", "inherit"] });
  const logs: Record<string, unknown>[] = [];
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const { port, metricsPort } = await waitForListening(child, logs, exited, metricsListen(args) !== "");
  return {
    address: `127.0.0.1:${port}`,
    port,
    metricsPort,
    pid: child.pid!,
    stateDir,
    pkiDir: join(stateDir, "pki"),
    jobctlConfigPath,
    logs,
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
    cleanup: () => {
      killLeftoverJobs(stateDir); // jobs outlive the agent by design
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** The effective --metrics-listen value (the last one given wins). */
function metricsListen(args: string[]): string {
  let value = "";
  args.forEach((arg, i) => {
    if (arg === "--metrics-listen") value = args[i + 1] ?? "";
    else if (arg.startsWith("--metrics-listen=")) value = arg.slice("--metrics-listen=".length);
  });
  return value;
}

/** Resolves once the gRPC server ("agent listening") and, if expected, the metrics listener ("metrics listening", logged after it) are up. */
function waitForListening(
  child: ChildProcess, logs: Record<string, unknown>[], exited: Promise<number | null>, expectMetrics: boolean,
): Promise<{ port: number; metricsPort?: number }> {
  let port: number | undefined;
  let metricsPort: number | undefined;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL"); // not left running behind a failed start
      reject(new Error("agent did not start listening within 30 s"));
    }, 30_000);
    createInterface({ input: child.stdout! }).on("line", (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        entry = { msg: line };
      }
      logs.push(entry);
      if (entry.msg === "agent listening") port = entry.port as number;
      if (entry.msg === "metrics listening") metricsPort = entry.port as number;
      if (port !== undefined && (metricsPort !== undefined || !expectMetrics)) {
        clearTimeout(timer);
        resolve({ port, metricsPort });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`agent exited with ${code} before listening`));
    });
  });
}

/** The development users' passwords, which the agent logs once, when it creates them on its first start. */
export function devPasswords(agent: TestAgent): Record<string, string> {
  const created = agent.logs.find((line) => line.msg === "development users created") as { users: { name: string; password: string }[] } | undefined;
  if (!created) throw new Error("the agent logged no development users");
  return Object.fromEntries(created.users.map((user) => [user.name, user.password]));
}
