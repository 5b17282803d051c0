// What the verbs share: the global options (--config, --context, -t),
// connecting to the selected context's agent, and the job id given as an
// argument or with -j.
import { InvalidArgumentError, type Command } from "commander";
import type { WorkerApi } from "../client.js";
import { configSelection, loadConfig, readTlsFiles, type ConfigSelection, type JobctlContext } from "../config.js";
import { readMergedConfig, type MergedConfig, type ReadOptions } from "../config-files.js";
import { pickJobId } from "../job-id.js";

export interface GlobalOptions {
  config?: string;
  context?: string;
  /** seed 003's -t: a token sent instead of the stored one. */
  token?: string;
}

/** jobctl's global options as given to this run (wherever on the command line they were typed). */
export function globalOptions(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>();
}

/** The config files the global --config (or $JOBCTL_CONFIG) selects. */
function selectionFor(command: Command): ConfigSelection {
  return configSelection(globalOptions(command).config);
}

/** The selected config files, merged (for the verbs that look at or edit the config itself). */
export function mergedConfigFor(command: Command, options?: ReadOptions): Promise<MergedConfig> {
  return readMergedConfig(selectionFor(command), options);
}

/** The context the global --context (or current-context) selects, resolved; with -t, that token instead of the stored one. */
export async function contextFor(command: Command): Promise<JobctlContext> {
  const globals = globalOptions(command);
  const context = await loadConfig(selectionFor(command), globals.context);
  if (globals.token === undefined) return context;
  if (!/^[\x21-\x7e]+$/.test(globals.token)) throw new InvalidArgumentError("-t: not a token (printable ASCII without spaces)");
  return { ...context, token: globals.token };
}

/**
 * A client for the context's agent. client.ts, and with it grpc-js and the
 * wire contract, is imported here, not at the top, so that verbs that never
 * connect (version --client, completion, config) do not load it: grpc-js and
 * proto-loader took 100-150 ms of a ~550 ms `jobctl start` on the 2-core dev
 * machine, and `jobctl version --client` went from 510-550 to 320-365 ms of
 * CPU time without them (medians of 15, machine at load 7-10).
 */
async function connectTo(context: JobctlContext): Promise<WorkerApi> {
  const [{ connect }, files] = await Promise.all([import("../client.js"), readTlsFiles(context)]);
  return connect(context, files);
}

/** Runs `run` with a client for the selected context, and closes the client after, so the process can exit. */
export async function withAgent<T>(command: Command, run: (api: WorkerApi) => Promise<T>): Promise<T> {
  const api = await connectTo(await contextFor(command));
  try {
    return await run(api);
  } finally {
    api.close();
  }
}

/** The options jobIdArguments adds. */
export interface JobIdOptions {
  /** -j: the job id, when not given as the argument. */
  job?: string;
}

/** Adds `[id]` and `-j, --job <id>` (seed 000's form) to a command that acts on one job. */
export function jobIdArguments(command: Command): Command {
  return command.argument("[id]", "job id (a UUID, as printed by jobctl start)").option("-j, --job <id>", "job id (alternative to the argument)");
}

/** The validated job id from `[id]` or `-j`; UsageError if missing, doubled or malformed. */
export function jobIdFrom(positional: string | undefined, options: JobIdOptions): string {
  return pickJobId(positional, options.job);
}
