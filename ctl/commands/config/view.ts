// jobctl config view: the merged config (config-view.ts), key data and
// tokens hidden unless --raw.
import type { Command } from "commander";
import { viewConfig } from "../../config-view.js";
import { formatStructured, outputOption } from "../../output-format.js";
import { globalOptions, mergedConfigFor } from "../shared.js";

interface ViewOptions {
  raw?: boolean;
  minify?: boolean;
  output?: "yaml" | "json";
}

export function registerView(config: Command): void {
  config
    .command("view")
    .description("print the merged config; key data and tokens hidden unless --raw")
    .option("--raw", "show key data and tokens as they are")
    .option("--minify", "only the context in use (--context, else current-context) with its cluster and user")
    .addOption(outputOption(["yaml", "json"]))
    .addHelpText(
      "after",
      `
Examples:
  jobctl config view
  jobctl config view --minify --raw > just-this-context.yaml
  jobctl --context alice config view --minify -o json`,
    )
    .action(async (options: ViewOptions, command: Command) => {
      const merged = await mergedConfigFor(command);
      const view = viewConfig(merged, { raw: options.raw, minify: options.minify, context: globalOptions(command).context });
      process.stdout.write(formatStructured(view, options.output ?? "yaml"));
    });
}
