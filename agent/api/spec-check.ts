// What a Start would refuse, asked of a job spec before it is taken (from an
// Apply or a manifest file): its command and arguments, grace period and limits.
import type { AgentSettings } from "../config/settings.js";
import type { JobSpec } from "../specs/spec.js";
import { parseGracePeriod, validateCommand } from "./limits.js";
import { resolveLimits } from "./resource-limits.js";

export function checkSpec(spec: JobSpec, settings: Pick<AgentSettings, "jobs">): void {
  validateCommand(spec.command, spec.args);
  if (spec.gracePeriodMs !== undefined) parseGracePeriod(String(spec.gracePeriodMs));
  resolveLimits(spec.limits, settings.jobs.defaultLimits, settings.jobs.maxLimits);
}
