// jobctl start: run a command on the agent's host; prints only the job id, so
// `id=$(jobctl start -- ...)` works in scripts.
import type { Command } from "commander";
import { jobIdFromResponse } from "../job-id.js";
import { durationOption, withAgent } from "./shared.js";

interface StartOptions {
  grace?: number;
}

export function registerStart(program: Command): void {
  program
    .command("start")
    .description("start a job running CMD with ARGS; prints the job id")
    .usage("[--grace DURATION] -- CMD [ARGS...]")
    .argument("<cmd>", "command to run: a path, or a name looked up in the agent's PATH")
    .argument("[args...]", "its arguments (put -- before CMD so that options among them are passed on)")
    .option("--grace <duration>", "how long stop waits between SIGTERM and SIGKILL, e.g. 10s, 500ms, 2m (default: the agent's, 10s)", durationOption)
    .addHelpText(
      "after",
      `
Examples:
  jobctl start -- sleep 60
  jobctl start --grace 30s -- sh -c 'trap "echo bye" TERM; sleep 600'
  id=$(jobctl start -- make -j8) && jobctl logs -f "$id"`,
    )
    .action(async (cmd: string, args: string[], options: StartOptions, command: Command) => {
      const response = await withAgent(command, (api) =>
        api.start({ commandName: cmd, arguments: args, ...(options.grace !== undefined && { gracePeriodMs: options.grace }) }),
      );
      process.stdout.write(`${jobIdFromResponse(response)}\n`);
    });
}
