// The agent as the kernel tests run it: in this process, in the VM's delegated
// cgroup, with a fresh state directory and the development PKI, and the
// compiled jobctl pointed at it.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { startAgent, type RunningAgent } from "../../agent/agent.js";
import { defaultSettings } from "../../agent/config/settings.js";
import { tempDir } from "../helpers/tmp.js";

const JOBCTL = fileURLToPath(new URL("../../ctl/main.js", import.meta.url));

/** The delegated cgroup: ours, or its parent once an earlier test moved us into <root>/agent. */
export function delegatedRoot(): string {
  return readFileSync("/proc/self/cgroup", "utf8").trim().replace(/^0::\//, "").replace(/\/agent$/, "");
}

export interface JobctlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface KernelAgent {
  agent: RunningAgent;
  /** Runs jobctl with the development PKI's config; stdin is written and closed. */
  jobctl(args: string[], options?: { stdin?: string; timeoutMs?: number }): Promise<JobctlResult>;
  /** Stops the agent (and with it the jobs the test left running), removes the state directory. */
  close(): Promise<void>;
}

export async function startKernelAgent(options: { metricsListen?: string } = {}): Promise<KernelAgent> {
  const state = tempDir();
  const settings = defaultSettings();
  settings.listen = "127.0.0.1:0";
  settings.stateDir = state.path;
  settings.stopJobsOnShutdown = true; // close() then stops the jobs the test leaves running
  const config = (settings.jobctlConfigPath = join(state.path, "jobctl.yaml"));
  settings.metrics.listen = options.metricsListen ?? "";
  settings.cgroup.root = delegatedRoot();
  const agent = await startAgent(settings, pino({ level: "error" }));
  return {
    agent,
    jobctl: (args, { stdin, timeoutMs = 90_000 } = {}) =>
      new Promise((resolve) => {
        const child = execFile(process.execPath, [JOBCTL, "--config", config, ...args], { timeout: timeoutMs }, (err, stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
        child.stdin?.end(stdin ?? "");
      }),
    async close() {
      await agent.close();
      state.cleanup();
    },
  };
}
