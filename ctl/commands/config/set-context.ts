// jobctl config set-context: create a context, or change its cluster or user,
// in the file that defines it (a new one where new entries go).
import type { Command } from "commander";
import { requireCurrentContext } from "../../config.js";
import { editConfigFile, entryBody, fileForNewValues } from "../../config-edit.js";
import { UsageError } from "../../errors.js";
import { mergedConfigFor } from "../shared.js";

interface SetContextOptions {
  current?: boolean;
  cluster?: string;
  user?: string;
}

export function registerSetContext(config: Command): void {
  config
    .command("set-context")
    .description("create a context, or change its cluster or user")
    .argument("[name]", "the context (or --current)")
    .option("--current", "change the current context")
    .option("--cluster <cluster>", "the cluster entry it uses")
    .option("--user <user>", "the user entry it uses")
    .addHelpText(
      "after",
      `
Examples:
  jobctl config set-context alice-prod --cluster prod --user alice
  jobctl config set-context --current --user bob`,
    )
    .action(async (name: string | undefined, options: SetContextOptions, command: Command) => {
      if (name !== undefined && options.current) throw new UsageError("give a context name or --current, not both");
      if (name === undefined && !options.current) throw new UsageError("a context name (or --current) is required");
      const merged = await mergedConfigFor(command, { allowMissing: true });
      const contextName = name ?? requireCurrentContext(merged).name;
      const existing = merged.entries.contexts.get(contextName);
      await editConfigFile(existing?.file ?? fileForNewValues(merged), (doc) => {
        const body = entryBody(doc, "contexts", contextName, true)!;
        if (options.cluster !== undefined) body.set("cluster", options.cluster);
        if (options.user !== undefined) body.set("user", options.user);
      });
      process.stdout.write(`Context "${contextName}" ${existing ? "modified" : "created"}.\n`);
    });
}
