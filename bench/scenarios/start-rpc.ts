// Start RPC round trip on a warm connection (Start("/bin/true") until its response),
// p50 and p99, against node spawn('/bin/true') until exit; one of each, alternating.
import { startJob } from "../lib/agent.js";
import { figure } from "../lib/figure.js";
import type { Scenario } from "../lib/context.js";
import { spawnUntilExit } from "../lib/spawn-anchor.js";
import { median, percentile, timeMs } from "../lib/stats.js";

export const startRpc: Scenario = async (ctx) => {
  const n = ctx.samples(500, 30);
  const client = ctx.agent.client;
  for (let i = 0; i < 5; i++) await Promise.all([startJob(client, "/bin/true"), spawnUntilExit()]); // warm-up
  const jw: number[] = [];
  const anchor: number[] = [];
  for (let i = 0; i < n; i++) {
    anchor.push(await spawnUntilExit());
    jw.push(await timeMs(() => startJob(client, "/bin/true")));
  }
  const common = { unit: "ms", better: "lower" as const, rounds: n, samples: { jobworker: jw, anchor } };
  return [
    figure({ figure: "Start RPC round trip, warm connection, p50", anchorName: "spawn('/bin/true') until exit, p50", jobworker: median(jw), anchor: median(anchor), ...common }),
    figure({ figure: "Start RPC round trip, warm connection, p99", anchorName: "spawn('/bin/true') until exit, p99", jobworker: percentile(jw, 99), anchor: percentile(anchor, 99), ...common, samples: undefined }),
  ];
};
