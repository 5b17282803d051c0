// jobctl config get-contexts: the contexts as a table (* marks the current
// one), or their names one a line (-o name, for shell completion).
import type { Command } from "commander";
import { contextNames } from "../../config.js";
import { UsageError } from "../../errors.js";
import { formatTable } from "../../format.js";
import { outputOption } from "../../output-format.js";
import { mergedConfigFor } from "../shared.js";

export function registerGetContexts(config: Command): void {
  config
    .command("get-contexts")
    .description("list the contexts (* marks the current one)")
    .argument("[names...]", "only these contexts")
    .addOption(outputOption(["name"]))
    .addHelpText(
      "after",
      `
Examples:
  jobctl config get-contexts
  jobctl config get-contexts -o name`,
    )
    .action(async (names: string[], options: { output?: "name" }, command: Command) => {
      const merged = await mergedConfigFor(command);
      const contexts = [...merged.entries.contexts.values()];
      const missing = names.filter((name) => !merged.entries.contexts.has(name));
      if (missing.length > 0) throw new UsageError(`context "${missing[0]}" not found; contexts: ${contextNames(merged)}`);
      const shown = names.length > 0 ? contexts.filter((entry) => names.includes(entry.name)) : contexts;
      if (options.output === "name") {
        process.stdout.write(shown.map((entry) => `${entry.name}\n`).join(""));
        return;
      }
      const text = (value: unknown) => (typeof value === "string" ? value : "");
      const rows = shown.map((entry) => [entry.name === merged.currentContext?.name ? "*" : "", entry.name, text(entry.body.cluster), text(entry.body.user)]);
      process.stdout.write(formatTable(["CURRENT", "NAME", "CLUSTER", "USER"], rows));
    });
}
