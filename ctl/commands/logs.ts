// jobctl logs: a job's output (stdout and stderr as captured) written to
// stdout as raw bytes. `jobctl stream ID` (seed 000's verb) is `logs -f`.
import type { Command } from "commander";
import { jobIdToWire } from "../job-id.js";
import { writeChunks } from "../output.js";
import { byteOffsetOption, jobIdArguments, jobIdFrom, withAgent } from "./shared.js";

interface LogsOptions {
  job?: string;
  follow?: boolean;
  offset?: number;
}

export function registerLogs(program: Command): void {
  jobIdArguments(program.command("logs"))
    .description("print a job's output so far; with -f, keep following it until the job ends")
    .option("-f, --follow", "follow the output until the job ends")
    .option("--offset <bytes>", "start at this byte offset of the output", byteOffsetOption)
    .addHelpText(
      "after",
      `
Examples:
  jobctl logs 0b5c6a8e-6f3e-4d7a-9c1b-2e4f5a6b7c8d
  jobctl logs -f 0b5c6a8e-6f3e-4d7a-9c1b-2e4f5a6b7c8d
  jobctl logs --offset 1048576 "$id" > rest.bin     # binary-safe: bytes exactly as the job wrote them`,
    )
    .action((positional: string | undefined, options: LogsOptions, command: Command) =>
      printOutput(command, jobIdFrom(positional, options), options.follow === true, options.offset),
    );

  jobIdArguments(program.command("stream"))
    .description("follow a job's output until it ends (the same as logs -f)")
    .option("--offset <bytes>", "start at this byte offset of the output", byteOffsetOption)
    .addHelpText(
      "after",
      `
Examples:
  jobctl stream 0b5c6a8e-6f3e-4d7a-9c1b-2e4f5a6b7c8d
  jobctl stream -j 0b5c6a8e-6f3e-4d7a-9c1b-2e4f5a6b7c8d     # seed 000's form`,
    )
    .action((positional: string | undefined, options: LogsOptions, command: Command) =>
      printOutput(command, jobIdFrom(positional, options), true, options.offset),
    );
}

async function printOutput(command: Command, id: string, follow: boolean, offset = 0): Promise<void> {
  await withAgent(command, (api) => writeChunks(api.output({ jobID: jobIdToWire(id), noFollow: !follow, offset }), process.stdout));
}
