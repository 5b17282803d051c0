// jobctl login / logout: seed 003's tokens. login trades a username and
// password for a token (AuthService.Login, over the context's mutual TLS) and
// stores it as the `token` of the context's user entry, in the file that
// defines that user; every later call sends it as "authorization: Bearer".
// logout removes it, and calls are again made as the certificate's identity.
import type { Command } from "commander";
import type { Document, YAMLMap } from "yaml";
import { readTlsFiles, selectContext } from "../config.js";
import { readMergedConfig } from "../config-files.js";
import { editConfigFile, entryBody } from "../config-edit.js";
import { ConfigError } from "../errors.js";
import { fromTimestamp, printable } from "../format.js";
import { readPassword } from "../password.js";
import { contextFor, selectionFor, type GlobalOptions } from "./shared.js";

export function registerLogin(program: Command): void {
  program
    .command("login")
    .description("log in with a username and password; the token is stored in the context's user entry and sent on every call")
    .requiredOption("-u, --username <name>", "user to log in as")
    .option("-p, --password <password>", "the password (visible to others in ps; better typed at the prompt or piped on stdin)")
    .option("--print-token", "print only the token on stdout (for scripts and seed 003's -t), instead of storing it")
    .addHelpText(
      "after",
      `
Examples:
  jobctl login -u alice                              # prompts for the password (no echo)
  printf '%s\\n' "$PASSWORD" | jobctl login -u alice   # one line from stdin when it is not a terminal
  jobctl --context prod login -u admin
  JWT=$(jobctl login -u alice --print-token) && jobctl start -t "$JWT" -c uptime
  jobctl logout

The token replaces the certificate's identity and role for calls from every context
that uses this user entry (mutual TLS is still required). A failed login exits 3.`,
    )
    .action(async (options: { username: string; password?: string; printToken?: boolean }, command: Command) => {
      const context = await contextFor(command);
      const files = await readTlsFiles(context);
      const password = options.password ?? (await readPassword("Password: "));
      // client.ts loads grpc-js: only once it is needed (see connectTo in shared.ts); logout does without.
      const { login } = await import("../client.js");
      const response = await login(context, files, options.username, password);
      if (options.printToken) {
        process.stdout.write(`${response.token}\n`);
        return;
      }
      await editConfigFile(context.userFile, (doc) => userBody(doc, context.userFile, context.userName).set("token", response.token));
      const expires = fromTimestamp(response.expiresAt);
      process.stdout.write(
        `Logged in as ${printable(options.username)} (role ${printable(response.role)}), until ${expires?.toISOString() ?? "?"}; ` +
          `token stored in user "${context.userName}" of ${context.userFile}.\n`,
      );
    });

  program
    .command("logout")
    .description("remove the token login stored in the context's user entry")
    .addHelpText("after", "\nExamples:\n  jobctl logout\n  jobctl --context prod logout")
    .action(async (_options: object, command: Command) => {
      // Only the names are needed: a damaged token must not stand in the way of removing it.
      const merged = await readMergedConfig(selectionFor(command));
      const context = selectContext(merged, command.optsWithGlobals<GlobalOptions>().context);
      const userName = context.body.user;
      if (typeof userName !== "string" || userName === "") throw new ConfigError(context.file, `${context.field}.user`, "missing");
      const user = merged.entries.users.get(userName);
      if (!user) throw new ConfigError(context.file, `${context.field}.user`, `user "${userName}" not found`);
      if (user.body.token === undefined) {
        process.stdout.write(`No token stored for user "${userName}".\n`);
        return;
      }
      await editConfigFile(user.file, (doc) => userBody(doc, user.file, userName).delete("token"));
      process.stdout.write(`Logged out: removed the token of user "${userName}" from ${user.file}.\n`);
    });
}

/** The user entry's mapping in the file being edited (it was there when the config was read). */
function userBody(doc: Document, file: string, name: string): YAMLMap {
  const body = entryBody(doc, "users", name, false);
  if (!body) throw new ConfigError(file, "users", `user "${name}" not found (the file changed meanwhile?)`);
  return body;
}
