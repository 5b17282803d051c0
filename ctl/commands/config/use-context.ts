// jobctl config use-context NAME (alias use): set current-context.
import type { Command } from "commander";
import { contextNames } from "../../config.js";
import { editConfigFile, fileForNewValues } from "../../config-edit.js";
import { UsageError } from "../../errors.js";
import { mergedConfigFor } from "../shared.js";

export function registerUseContext(config: Command): void {
  config
    .command("use-context")
    .alias("use")
    .description("make NAME the current context")
    .argument("<name>", "a context from the config")
    .addHelpText("after", "\nExamples:\n  jobctl config use-context alice\n  jobctl --config ./team.yaml config use-context prod")
    .action(async (name: string, _options: object, command: Command) => {
      const merged = await mergedConfigFor(command);
      if (!merged.entries.contexts.has(name)) throw new UsageError(`no context named "${name}"; contexts: ${contextNames(merged)}`);
      await editConfigFile(fileForNewValues(merged), (doc) => doc.set("current-context", name));
      process.stdout.write(`Switched to context "${name}".\n`);
    });
}
