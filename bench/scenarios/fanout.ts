// Fan-out: READERS concurrent readers of one finished job's SIZE of output, each on
// its own connection (GetOutput noFollow), aggregate MB/s and the agent's peak RSS;
// against the bare TLS anchor serving the same spool file to READERS connections, and
// its peak RSS. Peaks are VmHWM reset before each round (PeakRss). Alternating rounds.
import type { WorkerServiceClient } from "../../proto/generated/workerservice/WorkerService.js";
import { countOutput } from "../lib/agent.js";
import { figure } from "../lib/figure.js";
import type { Scenario } from "../lib/context.js";
import { PeakRss } from "../lib/proc.js";
import { human, mbps, median, msSince, now } from "../lib/stats.js";

export const fanout: Scenario = async (ctx) => {
  const size = ctx.pick(100 * 2 ** 20, 4 * 2 ** 20);
  const readers = ctx.pick(100, 10);
  const rounds = ctx.rounds(3, 2);
  const job = await ctx.outputJob(size);
  const rate = { jw: [] as number[], anchor: [] as number[] };
  const rss = { jw: [] as number[], anchor: [] as number[] };
  const measure = async (pid: number, reads: () => Promise<number>[]): Promise<[number, number]> => {
    const peak = new PeakRss(pid);
    peak.start();
    const began = now();
    const counts = await Promise.all(reads());
    const ms = msSince(began);
    const mib = peak.stop();
    if (counts.some((n) => n !== size)) throw new Error(`a reader got ${counts.find((n) => n !== size)} bytes, expected ${size}`);
    return [mbps(size * readers, ms), mib];
  };
  for (let r = 0; r < rounds; r++) {
    const [a, aRss] = await measure(ctx.tls.pid, () => Array.from({ length: readers }, () => ctx.tls.read(job.spool)));
    // New connections each round, as the anchor's; their handshakes are inside the clock, as the anchor's are.
    const clients: WorkerServiceClient[] = Array.from({ length: readers }, () => ctx.agent.connect());
    const [j, jRss] = await measure(ctx.agent.agent.pid, () => clients.map((c) => countOutput(c, job.jobID)));
    for (const c of clients) c.close();
    rate.anchor.push(a);
    rss.anchor.push(aRss);
    rate.jw.push(j);
    rss.jw.push(jRss);
    ctx.log(`  round ${r + 1}/${rounds}: tls ${a.toFixed(0)} MB/s (peak ${aRss.toFixed(0)} MiB), agent ${j.toFixed(0)} MB/s (peak ${jRss.toFixed(0)} MiB)`);
  }
  const what = `${readers} readers of one ${human(size)} output`;
  return [
    figure({
      figure: `${what}, aggregate`, anchorName: `bare Node TLS file server, ${readers} connections`,
      jobworker: median(rate.jw), anchor: median(rate.anchor), unit: "MB/s", better: "higher", rounds, samples: { jobworker: rate.jw, anchor: rate.anchor },
      note: "each reader on a new connection, handshakes inside the clock",
    }),
    figure({
      figure: `${what}, agent peak RSS`, anchorName: "the TLS file server's peak RSS",
      jobworker: median(rss.jw), anchor: median(rss.anchor), unit: "MiB", better: "lower", rounds, samples: { jobworker: rss.jw, anchor: rss.anchor },
      note: "VmHWM reset through /proc/PID/clear_refs before each round",
    }),
  ];
};
