// One reader, GetOutput (noFollow) of a finished job's SIZE of output, through an
// in-process gRPC client on a warm connection, MB/s; against the bare TLS anchor
// (a node:tls TLS 1.3 AES-256-GCM server process) streaming the same spool file over
// a new connection. Alternating rounds.
import { countOutput } from "../lib/agent.js";
import { figure } from "../lib/figure.js";
import type { Scenario } from "../lib/context.js";
import { human, mbps, median, msSince, now } from "../lib/stats.js";

export const getOutput: Scenario = async (ctx) => {
  const size = ctx.pick(2 ** 30, 4 * 2 ** 20);
  const rounds = ctx.rounds(5, 3);
  const job = await ctx.outputJob(size);
  const jw: number[] = [];
  const anchor: number[] = [];
  const measure = async (read: () => Promise<number>): Promise<number> => {
    const began = now();
    const n = await read();
    if (n !== size) throw new Error(`read ${n} bytes, expected ${size}`);
    return mbps(size, msSince(began));
  };
  for (let r = 0; r < rounds; r++) {
    anchor.push(await measure(() => ctx.tls.read(job.spool)));
    jw.push(await measure(() => countOutput(ctx.agent.client, job.jobID)));
    ctx.log(`  round ${r + 1}/${rounds}: tls ${anchor.at(-1)!.toFixed(0)} MB/s, GetOutput ${jw.at(-1)!.toFixed(0)} MB/s`);
  }
  return [
    figure({
      figure: `one reader, GetOutput of ${human(size)} (in-process client)`, anchorName: "bare Node TLS 1.3 AES-256-GCM server, same file",
      jobworker: median(jw), anchor: median(anchor), unit: "MB/s", better: "higher", rounds, samples: { jobworker: jw, anchor },
    }),
  ];
};
