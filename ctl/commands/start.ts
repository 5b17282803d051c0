// jobctl start: run a command on the agent's host; prints only the job id, so
// `id=$(jobctl start -- ...)` works in scripts.
import type { Command } from "commander";
import { jobOptions, startRequest, type StartOptions } from "../job-options.js";
import { jobIdFromResponse } from "../job-id.js";
import { withAgent } from "./shared.js";

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
