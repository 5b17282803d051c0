// The agent the suite measures: the real jobagent binary as a child process
// (startTestAgent), with the bench's configuration from this one place, and the
// few client calls the scenarios share.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type * as grpc from "@grpc/grpc-js";
import type { WorkerServiceClient } from "../../proto/generated/workerservice/WorkerService.js";
import type { StartResponse__Output } from "../../proto/generated/workerservice/StartResponse.js";
import type { QueryStatusResponse__Output } from "../../proto/generated/workerservice/QueryStatusResponse.js";
import { startTestAgent, type TestAgent } from "../../test/helpers/agent.js";
import { call, filesFor, workerClient, type ClientFiles } from "../../test/helpers/client.js";
import { sleep } from "./stats.js";

/**
 * The agent's configuration for the bench: every limit a scenario could hit raised
 * well past what it asks for (1,000 sleeps at once, a 1 GiB output, thousands of
 * short jobs). Should the agent grow more limits (per-owner quotas...), raise them here.
 */
export function benchAgentConfig(): Record<string, unknown> {
  return {
    apiVersion: "jobworker/v1",
    kind: "AgentConfig",
    // The default, info: a log line per RPC is part of what a deployed agent does (and startTestAgent waits for "agent listening").
    logLevel: "info",
    jobs: {
      // One owner (admin) runs every scenario: its share is the whole agent.
      maxConcurrentJobs: 5000,
      maxConcurrentJobsPerOwner: 5000,
      outputCap: "4Gi",
      defaultGracePeriod: "10s",
      retention: { maxFinishedJobs: 100000, maxFinishedJobsPerOwner: 100000, maxAge: "168h" },
    },
    // The fan-out opens 100 connections from 127.0.0.1 at once: past the default 32
    // handshakes per address some were refused at accept (UNAVAILABLE in the bench).
    connections: { maxUnauthenticated: 1000, maxUnauthenticatedPerAddress: 1000 },
  };
}

/** The HTTP/2 receive window bench clients ask for: jobctl's (ctl/client.ts, RECEIVE_WINDOW_BYTES), so GetOutput is read as jobctl reads it. */
export const CLIENT_WINDOW_BYTES = 4 * 1024 * 1024;

export interface BenchAgent {
  agent: TestAgent;
  /** The admin's client files. */
  files: ClientFiles;
  /** One warm connection (admin). */
  client: WorkerServiceClient;
  /** A new connection (admin; jobctl's receive window); channel options make it distinct. */
  connect(options?: grpc.ChannelOptions): WorkerServiceClient;
  pki: { ca: string; cert: string; key: string };
  stop(): Promise<void>;
}

/** nodeArgs: options for the agent's node (--cpu-prof --cpu-prof-dir DIR to profile it; it writes the profile when it exits). */
export async function startBenchAgent(nodeArgs: string[] = []): Promise<BenchAgent> {
  const dir = mkdtempSync(join(tmpdir(), "jobworker-bench-agent-"));
  const configPath = join(dir, "agent.yaml");
  // JSON is YAML.
  writeFileSync(configPath, JSON.stringify(benchAgentConfig(), null, 2) + "\n");
  // The state directory is startTestAgent's own (directly under the temp dir: jobs need search permission on its parents).
  const agent = await startTestAgent({ args: ["--config", configPath, "--metrics-listen", ""], nodeArgs });
  const files = filesFor(agent.pkiDir, "admin");
  let n = 0;
  const connect = (options: grpc.ChannelOptions = {}): WorkerServiceClient =>
    workerClient(agent.address, files, { "bench.connection": ++n, "grpc-node.flow_control_window": CLIENT_WINDOW_BYTES, ...options });
  const client = connect();
  await call(client, "AgentInfo", {});
  return {
    agent,
    files,
    client,
    connect,
    pki: { ca: join(agent.pkiDir, "ca.crt"), cert: join(agent.pkiDir, "server.crt"), key: join(agent.pkiDir, "server.key") },
    async stop() {
      client.close();
      await agent.stop();
      agent.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startJob(client: WorkerServiceClient, command: string, args: string[] = [], extra: Record<string, unknown> = {}): Promise<StartResponse__Output> {
  return call<object, StartResponse__Output>(client, "Start", { commandName: command, arguments: args, ...extra });
}

export function queryStatus(client: WorkerServiceClient, jobID: Buffer): Promise<QueryStatusResponse__Output> {
  return call<object, QueryStatusResponse__Output>(client, "QueryStatus", { jobID });
}

const ENDED = new Set(["EXITED", "STOPPED", "FAILED"]);

/** Polls QueryStatus until the job is past STARTED (RUNNING or ended), or ended if `ended`. */
export async function waitStatus(client: WorkerServiceClient, jobID: Buffer, until: "running" | "ended", pollMs = 1): Promise<QueryStatusResponse__Output> {
  for (;;) {
    const status = await queryStatus(client, jobID);
    if (ENDED.has(status.JobStatus) || (until === "running" && status.JobStatus === "RUNNING")) return status;
    if (pollMs > 0) await sleep(pollMs);
  }
}

/** Reads a job's whole output with GetOutput (noFollow), counting bytes without keeping them. */
export function countOutput(client: WorkerServiceClient, jobID: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    let n = 0;
    const stream = client.GetOutput({ jobID, noFollow: true });
    stream.on("data", (message: { output: Buffer }) => (n += message.output.length));
    stream.on("error", reject);
    stream.on("end", () => resolve(n));
  });
}
