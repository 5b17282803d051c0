// jobctl config: look at and change the config files, like kubectl config:
// get-contexts, current-context, use-context, set-context, view; and import
// (seed 000's flat client config, in config/import.ts). Reads merge
// every file $JOBCTL_CONFIG lists (config-files.ts); writes go where kubectl
// would put them (config-edit.ts).
import type { Command } from "commander";
import { configSelection, type ConfigSelection } from "../config.js";
import { readMergedConfig, type MergedConfig } from "../config-files.js";
import { editConfigFile, entryBody, fileForNewValues } from "../config-edit.js";
import { viewConfig } from "../config-view.js";
import { ConfigError, UsageError } from "../errors.js";
import { formatTable } from "../format.js";
import { formatStructured, outputOption } from "../output-format.js";
import type { GlobalOptions } from "./shared.js";
import { registerConfigImport } from "./config/import.js";

function globals(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>();
}

function selection(command: Command): ConfigSelection {
  return configSelection(globals(command).config);
}

function contextNames(config: MergedConfig): string {
  return config.entries.contexts.size === 0 ? "(none)" : [...config.entries.contexts.keys()].join(", ");
}

export function registerConfig(program: Command): void {
  const config = program
    .command("config")
    .description("show and change the config: contexts, the current context, the merged view")
    .addHelpText(
      "after",
      `
Files: --config FILE reads and writes exactly that file. Otherwise $JOBCTL_CONFIG may
list several files separated by ":" (else ~/.jobworker/config), merged as kubectl
merges KUBECONFIG: for each cluster, user and context name the first file that
defines it wins; current-context comes from the first file that sets it. A change
to an existing entry is written to the file that defines it; a new entry, and
current-context, to the first file that exists.

Examples:
  jobctl config get-contexts
  jobctl config use-context alice
  JOBCTL_CONFIG=~/.jobworker/config:./team.yaml jobctl config view --minify
  jobctl config import ./client.yaml --name lab    # seed 000's flat client config`,
    );

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
      const merged = await readMergedConfig(selection(command));
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

  config
    .command("current-context")
    .description("print the current context's name")
    .addHelpText("after", "\nExamples:\n  jobctl config current-context")
    .action(async (_options: object, command: Command) => {
      const merged = await readMergedConfig(selection(command));
      if (!merged.currentContext) throw new ConfigError(merged.selection.paths.join(":"), "current-context", "not set");
      process.stdout.write(`${merged.currentContext.name}\n`);
    });

  config
    .command("use-context")
    .alias("use")
    .description("make NAME the current context")
    .argument("<name>", "a context from the config")
    .addHelpText("after", "\nExamples:\n  jobctl config use-context alice\n  jobctl --config ./team.yaml config use-context prod")
    .action(async (name: string, _options: object, command: Command) => {
      const merged = await readMergedConfig(selection(command));
      if (!merged.entries.contexts.has(name)) throw new UsageError(`no context named "${name}"; contexts: ${contextNames(merged)}`);
      await editConfigFile(fileForNewValues(merged), (doc) => doc.set("current-context", name));
      process.stdout.write(`Switched to context "${name}".\n`);
    });

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
    .action(async (name: string | undefined, options: { current?: boolean; cluster?: string; user?: string }, command: Command) => {
      if (name !== undefined && options.current) throw new UsageError("give a context name or --current, not both");
      if (name === undefined && !options.current) throw new UsageError("a context name (or --current) is required");
      const merged = await readMergedConfig(selection(command), { allowMissing: true });
      if (options.current && !merged.currentContext) throw new ConfigError(merged.selection.paths.join(":"), "current-context", "not set");
      const contextName = name ?? merged.currentContext!.name;
      const existing = merged.entries.contexts.get(contextName);
      await editConfigFile(existing?.file ?? fileForNewValues(merged), (doc) => {
        const body = entryBody(doc, "contexts", contextName, true)!;
        if (options.cluster !== undefined) body.set("cluster", options.cluster);
        if (options.user !== undefined) body.set("user", options.user);
      });
      process.stdout.write(`Context "${contextName}" ${existing ? "modified" : "created"}.\n`);
    });

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
    .action(async (options: { raw?: boolean; minify?: boolean; output?: "yaml" | "json" }, command: Command) => {
      const merged = await readMergedConfig(selection(command));
      const view = viewConfig(merged, { raw: options.raw, minify: options.minify, context: globals(command).context });
      process.stdout.write(formatStructured(view, options.output ?? "yaml"));
    });

  registerConfigImport(config);
}
