// What a Start would refuse, asked of a job spec before it is taken (from an
// Apply or a manifest file): its command and arguments, grace period and limits.
import type { AgentSettings } from "../config/settings.js";
import type { JobSpec } from "../specs/spec.js";
import { parseGracePeriod, validateCommand } from "./request-validation.js";
import { resolveLimits } from "./limit-resolution.js";

export function checkSpec(spec: JobSpec, settings: Pick<AgentSettings, "jobs">): void {
  validateCommand(spec.command, spec.args);
  if (spec.gracePeriodMs !== undefined) parseGracePeriod(String(spec.gracePeriodMs));
  resolveLimits(spec.limits, settings.jobs.defaultLimits, settings.jobs.maxLimits);
}
