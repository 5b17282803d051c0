// `npm run certs -- ...`: creates the PKI for jobworker's mutual TLS and issues
// client certificates (each carrying its role) from it.
//
// Why @peculiar/x509 rather than shelling out to openssl: it runs in-process,
// so there is no dependency on an openssl binary (absent from slim container
// images, and differing in flags and defaults between versions); its typed API
// builds the custom role extension (OID 1.2.840.10070.8.1) directly instead of
// through an openssl config file; keys never pass through temporary files or
// command lines; and the same functions are what the agent uses for its
// development PKI and what the tests call, with no subprocess to mock.
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { AlreadyExistsError, checkClientName, DEV_CLIENTS, generatePki, issueClient, type ClientSpec } from "./layout.js";

const ROLES = ["admin", "full", "user", "readonly"] as const;
const USAGE_ERROR = 2;

const program = new Command()
  // As users run it, so usage lines read "npm run certs -- issue-client [options] <name>".
  .name("npm run certs --")
  .description("Create and extend the PKI for jobagent and jobctl (mutual TLS, roles in client certificates).")
  .addHelpText("after", "\nRun `npm run certs -- <command> --help` for a command's options and examples.")
  // Inherited by the subcommands below: commander's errors reach main() instead of exiting with 1.
  .exitOverride();

program
  .command("init", { isDefault: true })
  .description("create a CA, a server certificate, client certificates and a jobctl config (the default command)")
  .option("--out <dir>", "directory to write the PKI to", "./pki")
  .option("--server-name <name>", "extra host name or IP address for the server certificate (repeatable)", collect)
  .option("--client <name:role>", `client certificate to issue (repeatable; default ${DEV_CLIENTS.map((c) => `${c.name}:${c.role}`).join(" ")})`, clientSpec)
  .option("--server <address>", "agent address for the jobctl config (its host is added to the server certificate)", "localhost:5000")
  .option("--config <file>", "jobctl config to write (default: <out>/jobctl.yaml)")
  .option("--force", "replace an existing CA and jobctl config")
  .addHelpText(
    "after",
    `
Examples:
  npm run certs                                     # ./pki with admin, alice, bob, viewer
  npm run certs -- init --out /etc/jobworker/pki --server agent1.example.com:5000 --server-name 10.0.0.5
  npm run certs -- init --client ops:admin --client ci:user --config ~/.config/jobctl/config`,
  )
  .action(async (opts: { out: string; serverName?: string[]; client?: ClientSpec[]; server: string; config?: string; force?: boolean }) => {
    const pki = await generatePki({
      dir: opts.out,
      serverNames: opts.serverName,
      clients: opts.client ?? [...DEV_CLIENTS],
      server: opts.server,
      configPath: opts.config ?? join(opts.out, "jobctl.yaml"),
      force: opts.force,
    });
    console.log(`wrote CA          ${pki.caPath} ${pki.caKeyPath}`);
    console.log(`wrote server      ${pki.certPath} ${pki.keyPath}`);
    for (const [name, c] of Object.entries(pki.clients)) console.log(`wrote client      ${c.certPath} ${c.keyPath}  (${name}, role ${c.role})`);
    console.log(`wrote jobctl config ${pki.configPath}  (current context ${Object.keys(pki.clients)[0]})`);
  });

program
  .command("issue-client")
  .description("issue one more client certificate from an existing CA and add it to the jobctl config")
  .argument("<name>", "the client's identity (certificate subject CN)", clientName)
  .addOption(new Option("--role <role>", "role carried by the certificate").choices(ROLES).makeOptionMandatory())
  .option("--dir <dir>", "PKI directory holding ca.crt and ca.key", "./pki")
  .option("--config <file>", "jobctl config to add a user and context to (default: <dir>/jobctl.yaml, if it exists)")
  .option("--days <n>", "validity in days", positiveInteger, 365)
  .option("--force", "replace an existing certificate of that name")
  .addHelpText(
    "after",
    `
Examples:
  npm run certs -- issue-client carol --role user
  npm run certs -- issue-client auditor --role readonly --dir /etc/jobworker/pki --config ~/.config/jobctl/config --days 30`,
  )
  .action(async (name: string, opts: { role: string; dir: string; config?: string; days: number; force?: boolean }) => {
    if (opts.config !== undefined && !existsSync(opts.config)) throw new Error(`jobctl config ${opts.config} does not exist`);
    const issued = await issueClient({
      dir: opts.dir,
      name,
      role: opts.role,
      configPath: opts.config ?? join(opts.dir, "jobctl.yaml"),
      validityDays: opts.days,
      force: opts.force,
    });
    console.log(`wrote client      ${issued.certPath} ${issued.keyPath}  (${name}, role ${issued.role})`);
    if (issued.configPath) console.log(`updated jobctl config ${issued.configPath}  (user and context "${name}")`);
  });

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function clientSpec(value: string, previous: ClientSpec[] | undefined): ClientSpec[] {
  const at = value.lastIndexOf(":");
  if (at <= 0) throw new InvalidArgumentError("Expected NAME:ROLE.");
  const role = value.slice(at + 1);
  if (!(ROLES as readonly string[]).includes(role)) throw new InvalidArgumentError(`Unknown role "${role}"; allowed roles are ${ROLES.join(", ")}.`);
  return [...(previous ?? []), { name: clientName(value.slice(0, at)), role }];
}

function clientName(name: string): string {
  try {
    checkClientName(name);
  } catch (e) {
    const message = (e as Error).message;
    throw new InvalidArgumentError(`${message[0]!.toUpperCase()}${message.slice(1)}.`);
  }
  return name;
}

function positiveInteger(value: string): number {
  if (!/^[1-9][0-9]*$/.test(value)) throw new InvalidArgumentError("Expected a whole number of days >= 1.");
  return Number(value);
}

async function main(): Promise<void> {
  try {
    await program.parseAsync();
  } catch (e) {
    if (e instanceof CommanderError) {
      // commander has already printed its one-line message; help and --version end with 0.
      process.exitCode = e.exitCode === 0 ? 0 : USAGE_ERROR;
      return;
    }
    const hint = e instanceof AlreadyExistsError ? "; use --force to replace it" : "";
    process.stderr.write(`certs: error: ${String((e as Error).message ?? e).replace(/\s*\n\s*/g, " ")}${hint}\n`);
    process.exitCode = 1;
  }
}

await main();
