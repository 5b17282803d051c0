// A fleet of N running jobs (/bin/sleep 1000), two figures:
//   List with N jobs, p50, against AgentInfo on the same warm connection, p50
//     (alternating calls; measured while the first round's N jobs run);
//   stop N running jobs: N Stop RPCs at once on the warm connection (Stop resolves
//     once the job has ended), wall time until the last answer; against SIGTERM to N
//     node-spawned sleeps until all exited.
// Each round starts N sleeps through the agent (16 callers) and N with spawn().
// Meant to run first on a fresh agent, so List shows the N jobs and no more.
import { spawn, type ChildProcess } from "node:child_process";
import type { ListResponse__Output } from "../../proto/generated/workerservice/ListResponse.js";
import type { StopResponse__Output } from "../../proto/generated/workerservice/StopResponse.js";
import { call } from "../../test/helpers/client.js";
import { startJob } from "../lib/agent.js";
import { figure } from "../lib/figure.js";
import type { Scenario } from "../lib/context.js";
import { median, msSince, now, sleep, timeMs } from "../lib/stats.js";

const SLEEP = ["/bin/sleep", "1000"];

async function pool<T>(count: number, width: number, one: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    for (let i = next++; i < count; i = next++) out[i] = await one(i);
  }));
  return out;
}

export const fleet: Scenario = async (ctx) => {
  const n = ctx.pick(1000, 20);
  const rounds = ctx.rounds(3, 2);
  const listCalls = ctx.samples(200, 20);
  const client = ctx.agent.client;
  const stopJw: number[] = [];
  const stopAnchor: number[] = [];
  const list: number[] = [];
  const info: number[] = [];
  let listed = 0;
  for (let r = 0; r < rounds; r++) {
    // Anchor: N sleeps, all spawned, then SIGTERM to each until every one has exited.
    const children: ChildProcess[] = [];
    const exits: Promise<void>[] = [];
    for (let i = 0; i < n; i++) {
      const child = spawn(SLEEP[0], SLEEP.slice(1), { stdio: "ignore" });
      children.push(child);
      exits.push(new Promise((resolve) => child.once("exit", () => resolve())));
      await new Promise<void>((resolve, reject) => child.once("spawn", resolve).once("error", reject));
    }
    const began = now();
    for (const child of children) child.kill("SIGTERM");
    await Promise.all(exits);
    stopAnchor.push(msSince(began));

    // jobworker: N sleeps through Start, visible as RUNNING, then N Stops at once.
    const jobs = await pool(n, 16, () => startJob(client, SLEEP[0], SLEEP.slice(1)));
    for (;;) {
      const { jobs: all } = await call<object, ListResponse__Output>(client, "List", {});
      if (all.filter((j) => j.JobStatus === "RUNNING").length >= n) break;
      await sleep(50);
    }
    if (r === 0) {
      for (let i = 0; i < listCalls; i++) {
        info.push(await timeMs(() => call(client, "AgentInfo", {})));
        list.push(await timeMs(async () => (listed = (await call<object, ListResponse__Output>(client, "List", {})).jobs.length)));
      }
    }
    const stopBegan = now();
    const stopped = await Promise.all(jobs.map((j) => call<object, StopResponse__Output>(client, "Stop", { jobID: j.jobID })));
    stopJw.push(msSince(stopBegan));
    const notStopped = stopped.filter((s) => s.status?.JobStatus !== "STOPPED");
    if (notStopped.length) throw new Error(`${notStopped.length} of ${n} jobs ended ${notStopped[0].status?.JobStatus}, not STOPPED`);
    ctx.log(`  round ${r + 1}/${rounds}: SIGTERM ${n} sleeps ${stopAnchor.at(-1)!.toFixed(0)} ms, Stop ${n} jobs ${stopJw.at(-1)!.toFixed(0)} ms`);
  }
  return [
    figure({
      figure: `List with ${n} jobs, p50`, anchorName: "AgentInfo on the same connection, p50",
      jobworker: median(list), anchor: median(info), unit: "ms", better: "lower", rounds: listCalls, samples: { jobworker: list, anchor: info },
      note: `List returned ${listed} jobs (${n} running)`,
    }),
    figure({
      figure: `stop ${n} running jobs, wall time`, anchorName: `SIGTERM ${n} spawned sleeps until all exited`,
      jobworker: median(stopJw), anchor: median(stopAnchor), unit: "ms", better: "lower", rounds, samples: { jobworker: stopJw, anchor: stopAnchor },
      note: `${n} Stop RPCs at once on one connection`,
    }),
  ];
};
