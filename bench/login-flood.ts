// Benchmark: Start's round-trip latency while the agent is flooded with wrong
// logins (issue 9: a flood raised Start from 19 ms to 2.9 s). Starts the real
// agent binary (development PKI, development users) and measures, in the same
// run, interleaved:
//   idle:  sequential Starts of `true` (admin's certificate), no other load (the anchor)
//   flood: the same Starts while worker threads keep CONCURRENCY wrong logins in
//          flight from each of four client certificates (admin, alice, bob,
//          viewer), half for the existing user alice, half for unknown users
// Each run takes SAMPLES Starts per phase; p50 and p99 of each run, then the
// medians over runs and the ratios flood/idle are printed. The flood's own
// answers are counted by status code (OK never: every password is wrong).
// The flood runs in worker threads so that its client side does not share the
// measuring event loop; everything still shares the machine's cores.
//
// Run on demand: npm run build && npm run bench:login -- [--runs 3] [--samples 60]
// [--concurrency 8] [--agent-config FILE] (or RUNS=, SAMPLES=, CONCURRENCY=,
// AGENT_CONFIG=). --agent-config passes a configuration file to the agent (e.g.
// a generous auth.loginThrottle, to measure the hashing queue alone).
//
// Measured on the shared 2-core dev machine (Node 20.20, cgroups off; noisy, the flood
// clients run on the same cores), --runs 3 --samples 10, medians of per-run p50/p99:
//   2 in flight per client (8 in all):
//     before issue 9 (every login hashing, 4 at once): idle 54 / 70 ms, flood 12 841 / 19 174 ms
//       (ratio p50 238, p99 272; ~5 logins/s answered)
//     after, defaults:                 idle 67 / 127 ms, flood 173 / 870 ms (ratio 2.6, 6.9)
//     after, throttle off (queue only): idle 56 / 89 ms,  flood 89 / 287 ms  (ratio 1.6, 3.2)
//   16 in flight per client (64 in all; several hundred refusals a second):
//     after, defaults:                 idle 48 / 67 ms, flood 542 / 1407 ms (ratio 11.3, 21.2)
//     after, throttle off (queue only): idle 47 / 75 ms, flood 346 / 987 ms  (ratio 7.3, 13.1)
// What remains is CPU: one core hashing and the event loop answering the refusals.
import * as grpc from "@grpc/grpc-js";
import { availableParallelism } from "node:os";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { startTestAgent } from "../test/helpers/agent.js";
import { createSecureContext } from "node:tls";
import { authservice } from "../proto/load.js";
import { filesFor, workerClient } from "../test/helpers/client.js";
import type { WorkerServiceClient } from "../proto/generated/workerservice/WorkerService.js";
import { option } from "./lib/cli-option.js";

function positive(name: string, env: string, fallback: string): number {
  const n = Number(option(name, env, fallback));
  if (!Number.isInteger(n) || n < 1) throw new Error(`bad --${name} ${n}`);
  return n;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const FLOOD_CLIENTS = ["admin", "alice", "bob", "viewer"];

interface FloodData {
  address: string;
  pkiDir: string;
  client: string;
  concurrency: number;
}

/**
 * A worker thread: CONCURRENCY loops of wrong logins from one client certificate
 * over one connection (as a determined client would: no handshake per attempt)
 * until told to stop; posts counts by status code.
 */
async function flood({ address, pkiDir, client, concurrency }: FloodData): Promise<void> {
  const files = filesFor(pkiDir, client);
  const context = createSecureContext({ ca: files.ca, cert: files.cert, key: files.key, minVersion: "TLSv1.3" });
  const auth = new (authservice().AuthService)(address, grpc.credentials.createFromSecureContext(context), { "grpc.ssl_target_name_override": "localhost" });
  const login = (username: string, password: string) =>
    new Promise<void>((resolve, reject) => auth.Login({ username, password }, (err: grpc.ServiceError | null) => (err ? reject(err) : resolve())));
  const codes: Record<string, number> = {};
  let stop = false;
  parentPort!.once("message", () => (stop = true));
  let n = 0;
  const loop = async () => {
    while (!stop) {
      const username = n++ % 2 === 0 ? "alice" : `nobody-${client}-${n}`;
      const code = await login(username, "wrong-password").then(() => "OK", (err: grpc.ServiceError) => grpc.status[err.code] ?? String(err.code));
      codes[code] = (codes[code] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  auth.close();
  parentPort!.postMessage(codes);
}

function start(client: WorkerServiceClient): Promise<number> {
  const began = process.hrtime.bigint();
  return new Promise((resolve, reject) =>
    client.Start({ commandName: "true", arguments: [] }, (err) => (err ? reject(err) : resolve(Number(process.hrtime.bigint() - began) / 1e6))),
  );
}

async function starts(client: WorkerServiceClient, samples: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) times.push(await start(client));
  return times;
}

async function main(): Promise<void> {
  const runs = positive("runs", "RUNS", "3");
  const samples = positive("samples", "SAMPLES", "60");
  const concurrency = positive("concurrency", "CONCURRENCY", "8");
  const config = option("agent-config", "AGENT_CONFIG", "");
  const agent = await startTestAgent({ args: ["--cgroup-mode", "off", ...(config ? ["--config", config] : [])] });
  const client = workerClient(agent.address, filesFor(agent.pkiDir, "admin"));
  try {
    console.log(
      `login flood benchmark: ${runs} runs x ${samples} Starts per phase, flood ${FLOOD_CLIENTS.length} clients x ${concurrency} in flight, ` +
        `node ${process.version}, ${availableParallelism()} cpus${config ? `, agent config ${config}` : ""}`,
    );
    await starts(client, 5); // warm-up: connection, first spawn
    const p50 = { idle: [] as number[], flood: [] as number[] };
    const p99 = { idle: [] as number[], flood: [] as number[] };
    for (let run = 1; run <= runs; run++) {
      const idle = await starts(client, samples);
      p50.idle.push(percentile(idle, 50));
      p99.idle.push(percentile(idle, 99));
      console.log(`run ${run}/${runs}  idle   Start p50 ${percentile(idle, 50).toFixed(1).padStart(8)} ms  p99 ${percentile(idle, 99).toFixed(1).padStart(8)} ms`);

      const workers = FLOOD_CLIENTS.map((name) => new Worker(new URL(import.meta.url), { workerData: { address: agent.address, pkiDir: agent.pkiDir, client: name, concurrency } satisfies FloodData }));
      const counted = workers.map((w) => new Promise<Record<string, number>>((resolve, reject) => w.once("message", resolve).once("error", reject)));
      await new Promise((resolve) => setTimeout(resolve, 1000)); // let the flood build up
      const began = process.hrtime.bigint();
      const flooded = await starts(client, samples);
      const seconds = Number(process.hrtime.bigint() - began) / 1e9;
      for (const w of workers) w.postMessage("stop");
      const codes: Record<string, number> = {};
      for (const c of await Promise.all(counted)) for (const [code, n] of Object.entries(c)) codes[code] = (codes[code] ?? 0) + n;
      await Promise.all(workers.map((w) => w.terminate()));
      p50.flood.push(percentile(flooded, 50));
      p99.flood.push(percentile(flooded, 99));
      const answers = Object.entries(codes).map(([code, n]) => `${code} ${n}`).join(", ");
      console.log(
        `run ${run}/${runs}  flood  Start p50 ${percentile(flooded, 50).toFixed(1).padStart(8)} ms  p99 ${percentile(flooded, 99).toFixed(1).padStart(8)} ms  ` +
          `(${seconds.toFixed(1)} s; logins answered: ${answers})`,
      );
    }
    const m = { idle50: median(p50.idle), idle99: median(p99.idle), flood50: median(p50.flood), flood99: median(p99.flood) };
    console.log(`median    idle p50 ${m.idle50.toFixed(1)} ms, p99 ${m.idle99.toFixed(1)} ms; flood p50 ${m.flood50.toFixed(1)} ms, p99 ${m.flood99.toFixed(1)} ms`);
    console.log(`ratio     flood/idle p50 ${(m.flood50 / m.idle50).toFixed(1)}, p99 ${(m.flood99 / m.idle99).toFixed(1)}`);
  } finally {
    client.close();
    await agent.stop();
    agent.cleanup();
  }
}

if (isMainThread) await main();
else await flood(workerData as FloodData);
