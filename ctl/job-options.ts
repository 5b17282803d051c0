// CMD, ARGS, --grace, --as-root and the resource limits: the flags of the
// verbs that start a job (start, run), and the StartRequest they make.
import type { Command } from "commander";
import type { ResourceLimits } from "../proto/generated/workerservice/ResourceLimits.js";
import type { StartRequest } from "../proto/generated/workerservice/StartRequest.js";
import { cpuOption, durationOption, quantityOption } from "./options.js";

export interface StartOptions {
  grace?: number;
  asRoot?: boolean;
  cpu?: number;
  memory?: number;
  ioReadBps?: number;
  ioWriteBps?: number;
  ioReadIops?: number;
  ioWriteIops?: number;
  pids?: number;
}

/** Adds CMD, ARGS, --grace, --as-root and the limits to a verb that starts a job. */
export function jobOptions(command: Command): Command {
  return limitOptions(command)
    .usage("[--grace DURATION] [limits] -- CMD [ARGS...]")
    .argument("<cmd>", "command to run: a path, or a name looked up in the agent's PATH")
    .argument("[args...]", "its arguments (put -- before CMD so that options among them are passed on)")
    .option("--grace <duration>", "how long stop waits between SIGTERM and SIGKILL, e.g. 10s, 500ms, 2m (default: the agent's, 10s)", durationOption)
    .option("--as-root", "run as root instead of the agent's unprivileged run-as user (admin role, and the agent must allow it)");
}

function limitOptions(command: Command): Command {
  return command
    .option("--cpu <cores>", "CPU limit in cores, e.g. 0.5 (cpu.max)", cpuOption)
    .option("--memory <bytes>", "memory limit, bytes or a quantity like 256Mi, 1G (memory.max; no swap)", quantityOption)
    .option("--io-read-bps <bytes>", "disk read bytes per second, e.g. 10Mi (io.max rbps)", quantityOption)
    .option("--io-write-bps <bytes>", "disk write bytes per second, e.g. 10Mi (io.max wbps)", quantityOption)
    .option("--io-read-iops <n>", "disk read operations per second (io.max riops)", quantityOption)
    .option("--io-write-iops <n>", "disk write operations per second (io.max wiops)", quantityOption)
    .option("--pids <n>", "most processes and threads at once (pids.max)", quantityOption);
}

/** The request for CMD ARGS with the options given; a limit not given is 0 (the agent's default). */
export function startRequest(cmd: string, args: string[], options: StartOptions): StartRequest {
  return {
    commandName: cmd,
    arguments: args,
    limits: limitsFrom(options),
    runAsRoot: options.asRoot ?? false,
    ...(options.grace !== undefined && { gracePeriodMs: options.grace }),
  };
}

function limitsFrom(options: StartOptions): ResourceLimits {
  return {
    cpuCores: options.cpu ?? 0,
    memoryBytes: options.memory ?? 0,
    ioReadBps: options.ioReadBps ?? 0,
    ioWriteBps: options.ioWriteBps ?? 0,
    ioReadIops: options.ioReadIops ?? 0,
    ioWriteIops: options.ioWriteIops ?? 0,
    pids: options.pids ?? 0,
  };
}
