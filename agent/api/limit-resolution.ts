// Resource limits of a start request: validated, filled from the agent's
// defaults where not given, and held to the agent's maxima.
import { InvalidArgumentError } from "../errors.js";
import type { ResourceLimits } from "../jobs/record.js";

/** The smallest CPU quota the kernel takes is 1 ms per 100 ms period. */
export const MIN_CPU_CORES = 0.01;

const NAMES: Record<keyof ResourceLimits, string> = {
  cpuCores: "cpu", memoryBytes: "memory", ioReadBps: "io read bps", ioWriteBps: "io write bps",
  ioReadIops: "io read iops", ioWriteIops: "io write iops", pids: "pids",
};

/** 0 in `requested` means "default"; 0 in `maxima` means "no maximum". */
export function resolveLimits(requested: ResourceLimits, defaults: ResourceLimits, maxima: ResourceLimits): ResourceLimits {
  const result = { ...defaults };
  for (const key of Object.keys(NAMES) as (keyof ResourceLimits)[]) {
    const value = requested[key];
    if (!Number.isFinite(value) || value < 0 || (key !== "cpuCores" && !Number.isSafeInteger(value))) {
      throw new InvalidArgumentError(`${NAMES[key]} limit ${value} is not a valid value`);
    }
    if (value !== 0) result[key] = value;
    const max = maxima[key];
    if (max > 0 && (result[key] === 0 || result[key] > max)) {
      if (value === 0) result[key] = max; // unlimited by default, but the agent caps everyone
      else throw new InvalidArgumentError(`${NAMES[key]} limit ${value} is over the agent's maximum ${max}`);
    }
  }
  if (result.cpuCores !== 0 && result.cpuCores < MIN_CPU_CORES) {
    throw new InvalidArgumentError(`cpu limit ${result.cpuCores} is below the minimum ${MIN_CPU_CORES}`);
  }
  return result;
}
