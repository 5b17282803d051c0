// jobctl run: start a job, stream its output live, and exit with the job's
// exit code (job-exit.ts), so a remote command composes in scripts like a
// local one. Ctrl-C detaches (the job keeps running: closing a laptop lid
// should not kill a long build); a second Ctrl-C within the detach window
// stops the job instead.
import type { Command } from "commander";
import type { QueryStatusResponse__Output } from "../../proto/generated/workerservice/QueryStatusResponse.js";
import type { WorkerApi } from "../client.js";
import { INTERRUPTED_BY_CTRL_C, RunExit } from "../exit-codes.js";
import { hasEnded, jobExit } from "../job-exit.js";
import { jobIdFromResponse, jobIdToWire } from "../job-id.js";
import { jobOptions, startRequest, type StartOptions } from "../job-options.js";
import { writeChunks } from "../output.js";
import { stopJob } from "../stop-job.js";
import { withAgent } from "./shared.js";

/** How long after the first Ctrl-C a second one stops the job instead of leaving it running. */
export const DETACH_WINDOW_MS = 2000;

export function registerRun(program: Command): void {
  jobOptions(program.command("run"))
    .description("start a job, stream its output until it ends, and exit with its exit code; Ctrl-C detaches, twice stops it")
    .addHelpText(
      "after",
      `
Examples:
  jobctl run -- make test && echo passed
  jobctl run --memory 256Mi --cpu 0.5 -- ./benchmark
  jobctl run -- sh -c 'echo to stderr >&2; exit 3'; echo $?          # 3

Ctrl-C detaches: jobctl prints the job id on stderr and exits 251, the job keeps
running (jobctl logs -f ID to follow it again). A second Ctrl-C within ${DETACH_WINDOW_MS / 1000}s
stops the job (SIGTERM, then SIGKILL after its grace period) and jobctl exits with
the job's code.

Exit codes: the job's own exit code; 128+N when a signal N ended it (SIGTERM 143,
SIGKILL 137); 250 when it was OOM-killed; 127 when the command was not found and
126 when it could not be executed, as a shell does (the agent's message on stderr); 251 when
detached. jobctl's own errors (1-5, see jobctl --help) overlap job codes; their
message on stderr starts with "error:".`,
    )
    .action(async (cmd: string, args: string[], options: StartOptions, command: Command) => {
      process.exitCode = await withAgent(command, (api) => runJob(api, cmd, args, options));
    });
}

async function runJob(api: WorkerApi, cmd: string, args: string[], options: StartOptions): Promise<number> {
  const id = jobIdFromResponse(await api.start(startRequest(cmd, args, options)));
  const jobID = jobIdToWire(id);
  const ctrlC = new CtrlC(id);
  try {
    await writeChunks(api.output({ jobID }, ctrlC.detached), process.stdout);
    if (!ctrlC.detached.aborted) {
      // The output ended because the job did; from here a Ctrl-C just ends jobctl.
      ctrlC.release();
      return finish(await finalStatus(api, jobID));
    }
    if ((await ctrlC.decision) === "detach") {
      process.stderr.write(`Detached: job ${id} keeps running (jobctl logs -f ${id} to follow it, jobctl stop ${id} to stop it).\n`);
      return RunExit.Detached;
    }
    process.stderr.write(`\nStopping job ${id} (SIGTERM, then SIGKILL after its grace period)...\n`);
    const { status } = await stopJob(api, jobID);
    return finish(status ?? (await finalStatus(api, jobID)));
  } finally {
    ctrlC.release();
  }
}

/**
 * Ctrl-C while running: the first aborts `detached` (ending the output
 * stream) and opens the detach window; a second within it decides "stop";
 * else the window closing decides "detach". A third, while the job is being
 * stopped, ends jobctl at once (the agent carries on stopping the job).
 */
class CtrlC {
  private readonly controller = new AbortController();
  readonly detached = this.controller.signal;
  readonly decision: Promise<"detach" | "stop">;
  private decide!: (choice: "detach" | "stop") => void;
  private presses = 0;
  private window: NodeJS.Timeout | undefined;
  private readonly onSigint = () => this.pressed();

  constructor(private readonly id: string) {
    this.decision = new Promise((resolve) => (this.decide = resolve));
    process.on("SIGINT", this.onSigint);
  }

  private pressed(): void {
    this.presses++;
    if (this.presses === 1) {
      this.controller.abort();
      process.stderr.write(`\nDetaching from job ${this.id}; press Ctrl-C again within ${DETACH_WINDOW_MS / 1000}s to stop it.\n`);
      this.window = setTimeout(() => this.decide("detach"), DETACH_WINDOW_MS);
    } else if (this.presses === 2) {
      clearTimeout(this.window);
      this.decide("stop");
    } else {
      process.exit(INTERRUPTED_BY_CTRL_C);
    }
  }

  /** Back to Ctrl-C's default (end jobctl). */
  release(): void {
    process.off("SIGINT", this.onSigint);
  }
}

/**
 * The job's final status. GetOutput ends once the job has ended and all of
 * its output is read, so this is normally the first answer; a few retries
 * cover a record that is written just after.
 */
async function finalStatus(api: WorkerApi, jobID: Buffer): Promise<QueryStatusResponse__Output> {
  for (let attempt = 1; ; attempt++) {
    const status = await api.status(jobID);
    if (hasEnded(status) || attempt >= 50) return status;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function finish(status: QueryStatusResponse__Output): number {
  const { code, note } = jobExit(status);
  if (note) process.stderr.write(`error: ${note}\n`);
  return code;
}
