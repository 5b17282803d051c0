// `promtool check metrics` (Debian package prometheus) on an exposition text.
// The tests never install it: .ci/run does. Missing, it fails loudly, so CI
// cannot pass by skipping.
import { spawnSync } from "node:child_process";

/**
 * Lint findings promtool 2.42 reports on prom-client's own default metrics
 * (gauges named *_total); ours must have none.
 */
export const PROM_CLIENT_DEFAULT_FINDINGS = new Set([
  'nodejs_active_handles_total non-counter metrics should not have "_total" suffix',
  'nodejs_active_requests_total non-counter metrics should not have "_total" suffix',
  'nodejs_active_resources_total non-counter metrics should not have "_total" suffix',
]);

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

/** The findings that are not prom-client's known ones; throws if the text is not valid exposition format. */
export function ourLintFindings(exposition: string): string[] {
  const { status, findings } = promtoolCheckMetrics(exposition);
  if (status !== 0 && status !== 3) throw new Error(`promtool check metrics exited ${status}: ${findings.join("\n")}`);
  return findings.filter((f) => !PROM_CLIENT_DEFAULT_FINDINGS.has(f));
}
