// jobctl logs: a job's output (stdout and stderr as captured) written to
// stdout as raw bytes; with spec/NAME, of a job spec's current or previous
// run. `jobctl stream ID` (stream.ts) is `logs -f`. Ctrl-C ends `logs -f` the
// way it ends any command (killed by SIGINT, 130 in the shell): there is
// nothing to clean up, the job keeps running, and a shell loop around it
// stops as it should.
import { Option, type Command } from "commander";
import type { WorkerApi } from "../client.js";
import { RpcError, UsageError } from "../errors.js";
import { Status } from "../grpc-status.js";
import { jobIdToWire } from "../job-id.js";
import { byteOffsetOption } from "../options.js";
import { copyJobOutput } from "../output.js";
import { jobIdArguments, jobIdFrom, withAgent, type JobIdOptions } from "./shared.js";

interface LogsOptions extends JobIdOptions {
  follow?: boolean;
  previous?: boolean;
  offset?: number;
  tailBytes?: number;
}

export function registerLogs(program: Command): void {
  jobIdArguments(program.command("logs"))
    .description("print a job's output so far; with -f, keep following it until the job ends")
    .option("-f, --follow", "follow the output until the job ends")
    .option("-p, --previous", "with spec/NAME: the run before the current one")
    .option("--offset <bytes>", "start at this byte offset of the output", byteOffsetOption)
    .addOption(
      new Option("--tail-bytes <bytes>", "start this many bytes before the end of what has been captured so far")
        .argParser(byteOffsetOption)
        .conflicts("offset"),
    )
    .addHelpText(
      "after",
      `
Examples:
  jobctl logs 0b5c6a8e-6f3e-4d7a-9c1b-2e4f5a6b7c8d
  jobctl logs -f 0b5c6a8e-6f3e-4d7a-9c1b-2e4f5a6b7c8d
  jobctl logs -f --tail-bytes 4096 "$id"            # the last 4 KiB so far, then follow
  jobctl logs --offset 1048576 "$id" > rest.bin     # binary-safe: bytes exactly as the job wrote them
  jobctl logs spec/web                              # a job spec's current run (or its last, once ended)
  jobctl logs -f spec/web
  jobctl logs spec/web --previous                   # the run before it: why did it crash?`,
    )
    .action(async (positional: string | undefined, options: LogsOptions, command: Command) => {
      const spec = positional?.startsWith("spec/") ? positional.slice("spec/".length) : undefined;
      if (options.previous && spec === undefined) throw new UsageError("--previous needs spec/NAME: a job has no previous run");
      const id = spec === undefined ? jobIdFrom(positional, options) : undefined;
      await withAgent(command, async (api) => {
        const jobID = jobIdToWire(id ?? (await runOf(api, spec!, options.previous === true)));
        await copyJobOutput(api, jobID, { follow: options.follow === true, offset: options.offset, tailBytes: options.tailBytes }, process.stdout);
      });
    });
}

/**
 * The job of a spec's run: the current one (or, with none running, the last),
 * or with previous the run before that, as kubectl logs --previous shows the
 * container instance before the current one.
 */
async function runOf(api: WorkerApi, name: string, previous: boolean): Promise<string> {
  const spec = await api.getSpec(name);
  const runs = spec.recentRuns; // newest first
  const current = spec.currentJobId ? runs.find((job) => job.id === spec.currentJobId) : runs[0];
  if (!current) throw new RpcError(Status.NOT_FOUND, `job spec ${name} has no run yet`, api.server);
  if (!previous) return current.id;
  const before = runs.find((job) => job.specRun < current.specRun);
  if (!before) throw new RpcError(Status.NOT_FOUND, `job spec ${name} has no run before run ${current.specRun}`, api.server);
  return before.id;
}
