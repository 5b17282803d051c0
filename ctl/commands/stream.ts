// jobctl stream: follow a job's output until it ends, the same as logs -f,
// under the name older scripts use.
import type { Command } from "commander";
import { jobIdToWire } from "../job-id.js";
import { byteOffsetOption } from "../options.js";
import { copyJobOutput } from "../output.js";
import { jobIdArguments, jobIdFrom, withAgent, type JobIdOptions } from "./shared.js";

interface StreamOptions extends JobIdOptions {
  offset?: number;
}

export function registerStream(program: Command): void {
  jobIdArguments(program.command("stream"))
    .description("follow a job's output until it ends (the same as logs -f)")
    .option("--offset <bytes>", "start at this byte offset of the output", byteOffsetOption)
    .addHelpText(
      "after",
      `
Examples:
  jobctl stream 0b5c6a8e-6f3e-4d7a-9c1b-2e4f5a6b7c8d
  jobctl stream -j 0b5c6a8e-6f3e-4d7a-9c1b-2e4f5a6b7c8d     # also accepted: -j ID`,
    )
    .action((positional: string | undefined, options: StreamOptions, command: Command) => {
      const jobID = jobIdToWire(jobIdFrom(positional, options));
      return withAgent(command, (api) => copyJobOutput(api, jobID, { follow: true, offset: options.offset }, process.stdout));
    });
}
