// Every agent setting and its default, defined in this one place.
// (The declarative YAML configuration file builds on this shape.)
import { homedir } from "node:os";
import { join } from "node:path";
import { BUILTIN_ROLES, type Roles } from "../auth/rbac.js";
import type { UserEntry } from "../auth/users.js";
import type { ThrottleLimits } from "../auth/login-throttle.js";
import type { HashQueueBounds } from "../auth/hash-queue.js";
import { NO_LIMITS, type ResourceLimits } from "../jobs/record.js";

export interface TlsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
}

export interface MetricsTls {
  certFile: string;
  keyFile: string;
  /** /metrics needs a client certificate this CA signed. */
  clientCAFile?: string;
  /** With clientCAFile: the subject CNs that may scrape; unset or empty, any the CA signed. */
  allowedClientNames?: string[];
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
  /** Role name -> allowed operations and scope (rbac.ts); reloaded on SIGHUP. */
  roles: Roles;
  jobs: {
    defaultGracePeriodMs: number;
    outputCapBytes: number;
    maxConcurrentJobs: number;
    /** Running jobs per owner (the starter's identity); unset: half of maxConcurrentJobs, rounded up (jobs/owner-share.ts). */
    maxConcurrentJobsPerOwner?: number;
    /** maxFinishedJobsPerOwner unset: half of maxFinishedJobs, rounded up; past the global count the owner keeping the most loses its oldest. */
    retention: { maxFinishedJobs: number; maxFinishedJobsPerOwner?: number; maxAgeMs: number };
    /** Limits for jobs that ask for none (0: unlimited). */
    defaultLimits: ResourceLimits;
    /** Highest limits a job may ask for (0: no maximum). */
    maxLimits: ResourceLimits;
    /**
     * When the agent runs as root, jobs run as this one user (a name from
     * /etc/passwd or "uid:gid"); unset, each job gets a uid of its own from uidRange.
     */
    runAsUser?: string;
    /** "FIRST-LAST": the uids (and gids) jobs get one of each, when runAsUser is unset. */
    uidRange: string;
    /** Whether an admin may start a job as root at all (StartRequest.runAsRoot). */
    allowRootJobs: boolean;
    /** Job spec files the agent keeps running (agent/specs/manifest-dir.ts); unset: none. */
    manifestDir?: string;
  };
  cgroup: {
    /** "auto": use cgroup v2 where the host allows; "off": never (no limits). */
    mode: "auto" | "off";
    mountPoint: string;
    /** Delegated cgroup relative to the mount; default: the agent's own (/proc/self/cgroup). */
    root?: string;
    /** Without cgroup v2, run jobs that ask for limits anyway instead of refusing them. */
    bestEffortLimits: boolean;
    /** Path whose disk io limits apply to; default: each job's working directory. */
    ioDevicePath?: string;
    /** Let jobs use swap (memory.swap.max unset); default off, so memory.max holds. */
    swap: boolean;
    /** memory.oom.group: an OOM kill takes the whole job. */
    oomGroup: boolean;
  };
  auth: {
    /** Users who may log in (seed 003); reloaded on SIGHUP. */
    users: UserEntry[];
    tokenTtlMs: number;
    /** Default: <stateDir>/auth/jwt.key. */
    signingKeyFile?: string;
    /** Failed logins allowed per username and per client certificate (token buckets); reloaded on SIGHUP. */
    loginThrottle: ThrottleLimits;
    /** Password derivations at once and waiting, and of those per client certificate (the rest are refused at once); reloaded on SIGHUP. */
    hashing: HashQueueBounds;
  };
  /**
   * Bounds on gRPC connections (agent/api/connection-guard.ts), as OpenSSH's
   * LoginGraceTime and MaxStartups: a connection is "unauthenticated" until its
   * TLS handshake has completed with a verified client certificate.
   */
  connections: {
    /** An unauthenticated connection is closed this long after it was accepted. */
    handshakeTimeoutMs: number;
    /** A session with no RPC in flight for this long is closed gracefully (GOAWAY). */
    idleTimeoutMs: number;
    /** Open connections at once, authenticated or not; more are refused at accept. */
    max: number;
    /** Unauthenticated connections at once; past it a new one closes the oldest of them. */
    maxUnauthenticated: number;
    /** Unauthenticated connections from one address (IPv6: one /64); more are refused. */
    maxUnauthenticatedPerAddress: number;
  };
  metrics: {
    /** HTTP listener for /metrics, /healthz and /readyz; "" disables it. */
    listen: string;
    tls?: MetricsTls;
    /**
     * The token scrapers must send (Authorization: Bearer); re-read on SIGHUP.
     * Unset, and without tls.clientCAFile, anyone who can connect may scrape.
     */
    bearerTokenFile?: string;
  };
  /** On SIGTERM/SIGINT, stop running jobs (reason AgentShutdown) instead of leaving them to the next agent. */
  stopJobsOnShutdown: boolean;
  /** When stopJobsOnShutdown: running jobs get at most this grace period before SIGKILL. */
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
    roles: structuredClone(BUILTIN_ROLES),
    jobs: {
      defaultGracePeriodMs: 10_000,
      outputCapBytes: 1024 * MiB,
      maxConcurrentJobs: 100,
      retention: { maxFinishedJobs: 1000, maxAgeMs: 7 * DAY_MS },
      defaultLimits: { ...NO_LIMITS },
      maxLimits: { ...NO_LIMITS },
      uidRange: "70000-79999",
      allowRootJobs: false,
    },
    cgroup: { mode: "auto", mountPoint: "/sys/fs/cgroup", bestEffortLimits: false, swap: false, oomGroup: true },
    // A TLS 1.3 handshake takes one round trip and milliseconds of CPU: 10 s is
    // generous on any link, and is how long a silent socket may hold a slot.
    // 64 and 32: far above any legitimate burst of handshakes in flight, and few
    // enough descriptors that strangers can never starve the agent (the issue saw
    // an admin refused under ulimit -n 256).
    connections: { handshakeTimeoutMs: 10_000, idleTimeoutMs: 5 * 60_000, max: 1000, maxUnauthenticated: 64, maxUnauthenticatedPerAddress: 32 },
    auth: {
      users: [],
      tokenTtlMs: 30 * DAY_MS,
      // A person mistyping gets 5 tries, then one a minute; one client certificate (perhaps
      // shared by a team's bastion) 20 across all usernames, then one every 10 s.
      loginThrottle: { perUser: { burst: 5, refillEveryMs: 60_000 }, perClient: { burst: 20, refillEveryMs: 10_000 }, maxTracked: 10_000 },
      // One scrypt at a time leaves 3 of libuv's 4 threads to file I/O; 32 waiting is ~2 s at ~60 ms each.
      // 4 per client certificate: one person logs in one at a time, a shared bastion a few at once;
      // filling the 33 places then takes 9 certificates, not 2.
      hashing: { maxConcurrent: 1, maxQueued: 32, maxPerClient: 4 },
    },
    metrics: { listen: "localhost:9464" },
    stopJobsOnShutdown: false,
    shutdownGracePeriodMs: 10_000,
  };
}
