// Starts per second with 16 concurrent callers (each its own warm connection, each
// starting /bin/true back to back), against 16 concurrent loops of spawn('/bin/true')
// until exit. A round is `total` starts; rounds alternate anchor, jobworker.
import { startJob } from "../lib/agent.js";
import { figure } from "../lib/figure.js";
import type { Scenario } from "../lib/context.js";
import { spawnUntilExit } from "../lib/spawn-anchor.js";
import { median, msSince, now } from "../lib/stats.js";
import { call } from "../../test/helpers/client.js";

const CALLERS = 16;

async function perSecond(total: number, one: (caller: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const began = now();
  await Promise.all(Array.from({ length: CALLERS }, async (_, caller) => {
    while (next++ < total) await one(caller);
  }));
  return total / (msSince(began) / 1000);
}

export const startRate: Scenario = async (ctx) => {
  const rounds = ctx.rounds(5, 2);
  const total = ctx.pick(500, 32);
  const clients = Array.from({ length: CALLERS }, () => ctx.agent.connect());
  try {
    await Promise.all(clients.map((c) => call(c, "AgentInfo", {})));
    const jw: number[] = [];
    const anchor: number[] = [];
    for (let r = 0; r < rounds; r++) {
      anchor.push(await perSecond(total, () => spawnUntilExit()));
      jw.push(await perSecond(total, (caller) => startJob(clients[caller], "/bin/true")));
      ctx.log(`  round ${r + 1}/${rounds}: spawn ${anchor.at(-1)!.toFixed(0)}/s, Start ${jw.at(-1)!.toFixed(0)}/s`);
    }
    return [
      figure({
        figure: `starts per second, ${CALLERS} concurrent callers`, anchorName: `spawn('/bin/true') per second, ${CALLERS} concurrent`,
        jobworker: median(jw), anchor: median(anchor), unit: "1/s", better: "higher", rounds, samples: { jobworker: jw, anchor },
        note: `${total} starts a round; a Start counts when its response arrives, a spawn when the process exited`,
      }),
    ];
  } finally {
    for (const c of clients) c.close();
  }
};
