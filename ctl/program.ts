// The jobctl command line: global options and the verbs. One file per verb in
// commands/; a verb with sub-verbs or several resources is a folder
// (commands/config/, get/, describe/) whose <verb>.ts registers it; a verb
// file never imports another verb's: what they share is in
// commands/shared.ts or in ctl/.
import { Command } from "commander";
import { registerApply } from "./commands/apply.js";
import { registerCompletion } from "./commands/completion.js";
import { registerDelete } from "./commands/delete.js";
import { registerConfig } from "./commands/config/config.js";
import { registerDescribe } from "./commands/describe/describe.js";
import { registerGet } from "./commands/get/get.js";
import { registerInfo } from "./commands/info.js";
import { registerLogin } from "./commands/login.js";
import { registerLogout } from "./commands/logout.js";
import { registerLogs } from "./commands/logs.js";
import { registerRun } from "./commands/run.js";
import { registerStart } from "./commands/start.js";
import { registerStatus } from "./commands/status.js";
import { registerStop } from "./commands/stop.js";
import { registerStream } from "./commands/stream.js";
import { registerTop } from "./commands/top.js";
import { registerVersion } from "./commands/version.js";
import { oneLine } from "./errors.js";
import { packageVersion as clientVersion } from "../common/version.js";

export function buildProgram(): Command {
  const program = new Command("jobctl")
    .description("Start, stop, query and follow jobs (Linux processes) on a jobagent, over gRPC with mutual TLS 1.3.")
    .option("--config <file>", "config file (default: $JOBCTL_CONFIG, which may list several separated by \":\", else ~/.jobworker/config)")
    .option("--context <name>", "context from the config (default: its current-context)")
    .option("-t, --token <jwt>", "send this login token instead of the one the context's user has stored")
    .version(clientVersion(), "--version", "print jobctl's version")
    // Throw instead of exiting, so main.ts maps usage errors to exit code 2
    // and closes what is open. Subcommands made with .command() inherit this
    // and the output configuration.
    .exitOverride()
    .configureOutput({ outputError: (message, write) => write(`${oneLine(message)}\n`) })
    .addHelpText(
      "after",
      `
Examples:
  jobctl run -- make test                      # stream the output, exit with the job's code
  id=$(jobctl start -- sh -c 'for i in 1 2 3; do echo $i; sleep 1; done')
  jobctl logs -f "$id"
  jobctl get jobs -l status=RUNNING
  jobctl describe job "$id"
  jobctl apply -f web.yaml                     # a job spec the agent keeps running
  jobctl get specs
  jobctl --context viewer get jobs
  jobctl login -u alice
  jobctl start sleep -args 60                  # also accepted: CMD -args ARGS (the same as -- sleep 60)
  jobctl start -t "$JWT" -c echo -args hi      # also accepted: -c CMD, and -t with a token from jobctl login --print-token

Exit codes:
  0  success
  1  server or connection error (INTERNAL, UNAVAILABLE, DEADLINE_EXCEEDED, ...)
  2  usage error: flags, arguments, config file, malformed job id (or INVALID_ARGUMENT)
  3  authentication or permission failure (UNAUTHENTICATED, PERMISSION_DENIED), a failed login
  4  not found (NOT_FOUND)
  5  refused by the agent's limits or the job's state (RESOURCE_EXHAUSTED, FAILED_PRECONDITION, ALREADY_EXISTS)
  jobctl run exits with the job's code: 128+N for signal N, 250 OOM-killed,
  126/127 could not execute / not found, 251 detached (see jobctl run --help).
  Ctrl-C ends logs -f like any command (130 in the shell).`,
    );

  registerRun(program);
  registerStart(program);
  registerStop(program);
  registerStatus(program);
  registerDescribe(program);
  registerLogs(program);
  registerStream(program);
  registerGet(program);
  registerApply(program);
  registerDelete(program);
  registerTop(program);
  registerInfo(program);
  registerVersion(program);
  registerLogin(program);
  registerLogout(program);
  registerConfig(program);
  registerCompletion(program);
  return program;
}
