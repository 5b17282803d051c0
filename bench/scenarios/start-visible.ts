// Start until the job is visible as running or ended through QueryStatus (polled
// back to back on the same warm connection), p50, against spawn('/bin/true') until exit.
import { startJob, waitStatus } from "../lib/agent.js";
import { figure } from "../lib/figure.js";
import type { Scenario } from "../lib/context.js";
import { spawnUntilExit } from "../lib/spawn-anchor.js";
import { median, timeMs } from "../lib/stats.js";

export const startVisible: Scenario = async (ctx) => {
  const n = ctx.samples(300, 20);
  const client = ctx.agent.client;
  const jw: number[] = [];
  const anchor: number[] = [];
  for (let i = 0; i < n; i++) {
    anchor.push(await spawnUntilExit());
    jw.push(await timeMs(async () => waitStatus(client, (await startJob(client, "/bin/true")).jobID, "running", 0)));
  }
  return [
    figure({
      figure: "Start until RUNNING/ended in QueryStatus, p50", anchorName: "spawn('/bin/true') until exit, p50",
      jobworker: median(jw), anchor: median(anchor), unit: "ms", better: "lower", rounds: n, samples: { jobworker: jw, anchor },
      note: "QueryStatus polled back to back, no sleep",
    }),
  ];
};
