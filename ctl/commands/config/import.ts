// jobctl config import FILE: seed 000's flat client config (serverAddress,
// serverCA, clientCertificate, clientKey) copied in as one cluster, user and
// context of the kubeconfig-style config, so that it can hold a login token
// and sit beside other contexts. Paths become absolute: they were relative to
// FILE's directory, not to the file they are copied into.
import type { Command } from "commander";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { describeIoError, failIn, parseYaml } from "../../config-files.js";
import { editConfigFile, entryBody, fileForNewValues } from "../../config-edit.js";
import { ConfigError, UsageError } from "../../errors.js";
import { importedEntries, isFlatConfig } from "../../seed-config.js";
import { mergedConfigFor } from "../shared.js";

const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]*$/;

export function registerImport(config: Command): void {
  config
    .command("import")
    .description("copy a flat client config (serverAddress, serverCA, clientCertificate, clientKey) in as a context")
    .argument("<file>", "the flat config (YAML)")
    .option("--name <name>", "name of the new cluster, user and context", "seed")
    .option("--use", "make it the current context")
    .addHelpText(
      "after",
      `
The cluster, user and context are all named --name. They are written where a new
entry goes (--config FILE, else the first file of $JOBCTL_CONFIG that exists, else
~/.jobworker/config); current-context is set to it when none is set, or with --use.
A flat file also works as it is, read-only: jobctl --config FILE get jobs.

Examples:
  jobctl config import ./client.yaml --name lab --use
  jobctl --config ~/team.yaml config import /etc/jobworker/client.yaml --name prod`,
    )
    .action(async (file: string, options: { name: string; use?: boolean }, command: Command) => {
      if (!NAME.test(options.name)) throw new UsageError(`--name "${options.name}": letters, digits, ".", "_", "@" and "-" only`);
      const source = resolve(file);
      const entries = importedEntries(source, await readFlat(source), options.name, failIn(source));
      const merged = await mergedConfigFor(command, { allowMissing: true });
      for (const kind of ["clusters", "users", "contexts"] as const) {
        const existing = merged.entries[kind].get(options.name);
        if (existing) throw new UsageError(`${kind.slice(0, -1)} "${options.name}" already exists in ${existing.file}; choose another --name`);
      }
      const target = fileForNewValues(merged);
      const makeCurrent = options.use || merged.currentContext === undefined;
      await editConfigFile(target, (doc) => {
        for (const [kind, body] of [["clusters", entries.cluster], ["users", entries.user], ["contexts", entries.context]] as const) {
          const created = entryBody(doc, kind, options.name, true)!;
          for (const [key, value] of Object.entries(body)) created.set(key, value);
        }
        if (makeCurrent) doc.set("current-context", options.name);
      });
      process.stdout.write(`Imported ${source} as context "${options.name}" into ${target}${makeCurrent ? " (now the current context)" : ""}.\n`);
    });
}

async function readFlat(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new ConfigError(path, undefined, `cannot read: ${describeIoError(err)}`);
  }
  const root = parseYaml(path, text);
  if (!isFlatConfig(root)) throw new ConfigError(path, undefined, "not seed 000's flat client config (serverAddress, serverCA, clientCertificate, clientKey)");
  return root;
}
