#!/usr/bin/env node
// jobagent: the privileged daemon. Flags and environment variables override
// the built-in defaults (config/settings.ts), flags first.
import "reflect-metadata";
import { Command, Option } from "commander";
import { pino } from "pino";
import { startAgent } from "./agent.js";
import { defaultSettings, type AgentSettings } from "./config/settings.js";

const program = new Command("jobagent")
  .description("Runs and controls Linux processes (jobs) for jobctl clients, over gRPC with mutual TLS 1.3.")
  .addOption(new Option("--listen <host:port>", "gRPC listen address").env("JOBAGENT_LISTEN"))
  .addOption(new Option("--state-dir <dir>", "job records, output and the development PKI").env("JOBAGENT_STATE_DIR"))
  .addOption(new Option("--tls-ca <file>", "CA certificate that client certificates must chain to").env("JOBAGENT_TLS_CA"))
  .addOption(new Option("--tls-cert <file>", "server certificate").env("JOBAGENT_TLS_CERT"))
  .addOption(new Option("--tls-key <file>", "server private key").env("JOBAGENT_TLS_KEY"))
  .addOption(new Option("--jobctl-config <file>", "where to write the development PKI's jobctl config").env("JOBCTL_CONFIG"))
  .addOption(new Option("--log-level <level>", "pino log level").choices(["trace", "debug", "info", "warn", "error"]).env("JOBAGENT_LOG_LEVEL"))
  .addOption(new Option("--cgroup-mode <mode>", "auto: cgroup v2 resource control where the host allows; off: never").choices(["auto", "off"]))
  .addOption(new Option("--cgroup-root <path>", "delegated cgroup, relative to /sys/fs/cgroup (default: the agent's own)"))
  .addOption(new Option("--best-effort-limits", "without cgroup v2, run jobs that ask for limits anyway, unenforced"))
  .addOption(new Option("--run-as <user>", "as root, run jobs as this user: a name or uid:gid (default nobody)"))
  .addOption(new Option("--allow-root-jobs", "let admins start jobs as root (StartRequest.runAsRoot)"))
  .addHelpText(
    "after",
    `
Examples:
  jobagent                                   # localhost:5000, development PKI, state in ~/.jobworker
  jobagent --listen 0.0.0.0:5000 --tls-ca ca.crt --tls-cert server.crt --tls-key server.key
  JOBAGENT_STATE_DIR=/srv/jobworker jobagent --log-level debug`,
  )
  .showHelpAfterError();

program.parse();
const flags = program.opts<Record<string, string | undefined> & { bestEffortLimits?: boolean; allowRootJobs?: boolean }>();

function settingsFromFlags(): AgentSettings {
  const settings = defaultSettings();
  settings.listen = flags.listen ?? settings.listen;
  settings.stateDir = flags.stateDir ?? settings.stateDir;
  settings.jobctlConfigPath = flags.jobctlConfig ?? settings.jobctlConfigPath;
  settings.logLevel = flags.logLevel ?? settings.logLevel;
  settings.cgroup.mode = (flags.cgroupMode as "auto" | "off" | undefined) ?? settings.cgroup.mode;
  settings.cgroup.root = flags.cgroupRoot ?? settings.cgroup.root;
  settings.cgroup.bestEffortLimits = flags.bestEffortLimits ?? settings.cgroup.bestEffortLimits;
  settings.jobs.runAsUser = flags.runAs ?? settings.jobs.runAsUser;
  settings.jobs.allowRootJobs = flags.allowRootJobs ?? settings.jobs.allowRootJobs;
  const tls = [flags.tlsCa, flags.tlsCert, flags.tlsKey];
  if (tls.some(Boolean)) {
    if (!tls.every(Boolean)) program.error("error: --tls-ca, --tls-cert and --tls-key go together", { exitCode: 2 });
    settings.tls = { caFile: flags.tlsCa!, certFile: flags.tlsCert!, keyFile: flags.tlsKey! };
  }
  return settings;
}

const settings = settingsFromFlags();
const logger = pino({ level: settings.logLevel, base: { service: "jobagent" } });

try {
  const agent = await startAgent(settings, logger);
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down: stopping running jobs");
    await agent.close();
    logger.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
} catch (err) {
  logger.fatal({ err }, "agent failed to start");
  process.exitCode = 1;
}
