// Every agent setting and its default, defined in this one place.
// (The declarative YAML configuration file builds on this shape.)
import { homedir } from "node:os";
import { join } from "node:path";

export interface TlsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
}

export interface AgentSettings {
  /** gRPC listen address, host:port (seed 000: localhost:5000). */
  listen: string;
  /** Job records, output spools and the development PKI live here. */
  stateDir: string;
  /** TLS files; when absent a development PKI is generated under <stateDir>/pki. */
  tls?: TlsFiles;
  /** TLS 1.3 cipher suites offered (seed 000: TLS_AES_256_GCM_SHA384 only). */
  cipherSuites: string;
  /** Where the development PKI's jobctl config is written (only if no file is there). */
  jobctlConfigPath: string;
  logLevel: string;
  jobs: {
    defaultGracePeriodMs: number;
    outputCapBytes: number;
    maxConcurrentJobs: number;
    retention: { maxFinishedJobs: number; maxAgeMs: number };
  };
  /** On SIGTERM/SIGINT, running jobs get at most this grace period before SIGKILL. */
  shutdownGracePeriodMs: number;
}

const MiB = 1024 * 1024;
const DAY_MS = 24 * 3600 * 1000;

/** ~/.jobworker, or /var/lib/jobworker when running as root. */
export function defaultStateDir(): string {
  return process.getuid?.() === 0 ? "/var/lib/jobworker" : join(homedir(), ".jobworker");
}

/** jobctl's default config path (ctl/config.ts reads the same). */
export function defaultJobctlConfigPath(): string {
  return join(homedir(), ".jobworker", "config");
}

export function defaultSettings(): AgentSettings {
  return {
    listen: "localhost:5000",
    stateDir: defaultStateDir(),
    cipherSuites: "TLS_AES_256_GCM_SHA384",
    jobctlConfigPath: defaultJobctlConfigPath(),
    logLevel: "info",
    jobs: {
      defaultGracePeriodMs: 10_000,
      outputCapBytes: 1024 * MiB,
      maxConcurrentJobs: 100,
      retention: { maxFinishedJobs: 1000, maxAgeMs: 7 * DAY_MS },
    },
    shutdownGracePeriodMs: 10_000,
  };
}
