// The jobctl command line: global options, one verb per file in commands/.
import { Command } from "commander";
import { registerInfo } from "./commands/info.js";
import { registerList } from "./commands/list.js";
import { registerLogs } from "./commands/logs.js";
import { registerStart } from "./commands/start.js";
import { registerStatus } from "./commands/status.js";
import { registerStop } from "./commands/stop.js";
import { oneLine } from "./errors.js";

export function buildProgram(): Command {
  const program = new Command("jobctl")
    .description("Start, stop, query and follow jobs (Linux processes) on a jobagent, over gRPC with mutual TLS 1.3.")
    .option("--config <file>", "config file (default: $JOBCTL_CONFIG, else ~/.jobworker/config)")
    .option("--context <name>", "context from the config file (default: its current-context)")
    // Throw instead of exiting, so main.ts maps usage errors to exit code 2
    // and closes what is open. Subcommands made with .command() inherit this
    // and the output configuration.
    .exitOverride()
    .configureOutput({ outputError: (message, write) => write(`${oneLine(message)}\n`) })
    .addHelpText(
      "after",
      `
Examples:
  id=$(jobctl start -- sh -c 'for i in 1 2 3; do echo $i; sleep 1; done')
  jobctl status "$id"
  jobctl logs -f "$id"
  jobctl list
  jobctl --context viewer list

Exit codes:
  0  success
  1  server or connection error (INTERNAL, UNAVAILABLE, DEADLINE_EXCEEDED, ...)
  2  usage error: flags, arguments, config file, malformed job id (or INVALID_ARGUMENT)
  3  authentication or permission failure (UNAUTHENTICATED, PERMISSION_DENIED)
  4  not found (NOT_FOUND)
  5  refused by the agent's limits or the job's state (RESOURCE_EXHAUSTED, FAILED_PRECONDITION)`,
    );

  registerStart(program);
  registerStop(program);
  registerStatus(program);
  registerLogs(program);
  registerList(program);
  registerInfo(program);
  return program;
}
