// jobctl version: the client's version and the agent's (AgentInfo), as
// kubectl version shows client and server.
import type { Command } from "commander";
import { printable } from "../format.js";
import { packageVersion as clientVersion } from "../../common/version.js";
import { withAgent } from "./shared.js";

export function registerVersion(program: Command): void {
  program
    .command("version")
    .description("show jobctl's version and the agent's")
    .option("--client", "only jobctl's version (no connection to the agent)")
    .addHelpText(
      "after",
      `
Examples:
  jobctl version
  jobctl version --client
  jobctl --context prod version`,
    )
    .action(async (options: { client?: boolean }, command: Command) => {
      // The client line first, so it shows even when the agent cannot be reached.
      process.stdout.write(`Client Version: ${clientVersion()}\n`);
      if (options.client) return;
      const info = await withAgent(command, (api) => api.agentInfo());
      process.stdout.write(`Agent Version: ${printable(info.version)}\n`);
    });
}
