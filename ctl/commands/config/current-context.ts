// jobctl config current-context: the current context's name.
import type { Command } from "commander";
import { requireCurrentContext } from "../../config.js";
import { mergedConfigFor } from "../shared.js";

export function registerCurrentContext(config: Command): void {
  config
    .command("current-context")
    .description("print the current context's name")
    .addHelpText("after", "\nExamples:\n  jobctl config current-context")
    .action(async (_options: object, command: Command) => {
      process.stdout.write(`${requireCurrentContext(await mergedConfigFor(command)).name}\n`);
    });
}
