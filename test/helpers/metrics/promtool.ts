// `promtool check metrics` (Debian package prometheus) on an exposition text.
// The tests never install it: .ci/run does. Missing, it fails loudly, so CI
// cannot pass by skipping.
import { spawnSync } from "node:child_process";

export interface PromtoolResult {
  /** 0: valid and clean; 3: valid, with lint findings; 1: invalid. */
  status: number;
  findings: string[];
}

export function promtoolCheckMetrics(exposition: string): PromtoolResult {
  const result = spawnSync("promtool", ["check", "metrics"], { input: exposition, encoding: "utf8", timeout: 60_000 });
  if (result.error) {
    const missing = (result.error as NodeJS.ErrnoException).code === "ENOENT";
    throw new Error(missing ? "promtool not found on PATH: install the Debian package `prometheus` (.ci/run does)" : `promtool: ${result.error.message}`);
  }
  const findings = `${result.stdout}${result.stderr}`.split("\n").map((l) => l.trim()).filter(Boolean);
  return { status: result.status ?? -1, findings };
}

/** Every lint finding (the agent's /metrics must have none); throws if the text is not valid exposition format. */
export function lintFindings(exposition: string): string[] {
  const { status, findings } = promtoolCheckMetrics(exposition);
  if (status !== 0 && status !== 3) throw new Error(`promtool check metrics exited ${status}: ${findings.join("\n")}`);
  return findings;
}
