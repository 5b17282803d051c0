// jobctl login: trades a username and password for a token
// (AuthService.Login, over the context's mutual TLS) and stores it as the
// `token` of the context's user entry, in the file that defines that user;
// every later call sends it as "authorization: Bearer". jobctl logout
// (logout.ts) removes it.
import type { Command } from "commander";
import { readTlsFiles } from "../config.js";
import { editConfigFile, existingUserBody } from "../config-edit.js";
import { fromTimestamp, printable } from "../format.js";
import { readPassword } from "../password.js";
import { contextFor } from "./shared.js";

export function registerLogin(program: Command): void {
  program
    .command("login")
    .description("log in with a username and password; the token is stored in the context's user entry and sent on every call")
    .requiredOption("-u, --username <name>", "user to log in as")
    .option("-p, --password <password>", "the password (visible to others in ps; better typed at the prompt or piped on stdin)")
    .option("--print-token", "print only the token on stdout (for scripts and jobctl -t), instead of storing it")
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
      await editConfigFile(context.userFile, (doc) => existingUserBody(doc, context.userFile, context.userName).set("token", response.token));
      const expires = fromTimestamp(response.expiresAt);
      process.stdout.write(
        `Logged in as ${printable(options.username)} (role ${printable(response.role)}), until ${expires?.toISOString() ?? "?"}; ` +
          `token stored in user "${context.userName}" of ${context.userFile}.\n`,
      );
    });
}
