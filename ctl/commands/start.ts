// jobctl start: run a command on the agent's host; prints only the job id, so
// `id=$(jobctl start -- ...)` works in scripts.
import { InvalidArgumentError, type Command } from "commander";
import { parseByteQuantity } from "../../common/quantity.js";
import type { ResourceLimits } from "../../proto/generated/workerservice/ResourceLimits.js";
import type { StartRequest } from "../../proto/generated/workerservice/StartRequest.js";
import { jobIdFromResponse } from "../job-id.js";
import { durationOption, withAgent } from "./shared.js";

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

/** The resource-limit options, shared with verbs that start jobs. */
export function limitOptions(command: Command): Command {
  return command
    .option("--cpu <cores>", "CPU limit in cores, e.g. 0.5 (cpu.max)", cpuOption)
    .option("--memory <bytes>", "memory limit, bytes or a quantity like 256Mi, 1G (memory.max; no swap)", quantityOption)
    .option("--io-read-bps <bytes>", "disk read bytes per second, e.g. 10Mi (io.max rbps)", quantityOption)
    .option("--io-write-bps <bytes>", "disk write bytes per second, e.g. 10Mi (io.max wbps)", quantityOption)
    .option("--io-read-iops <n>", "disk read operations per second (io.max riops)", quantityOption)
    .option("--io-write-iops <n>", "disk write operations per second (io.max wiops)", quantityOption)
    .option("--pids <n>", "most processes and threads at once (pids.max)", quantityOption);
}

export function limitsFrom(options: StartOptions): ResourceLimits {
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

function cpuOption(value: string): number {
  const cores = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !(cores > 0)) throw new InvalidArgumentError("expected a number of cores above 0, e.g. 0.5 or 2");
  return cores;
}

function quantityOption(value: string): number {
  try {
    const n = parseByteQuantity(value);
    if (n === 0) throw new Error("must be above 0");
    return n;
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/** CMD, ARGS, --grace, --as-root and the limits: what start and run share. */
export function jobOptions(command: Command): Command {
  return limitOptions(command)
    .usage("[--grace DURATION] [limits] -- CMD [ARGS...]")
    .argument("<cmd>", "command to run: a path, or a name looked up in the agent's PATH")
    .argument("[args...]", "its arguments (put -- before CMD so that options among them are passed on)")
    .option("--grace <duration>", "how long stop waits between SIGTERM and SIGKILL, e.g. 10s, 500ms, 2m (default: the agent's, 10s)", durationOption)
    .option("--as-root", "run as root instead of the agent's unprivileged run-as user (admin role, and the agent must allow it)");
}

export function startRequest(cmd: string, args: string[], options: StartOptions): StartRequest {
  return {
    commandName: cmd,
    arguments: args,
    limits: limitsFrom(options),
    runAsRoot: options.asRoot ?? false,
    ...(options.grace !== undefined && { gracePeriodMs: options.grace }),
  };
}

export function registerStart(program: Command): void {
  jobOptions(program.command("start"))
    .description("start a job running CMD with ARGS; prints the job id")
    .addHelpText(
      "after",
      `
Examples:
  jobctl start -- sleep 60
  jobctl start --grace 30s -- sh -c 'trap "echo bye" TERM; sleep 600'
  jobctl start --cpu 0.5 --memory 256Mi --io-write-bps 10Mi --pids 100 -- make test
  id=$(jobctl start -- make -j8) && jobctl logs -f "$id"`,
    )
    .action(async (cmd: string, args: string[], options: StartOptions, command: Command) => {
      const response = await withAgent(command, (api) => api.start(startRequest(cmd, args, options)));
      process.stdout.write(`${jobIdFromResponse(response)}\n`);
    });
}
