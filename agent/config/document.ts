// The configuration file's shape (config/agent-config.schema.json) and its
// mapping onto AgentSettings. Durations and sizes are strings in the file
// ("10s", "1Gi") and numbers in the settings (milliseconds, bytes).
import { formatDuration, parseDuration } from "../../common/duration.js";
import { formatBytes, parseByteQuantity } from "../../common/quantity.js";
import type { RoleRule } from "../auth/rbac.js";
import type { UserEntry } from "../auth/users.js";
import type { Rate } from "../auth/token-buckets.js";
import type { ResourceLimits } from "../jobs/record.js";
import type { AgentSettings, MetricsTls } from "./settings.js";

type Quantity = number | string;

export interface LimitsDocument {
  cpu?: number;
  memory?: Quantity;
  ioReadBps?: Quantity;
  ioWriteBps?: Quantity;
  ioReadIops?: number;
  ioWriteIops?: number;
  pids?: number;
}

export interface RateDocument {
  burst?: number;
  refillEvery?: string;
}

export interface ConfigDocument {
  apiVersion: "jobworker/v1";
  kind: "AgentConfig";
  listen?: string;
  stateDir?: string;
  logLevel?: string;
  stopJobsOnShutdown?: boolean;
  shutdownGracePeriod?: string;
  jobctlConfigPath?: string;
  tls?: { caFile?: string; certFile?: string; keyFile?: string; cipherSuites?: string[] };
  rbac?: { roles?: Record<string, RoleRule> };
  jobs?: {
    defaultGracePeriod?: string;
    outputCap?: Quantity;
    maxConcurrentJobs?: number;
    maxConcurrentJobsPerOwner?: number;
    retention?: { maxFinishedJobs?: number; maxFinishedJobsPerOwner?: number; maxAge?: string };
    defaultLimits?: LimitsDocument;
    maxLimits?: LimitsDocument;
    runAsUser?: string;
    uidRange?: string;
    allowRootJobs?: boolean;
    manifestDir?: string;
  };
  cgroup?: Partial<AgentSettings["cgroup"]>;
  auth?: {
    users?: UserEntry[];
    tokenTtl?: string;
    signingKeyFile?: string;
    loginThrottle?: { perUser?: RateDocument; perClient?: RateDocument; maxTracked?: number };
    hashing?: { maxConcurrent?: number; maxQueued?: number; maxPerClient?: number };
  };
  connections?: {
    handshakeTimeout?: string;
    idleTimeout?: string;
    max?: number;
    maxUnauthenticated?: number;
    maxUnauthenticatedPerAddress?: number;
  };
  metrics?: { listen?: string; tls?: MetricsTls; bearerTokenFile?: string };
}

/** Settings with what the document sets laid over them (the document is already schema-valid). */
export function applyDocument(base: AgentSettings, doc: ConfigDocument): AgentSettings {
  const s = structuredClone(base);
  s.listen = doc.listen ?? s.listen;
  s.stateDir = doc.stateDir ?? s.stateDir;
  s.logLevel = doc.logLevel ?? s.logLevel;
  s.jobctlConfigPath = doc.jobctlConfigPath ?? s.jobctlConfigPath;
  s.stopJobsOnShutdown = doc.stopJobsOnShutdown ?? s.stopJobsOnShutdown;
  if (doc.shutdownGracePeriod) s.shutdownGracePeriodMs = parseDuration(doc.shutdownGracePeriod);
  if (doc.tls?.caFile && doc.tls.certFile && doc.tls.keyFile) s.tls = { caFile: doc.tls.caFile, certFile: doc.tls.certFile, keyFile: doc.tls.keyFile };
  if (doc.tls?.cipherSuites) s.cipherSuites = doc.tls.cipherSuites.join(":");
  if (doc.rbac?.roles) s.roles = doc.rbac.roles;
  const jobs = doc.jobs ?? {};
  if (jobs.defaultGracePeriod) s.jobs.defaultGracePeriodMs = parseDuration(jobs.defaultGracePeriod);
  if (jobs.outputCap !== undefined) s.jobs.outputCapBytes = bytes(jobs.outputCap);
  s.jobs.maxConcurrentJobs = jobs.maxConcurrentJobs ?? s.jobs.maxConcurrentJobs;
  if (jobs.maxConcurrentJobsPerOwner !== undefined) s.jobs.maxConcurrentJobsPerOwner = jobs.maxConcurrentJobsPerOwner;
  s.jobs.retention.maxFinishedJobs = jobs.retention?.maxFinishedJobs ?? s.jobs.retention.maxFinishedJobs;
  if (jobs.retention?.maxFinishedJobsPerOwner !== undefined) s.jobs.retention.maxFinishedJobsPerOwner = jobs.retention.maxFinishedJobsPerOwner;
  if (jobs.retention?.maxAge) s.jobs.retention.maxAgeMs = parseDuration(jobs.retention.maxAge);
  if (jobs.defaultLimits) s.jobs.defaultLimits = limitsFromDocument(jobs.defaultLimits);
  if (jobs.maxLimits) s.jobs.maxLimits = limitsFromDocument(jobs.maxLimits);
  if (jobs.runAsUser !== undefined) s.jobs.runAsUser = jobs.runAsUser;
  s.jobs.uidRange = jobs.uidRange ?? s.jobs.uidRange;
  s.jobs.allowRootJobs = jobs.allowRootJobs ?? s.jobs.allowRootJobs;
  if (jobs.manifestDir !== undefined) s.jobs.manifestDir = jobs.manifestDir;
  s.cgroup = { ...s.cgroup, ...doc.cgroup };
  if (doc.auth?.users) s.auth.users = doc.auth.users.map((u) => ({ ...u }));
  if (doc.auth?.tokenTtl) s.auth.tokenTtlMs = parseDuration(doc.auth.tokenTtl);
  if (doc.auth?.signingKeyFile) s.auth.signingKeyFile = doc.auth.signingKeyFile;
  applyConnections(s.connections, doc.connections ?? {});
  const throttle = doc.auth?.loginThrottle ?? {};
  s.auth.loginThrottle = {
    perUser: rate(s.auth.loginThrottle.perUser, throttle.perUser),
    perClient: rate(s.auth.loginThrottle.perClient, throttle.perClient),
    maxTracked: throttle.maxTracked ?? s.auth.loginThrottle.maxTracked,
  };
  s.auth.hashing = { ...s.auth.hashing, ...doc.auth?.hashing };
  s.metrics.listen = doc.metrics?.listen ?? s.metrics.listen;
  if (doc.metrics?.tls) s.metrics.tls = structuredClone(doc.metrics.tls);
  if (doc.metrics?.bearerTokenFile) s.metrics.bearerTokenFile = doc.metrics.bearerTokenFile;
  return s;
}

/** The document form of settings: what --print-config shows. */
export function toDocument(s: AgentSettings): ConfigDocument {
  return {
    apiVersion: "jobworker/v1",
    kind: "AgentConfig",
    listen: s.listen,
    stateDir: s.stateDir,
    logLevel: s.logLevel,
    stopJobsOnShutdown: s.stopJobsOnShutdown,
    shutdownGracePeriod: formatDuration(s.shutdownGracePeriodMs),
    jobctlConfigPath: s.jobctlConfigPath,
    tls: { ...(s.tls ?? {}), cipherSuites: s.cipherSuites.split(":") },
    rbac: { roles: structuredClone(s.roles) as Record<string, RoleRule> },
    jobs: {
      defaultGracePeriod: formatDuration(s.jobs.defaultGracePeriodMs),
      outputCap: formatBytes(s.jobs.outputCapBytes),
      maxConcurrentJobs: s.jobs.maxConcurrentJobs,
      // The per-owner limits are printed only when set: unset, they follow the global ones (half, rounded up).
      ...(s.jobs.maxConcurrentJobsPerOwner !== undefined && { maxConcurrentJobsPerOwner: s.jobs.maxConcurrentJobsPerOwner }),
      retention: {
        maxFinishedJobs: s.jobs.retention.maxFinishedJobs,
        ...(s.jobs.retention.maxFinishedJobsPerOwner !== undefined && { maxFinishedJobsPerOwner: s.jobs.retention.maxFinishedJobsPerOwner }),
        maxAge: formatDuration(s.jobs.retention.maxAgeMs),
      },
      defaultLimits: limitsDocument(s.jobs.defaultLimits),
      maxLimits: limitsDocument(s.jobs.maxLimits),
      ...(s.jobs.runAsUser !== undefined && { runAsUser: s.jobs.runAsUser }),
      uidRange: s.jobs.uidRange,
      allowRootJobs: s.jobs.allowRootJobs,
      ...(s.jobs.manifestDir !== undefined && { manifestDir: s.jobs.manifestDir }),
    },
    cgroup: { ...s.cgroup },
    auth: {
      users: s.auth.users.map((u) => ({ ...u })),
      tokenTtl: formatDuration(s.auth.tokenTtlMs),
      ...(s.auth.signingKeyFile && { signingKeyFile: s.auth.signingKeyFile }),
      loginThrottle: {
        perUser: rateDocument(s.auth.loginThrottle.perUser),
        perClient: rateDocument(s.auth.loginThrottle.perClient),
        maxTracked: s.auth.loginThrottle.maxTracked,
      },
      hashing: { ...s.auth.hashing },
    },
    connections: {
      handshakeTimeout: formatDuration(s.connections.handshakeTimeoutMs),
      idleTimeout: formatDuration(s.connections.idleTimeoutMs),
      max: s.connections.max,
      maxUnauthenticated: s.connections.maxUnauthenticated,
      maxUnauthenticatedPerAddress: s.connections.maxUnauthenticatedPerAddress,
    },
    metrics: {
      listen: s.metrics.listen,
      ...(s.metrics.tls && { tls: structuredClone(s.metrics.tls) }),
      ...(s.metrics.bearerTokenFile && { bearerTokenFile: s.metrics.bearerTokenFile }),
    },
  };
}

function applyConnections(c: AgentSettings["connections"], d: NonNullable<ConfigDocument["connections"]>): void {
  if (d.handshakeTimeout) c.handshakeTimeoutMs = parseDuration(d.handshakeTimeout);
  if (d.idleTimeout) c.idleTimeoutMs = parseDuration(d.idleTimeout);
  c.max = d.max ?? c.max;
  c.maxUnauthenticated = d.maxUnauthenticated ?? c.maxUnauthenticated;
  c.maxUnauthenticatedPerAddress = d.maxUnauthenticatedPerAddress ?? c.maxUnauthenticatedPerAddress;
}

function rate(base: Rate, d: RateDocument | undefined): Rate {
  return { burst: d?.burst ?? base.burst, refillEveryMs: d?.refillEvery ? parseDuration(d.refillEvery) : base.refillEveryMs };
}

function rateDocument(r: Rate): RateDocument {
  return { burst: r.burst, refillEvery: formatDuration(r.refillEveryMs) };
}

function bytes(q: Quantity): number {
  return typeof q === "number" ? q : parseByteQuantity(q);
}

/** Limits in the files' form ("256Mi", cores) as numbers; unset is 0 (none). */
export function limitsFromDocument(d: LimitsDocument): ResourceLimits {
  return {
    cpuCores: d.cpu ?? 0,
    memoryBytes: d.memory === undefined ? 0 : bytes(d.memory),
    ioReadBps: d.ioReadBps === undefined ? 0 : bytes(d.ioReadBps),
    ioWriteBps: d.ioWriteBps === undefined ? 0 : bytes(d.ioWriteBps),
    ioReadIops: d.ioReadIops ?? 0,
    ioWriteIops: d.ioWriteIops ?? 0,
    pids: d.pids ?? 0,
  };
}

export function limitsDocument(l: ResourceLimits): LimitsDocument {
  return {
    cpu: l.cpuCores,
    memory: formatBytes(l.memoryBytes),
    ioReadBps: formatBytes(l.ioReadBps),
    ioWriteBps: formatBytes(l.ioWriteBps),
    ioReadIops: l.ioReadIops,
    ioWriteIops: l.ioWriteIops,
    pids: l.pids,
  };
}
