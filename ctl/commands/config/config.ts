// jobctl config: look at and change the config files, like kubectl config.
// One file per sub-verb in this folder. Reads merge every file
// $JOBCTL_CONFIG lists (config-files.ts); writes go where kubectl would put
// them (config-edit.ts).
import type { Command } from "commander";
import { registerCurrentContext } from "./current-context.js";
import { registerGetContexts } from "./get-contexts.js";
import { registerImport } from "./import.js";
import { registerSetContext } from "./set-context.js";
import { registerUseContext } from "./use-context.js";
import { registerView } from "./view.js";

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
  jobctl config import ./client.yaml --name lab    # a flat client config (serverAddress, serverCA, ...)`,
    );

  registerGetContexts(config);
  registerCurrentContext(config);
  registerUseContext(config);
  registerSetContext(config);
  registerView(config);
  registerImport(config);
}
