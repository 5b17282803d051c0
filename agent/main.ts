#!/usr/bin/env node
// jobagent: the privileged daemon.
//
// Settings come from, lowest to highest precedence: the built-in defaults
// (config/settings.ts), the configuration file (--config or JOBAGENT_CONFIG),
// environment variables (JOBAGENT_LISTEN, JOBAGENT_LOG_LEVEL, ...), flags.
import "reflect-metadata";
import { Command, Option } from "commander";
import { pino } from "pino";
import { stringify } from "yaml";
import { startAgent, type RunningAgent } from "./agent.js";
import { applyDocument, toDocument } from "./config/document.js";
import { ConfigFileError, loadConfigFile } from "./config/load.js";
import { defaultSettings, type AgentSettings } from "./config/settings.js";
import { hashPassword } from "./auth/passwords.js";
import { readFile } from "node:fs/promises";
import { isJobManifest, parseManifests } from "./specs/manifest.js";
import { packageVersion } from "../common/version.js";
import { systemdNotifier } from "./sd-notify.js";

/** Exit code for a configuration that does not validate (and other usage errors). */
const EXIT_CONFIG = 2;

const program = new Command("jobagent")
  .description("Runs and controls Linux processes (jobs) for jobctl clients, over gRPC with mutual TLS 1.3.")
  .version(packageVersion(), "--version", "print jobagent's version")
  .addOption(new Option("--config <file>", "configuration file (YAML, kind: AgentConfig; schema in config/)").env("JOBAGENT_CONFIG"))
  .option("--validate", "check the configuration file and exit (0 valid, 2 not)")
  .option("--print-config", "print the effective configuration, defaults filled in, and exit")
  .option("--hash-password", "read a password from stdin (one line) and print its scrypt hash for auth.users[].passwordHash")
  .addOption(new Option("--listen <host:port>", "gRPC listen address").env("JOBAGENT_LISTEN"))
  .addOption(new Option("--state-dir <dir>", "job records, output and the development PKI").env("JOBAGENT_STATE_DIR"))
  .addOption(new Option("--tls-ca <file>", "CA certificate that client certificates must chain to").env("JOBAGENT_TLS_CA"))
  .addOption(new Option("--tls-cert <file>", "server certificate").env("JOBAGENT_TLS_CERT"))
  .addOption(new Option("--tls-key <file>", "server private key").env("JOBAGENT_TLS_KEY"))
  .addOption(new Option("--jobctl-config <file>", "where to write the development PKI's jobctl config").env("JOBCTL_CONFIG"))
  .addOption(new Option("--log-level <level>", "pino log level").choices(["trace", "debug", "info", "warn", "error", "fatal"]).env("JOBAGENT_LOG_LEVEL"))
  .addOption(new Option("--metrics-listen <host:port>", 'metrics and health listener ("" disables)').env("JOBAGENT_METRICS_LISTEN"))
  .addOption(new Option("--cgroup-mode <mode>", "auto: cgroup v2 resource control where the host allows; off: never").choices(["auto", "off"]))
  .addOption(new Option("--cgroup-root <path>", "delegated cgroup, relative to /sys/fs/cgroup (default: the agent's own)"))
  .option("--best-effort-limits", "without cgroup v2, run jobs that ask for limits anyway, unenforced")
  .option("--run-as <user>", "as root, run every job as this one user: a name or uid:gid (default: a uid of its own per job)")
  .option("--uid-range <first-last>", "as root, the uids jobs get one each of (default 70000-79999)")
  .option("--stop-jobs-on-shutdown", "on SIGTERM/SIGINT stop running jobs (AgentShutdown) instead of leaving them to the next agent")
  .option("--allow-root-jobs", "let admins start jobs as root (StartRequest.runAsRoot)")
  .addHelpText(
    "after",
    `
Precedence: flags > environment variables > configuration file > built-in defaults.
SIGHUP re-reads the configuration file: roles, log level, the TLS certificate
and key and the metrics bearer token change live; a file with errors is rejected
and the running settings stay.

Examples:
  jobagent                                   # localhost:5000, development PKI, state in ~/.jobworker
  jobagent --config /etc/jobworker/agent.yaml
  jobagent --config /etc/jobworker/agent.yaml --validate
  jobagent --config /etc/jobworker/agent.yaml --print-config
  read -rs pw && echo "$pw" | jobagent --hash-password
  JOBAGENT_LOG_LEVEL=debug jobagent --listen 0.0.0.0:5000`,
  )
  .showHelpAfterError();

interface Flags {
  config?: string;
  hashPassword?: boolean;
  validate?: boolean;
  printConfig?: boolean;
  listen?: string;
  stateDir?: string;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  jobctlConfig?: string;
  logLevel?: string;
  metricsListen?: string;
  cgroupMode?: "auto" | "off";
  cgroupRoot?: string;
  bestEffortLimits?: boolean;
  runAs?: string;
  uidRange?: string;
  stopJobsOnShutdown?: boolean;
  allowRootJobs?: boolean;
}

program.parse();
const flags = program.opts<Flags>();

/** Defaults, then the file, then environment and flags (commander has already merged those two). */
async function effectiveSettings(): Promise<AgentSettings> {
  let settings = defaultSettings();
  if (flags.config) settings = applyDocument(settings, await loadConfigFile(flags.config));
  return applyFlags(settings);
}

function applyFlags(s: AgentSettings): AgentSettings {
  s.listen = flags.listen ?? s.listen;
  s.stateDir = flags.stateDir ?? s.stateDir;
  s.jobctlConfigPath = flags.jobctlConfig ?? s.jobctlConfigPath;
  s.logLevel = flags.logLevel ?? s.logLevel;
  s.metrics.listen = flags.metricsListen ?? s.metrics.listen;
  s.cgroup.mode = flags.cgroupMode ?? s.cgroup.mode;
  s.cgroup.root = flags.cgroupRoot ?? s.cgroup.root;
  s.cgroup.bestEffortLimits = flags.bestEffortLimits ?? s.cgroup.bestEffortLimits;
  if (flags.runAs !== undefined) s.jobs.runAsUser = flags.runAs;
  s.jobs.uidRange = flags.uidRange ?? s.jobs.uidRange;
  s.stopJobsOnShutdown = flags.stopJobsOnShutdown ?? s.stopJobsOnShutdown;
  s.jobs.allowRootJobs = flags.allowRootJobs ?? s.jobs.allowRootJobs;
  const tls = [flags.tlsCa, flags.tlsCert, flags.tlsKey];
  if (tls.some(Boolean)) {
    if (!tls.every(Boolean)) program.error("error: --tls-ca, --tls-cert and --tls-key go together", { exitCode: EXIT_CONFIG });
    s.tls = { caFile: flags.tlsCa!, certFile: flags.tlsCert!, keyFile: flags.tlsKey! };
  }
  return s;
}

async function main(): Promise<void> {
  if (flags.hashPassword) return printPasswordHash();
  if (flags.validate && !flags.config) program.error("error: --validate needs --config FILE (or JOBAGENT_CONFIG)", { exitCode: EXIT_CONFIG });
  if (flags.validate) {
    // An unreadable file is the AgentConfig loader's to report, as before.
    const text = await readFile(flags.config!, "utf8").catch(() => "");
    if (isJobManifest(text)) return validateJobManifest(flags.config!, text);
  }
  let settings: AgentSettings;
  try {
    settings = await effectiveSettings();
  } catch (err) {
    if (!(err instanceof ConfigFileError)) throw err;
    process.stderr.write(`jobagent: invalid configuration ${err.message}\n`);
    process.exit(EXIT_CONFIG);
  }
  if (flags.validate) {
    process.stdout.write(`${flags.config}: valid\n`);
    return;
  }
  if (flags.printConfig) {
    process.stdout.write(stringify(toDocument(settings)));
    return;
  }
  await serve(settings);
}

/** --validate of a job spec file (kind: Job) instead of an AgentConfig: what the manifest directory and Apply would accept. */
function validateJobManifest(path: string, text: string): void {
  try {
    const specs = parseManifests(path, text);
    process.stdout.write(`${path}: valid (${specs.map((spec) => `job spec ${spec.name}`).join(", ")})\n`);
  } catch (err) {
    if (!(err instanceof ConfigFileError)) throw err;
    process.stderr.write(`jobagent: invalid job spec ${err.message}\n`);
    process.exit(EXIT_CONFIG);
  }
}

/** One line from stdin (without its newline), hashed: for users declared in the configuration. */
async function printPasswordHash(): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const password = Buffer.concat(chunks).toString("utf8").split(/\r?\n/)[0];
  if (!password) program.error("error: no password on stdin (echo -n 'secret' | jobagent --hash-password)", { exitCode: EXIT_CONFIG });
  process.stdout.write(`${await hashPassword(password)}\n`);
}

async function serve(settings: AgentSettings): Promise<void> {
  const logger = pino({ level: settings.logLevel, base: { service: "jobagent" } });
  const systemd = systemdNotifier({ onError: (err) => logger.warn({ err }, "could not notify systemd") });
  // Handlers first: a SIGHUP's default action ends the process, and systemd
  // may send one (a reload queued during the start) the moment READY=1 lands.
  // What arrives before the agent serves is done once it does.
  let agent: RunningAgent | undefined;
  let early: string | undefined; // "reload", or the stop signal that came first
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, stopJobs: settings.stopJobsOnShutdown }, settings.stopJobsOnShutdown ? "shutting down: stopping running jobs" : "shutting down: running jobs keep running");
    await systemd.notify("STOPPING=1");
    await agent!.close();
    logger.info("stopped");
    process.exit(0);
  };
  const reload = () => {
    void systemd.notify("RELOADING=1")
      .then(effectiveSettings)
      .then((next) => agent!.reload(next))
      .catch((err) => {
        const problems = err instanceof ConfigFileError ? err.problems : [(err as Error).message];
        logger.error({ config: flags.config, problems }, "configuration reload rejected; the running configuration stays");
      })
      .finally(() => systemd.notify("READY=1"));
  };
  const onStop = (signal: string) => (agent ? void shutdown(signal) : (early = signal));
  process.on("SIGTERM", () => onStop("SIGTERM"));
  process.on("SIGINT", () => onStop("SIGINT"));
  process.on("SIGHUP", () => (agent ? reload() : (early ??= "reload")));
  try {
    agent = await startAgent(settings, logger);
  } catch (err) {
    logger.fatal({ err }, "agent failed to start");
    process.exit(1);
  }
  await systemd.notify("READY=1", `serving on port ${agent.port}`);
  if (early === "reload") reload();
  else if (early) void shutdown(early);
}

await main();
