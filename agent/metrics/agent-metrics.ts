// The agent's metrics in a private prom-client Registry (not the global one,
// so several agents in one process, as in tests, do not collide): the events
// the job manager and the gRPC layer emit (each declares its own: JobEvents,
// ApiEvents) and those the composition root passes on, the jobs by state
// and per-job series computed at scrape time, and prom-client's default
// process metrics (three renamed: default-metrics.ts).
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { ApiEvents, ConnectionCut, ConnectionRefusal } from "../api/events.js";
import type { JobEvents } from "../jobs/events.js";
import type { JobManager } from "../jobs/manager.js";
import type { JobReason, JobState } from "../jobs/lifecycle.js";
import { registerDefaultMetrics } from "./default-metrics.js";
import { registerJobMetrics, scrapeTimeMetric } from "./job-metrics.js";
import { JobSnapshot } from "./job-snapshot.js";

/** Everything the metrics count as it happens; agent.ts hands each layer the part it emits. */
export interface MetricsHooks extends JobEvents, ApiEvents {
  /** A login was refused without checking its password: the user or the client is throttled, or the hashing queue is full. */
  loginThrottled(reason: "user" | "pair" | "client" | "queue" | "clientQueue"): void;
  /** A login's password was checked (one scrypt derivation). */
  loginPasswordChecked(): void;
  /** A job spec's run was started again by its restart policy. */
  specRestarted(spec: string): void;
}

export interface AgentMetrics {
  registry: Registry;
  /** Passed to JobManager.open({ metrics }) and workerServiceHandlers(..., metrics). */
  hooks: MetricsHooks;
  /** Once the manager exists: jobs by state, per-job series, the cgroup mode. */
  attach(jobs: JobManager, info: { cgroupMode: string }): void;
  /** Once the job specs are loaded: which there are, and whether each one's job runs. */
  attachSpecs(specs: () => readonly SpecReadiness[]): void;
}

/** What the spec metrics read of each job spec (agent/specs' SpecStatus has it). */
export interface SpecReadiness {
  name: string;
  ready: boolean;
}

// Records keyed by every state and reason: the compiler says when lifecycle.ts gains one.
const STATES: Record<JobState, true> = { STARTED: true, RUNNING: true, EXITED: true, STOPPED: true, FAILED: true };
const REASONS: Record<JobReason, true> = {
  Completed: true, Error: true, OOMKilled: true, FailedToStart: true, Stopped: true, AgentShutdown: true, Lost: true, Orphaned: true,
};
const REFUSALS: Record<ConnectionRefusal, true> = { max_connections: true, max_unauthenticated_per_address: true };
const CUTS: Record<ConnectionCut, true> = { handshake_timeout: true, evicted: true, idle: true };

// Unary RPCs take milliseconds; Stop waits out a grace period (10 s by default) and
// GetOutput streams last as long as a job, hence the long tail.
const RPC_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export function createAgentMetrics(): AgentMetrics {
  const registry = new Registry();
  const registers = [registry];
  registerDefaultMetrics(registry);

  const started = new Counter({ name: "jobworker_jobs_started_total", help: "Jobs created since the agent started.", registers });
  const finished = new Counter({
    name: "jobworker_jobs_finished_total", help: "Jobs that reached a final state since the agent started, by reason.", labelNames: ["reason"], registers,
  });
  for (const reason of Object.keys(REASONS)) finished.inc({ reason }, 0); // every reason from 0, so rate() sees the first one
  const rpcs = new Counter({
    name: "jobworker_rpc_requests_total", help: "gRPC calls finished, by method and status code.", labelNames: ["method", "code"], registers,
  });
  const rpcSeconds = new Histogram({
    name: "jobworker_rpc_duration_seconds", help: "gRPC call duration (a GetOutput stream: until it ended), by method.",
    labelNames: ["method"], buckets: RPC_BUCKETS, registers,
  });
  const captured = new Counter({ name: "jobworker_output_captured_bytes_total", help: "Job output bytes written to the spools.", registers });
  const streamed = new Counter({ name: "jobworker_output_streamed_bytes_total", help: "Job output bytes sent to GetOutput clients.", registers });
  const streams = new Gauge({ name: "jobworker_output_streams", help: "GetOutput streams open now.", registers });
  const tlsFailures = new Counter({
    name: "jobworker_tls_handshake_failures_total", help: "Failed TLS handshakes with gRPC clients, by error code.", labelNames: ["reason"], registers,
  });
  const refused = new Counter({
    name: "jobworker_connections_refused_total", help: "gRPC connections closed as soon as they were accepted, by the cap they were over.", labelNames: ["reason"], registers,
  });
  for (const reason of Object.keys(REFUSALS)) refused.inc({ reason }, 0);
  const cut = new Counter({
    name: "jobworker_connections_closed_total",
    help: "gRPC connections the agent closed: unauthenticated past the handshake timeout, evicted for a newer one, or idle.", labelNames: ["reason"], registers,
  });
  for (const reason of Object.keys(CUTS)) cut.inc({ reason }, 0);
  const open = new Gauge({
    name: "jobworker_connections", help: "gRPC connections open now, by state (unauthenticated: no verified client certificate yet).", labelNames: ["state"], registers,
  });
  open.set({ state: "unauthenticated" }, 0);
  open.set({ state: "authenticated" }, 0);
  const loginsThrottled = new Counter({
    name: "jobworker_login_throttled_total",
    help: "Logins refused without checking the password, by reason: user, pair (a trusted client for that user) or client (too many failed logins), queue (too many logins hashing) or clientQueue (too many from that client).",
    labelNames: ["reason"], registers,
  });
  for (const reason of ["user", "pair", "client", "queue", "clientQueue"]) loginsThrottled.inc({ reason }, 0);
  const passwordChecks = new Counter({ name: "jobworker_login_password_checks_total", help: "Login passwords checked (one scrypt derivation each).", registers });
  const cgroupMode = new Gauge({
    name: "jobworker_cgroup_mode", help: "The agent's resource control: 1 for its mode (v2, or unavailable: no per-job metrics).", labelNames: ["mode"], registers,
  });

  let snapshot: JobSnapshot | undefined;
  let specs: () => readonly SpecReadiness[] = () => [];
  // Per spec, from 0 as soon as the spec exists (so rate() sees its first restart); gone with the spec.
  const counted = new Set<string>();
  const specRestarts = new Counter({
    name: "jobworker_spec_restarts_total", help: "Runs of a job spec started again by its restart policy since the agent started.",
    labelNames: ["spec"], registers,
    collect() {
      const names = new Set(specs().map((spec) => spec.name));
      for (const name of names) this.inc({ spec: name }, 0);
      for (const name of counted) if (!names.has(name)) this.remove({ spec: name });
      counted.clear();
      for (const name of names) counted.add(name);
    },
  });
  new Gauge({
    name: "jobworker_spec_ready", help: "1 while the job spec's job runs, else 0 (starting, backing off, completed, failed).",
    labelNames: ["spec"], registers,
    collect() {
      this.reset();
      for (const spec of specs()) this.set({ spec: spec.name }, spec.ready ? 1 : 0);
    },
  });
  scrapeTimeMetric(registry, "jobworker_jobs", "Jobs the agent keeps (running and not yet garbage-collected), by state.", false, ["state"], () => snapshot, (samples) => {
    const counts = new Map(Object.keys(STATES).map((state) => [state, 0]));
    for (const { record } of samples) counts.set(record.state, (counts.get(record.state) ?? 0) + 1);
    return [...counts].map(([state, n]) => [{ state }, n]);
  });
  registerJobMetrics(registry, () => snapshot);

  const hooks: MetricsHooks = {
    jobStarted: () => started.inc(),
    jobFinished: (record) => finished.inc({ reason: record.reason ?? "unknown" }),
    outputCaptured: (bytes) => captured.inc(bytes),
    outputStreamed: (bytes) => streamed.inc(bytes),
    streamOpened: () => streams.inc(),
    streamClosed: () => streams.dec(),
    rpcFinished: (method, code, seconds) => {
      rpcs.inc({ method, code });
      rpcSeconds.observe({ method }, seconds);
    },
    tlsHandshakeFailed: (reason) => tlsFailures.inc({ reason: boundedReason(reason) }),
    connectionRefused: (reason) => refused.inc({ reason }),
    connectionClosed: (reason) => cut.inc({ reason }),
    connectionsOpen: (unauthenticated, authenticated) => {
      open.set({ state: "unauthenticated" }, unauthenticated);
      open.set({ state: "authenticated" }, authenticated);
    },
    loginThrottled: (reason) => loginsThrottled.inc({ reason }),
    loginPasswordChecked: () => passwordChecks.inc(),
    specRestarted: (spec) => {
      specRestarts.inc({ spec });
      counted.add(spec);
    },
  };

  return {
    registry,
    hooks,
    attachSpecs(list) {
      specs = list;
    },
    attach(jobs, info) {
      snapshot = new JobSnapshot(jobs);
      cgroupMode.reset();
      cgroupMode.set({ mode: info.cgroupMode }, 1);
    },
  };
}

/** Error codes (ERR_SSL_..., ECONNRESET) are a small set; anything else is one label value, so junk cannot grow the series. */
function boundedReason(reason: string): string {
  return /^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(reason) ? reason : "other";
}
