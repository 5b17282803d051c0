// Capture: a job writing SIZE as fast as it can (head -c SIZE /dev/zero), from Start
// until QueryStatus (polled every 20 ms) shows it ended with SIZE bytes captured, MB/s;
// against bench/capture.ts's cat anchor, `head -c SIZE /dev/zero | cat > FILE`, on the
// same filesystem. Each output file is removed after its round (as capture.ts does),
// so dirty pages do not pile up.
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { startJob, waitStatus } from "../lib/agent.js";
import { figure } from "../lib/figure.js";
import type { Scenario } from "../lib/context.js";
import { catToFile } from "../lib/pipe-anchor.js";
import { human, mbps, median, msSince, now } from "../lib/stats.js";

export const capture: Scenario = async (ctx) => {
  const size = ctx.pick(2 ** 30, 16 * 2 ** 20);
  const rounds = ctx.rounds(5, 2);
  const source = ["head", "-c", String(size), "/dev/zero"];
  const jw: number[] = [];
  const anchor: number[] = [];
  for (let r = 0; r < rounds; r++) {
    anchor.push(mbps(size, await catToFile(source, join(ctx.tmp, "capture.out"), size)));
    const began = now();
    const { jobID, id } = await startJob(ctx.agent.client, source[0], source.slice(1));
    // Every 20 ms: at 2 ms the polls (a TLS round trip and a log line each) took CPU from the job
    // and its monitor on a 2-core machine (job 260 MB/s against cat's 632). 20 ms is at most 1% of a
    // 1 GiB run at 500 MB/s.
    const status = await waitStatus(ctx.agent.client, jobID, "ended", 20);
    jw.push(mbps(size, msSince(began)));
    if (status.JobStatus !== "EXITED" || Number(status.outputBytes) !== size) {
      throw new Error(`capture job ended ${status.JobStatus} (exit ${status.exitCode}) with ${status.outputBytes} bytes, expected ${size}`);
    }
    await rm(join(ctx.agent.agent.stateDir, "jobs", id, "output"), { force: true });
    ctx.log(`  round ${r + 1}/${rounds}: cat ${anchor.at(-1)!.toFixed(0)} MB/s, job ${jw.at(-1)!.toFixed(0)} MB/s`);
  }
  return [
    figure({
      figure: `capture: a job writing ${human(size)} as fast as it can`, anchorName: "`head -c SIZE /dev/zero | cat > FILE`",
      jobworker: median(jw), anchor: median(anchor), unit: "MB/s", better: "higher", rounds, samples: { jobworker: jw, anchor },
      note: "job: Start until QueryStatus shows it ended (20 ms polls); in the page cache, not fsynced",
    }),
  ];
};
