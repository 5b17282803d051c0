// jobctl delete spec NAME: stop a job spec's run and forget the spec, so the
// agent no longer restarts it. Waits until the run has stopped (its grace
// period). The runs' jobs stay, as finished jobs, for status and logs.
import { Argument, type Command } from "commander";
import { REQUEST_LIMITS } from "../../common/request-limits.js";
import { STOP_MARGIN_MS } from "../deadlines.js";
import { withAgent } from "./shared.js";

/** The longest grace period a spec may have (common/request-limits.ts), plus the usual margin. */
const DELETE_TIMEOUT_MS = REQUEST_LIMITS.maxGracePeriodMs + STOP_MARGIN_MS;

export function registerDelete(program: Command): void {
  program
    .command("delete")
    .description("delete job specs: their runs are stopped (grace period) and never restarted")
    .addArgument(new Argument("<resource>", "what to delete").choices(["spec", "specs"]))
    .argument("<name...>", "spec names")
    .addHelpText(
      "after",
      `
Examples:
  jobctl delete spec web
  jobctl delete spec web worker
  jobctl get specs -o name | cut -d/ -f2 | xargs jobctl delete spec

A spec from a manifest file on the agent cannot be deleted here: remove the file.`,
    )
    .action(async (_resource: string, names: string[], _options: object, command: Command) => {
      await withAgent(command, async (api) => {
        for (const name of names) {
          await api.deleteSpec(name, DELETE_TIMEOUT_MS);
          process.stdout.write(`spec/${name} deleted\n`);
        }
      });
    });
}
