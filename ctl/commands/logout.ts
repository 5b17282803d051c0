// jobctl logout: removes the token jobctl login stored in the context's user
// entry; calls are then made as the certificate's identity again.
import type { Command } from "commander";
import { selectContext } from "../config.js";
import { editConfigFile, existingUserBody } from "../config-edit.js";
import { ConfigError } from "../errors.js";
import { globalOptions, mergedConfigFor } from "./shared.js";

export function registerLogout(program: Command): void {
  program
    .command("logout")
    .description("remove the token login stored in the context's user entry")
    .addHelpText("after", "\nExamples:\n  jobctl logout\n  jobctl --context prod logout")
    .action(async (_options: object, command: Command) => {
      // Only the names are needed: a damaged token must not stand in the way of removing it.
      const merged = await mergedConfigFor(command);
      const context = selectContext(merged, globalOptions(command).context);
      const userName = context.body.user;
      if (typeof userName !== "string" || userName === "") throw new ConfigError(context.file, `${context.field}.user`, "missing");
      const user = merged.entries.users.get(userName);
      if (!user) throw new ConfigError(context.file, `${context.field}.user`, `user "${userName}" not found`);
      if (user.body.token === undefined) {
        process.stdout.write(`No token stored for user "${userName}".\n`);
        return;
      }
      await editConfigFile(user.file, (doc) => existingUserBody(doc, user.file, userName).delete("token"));
      process.stdout.write(`Logged out: removed the token of user "${userName}" from ${user.file}.\n`);
    });
}
