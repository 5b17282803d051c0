// What an agent finds when it starts on a state directory an earlier agent
// used: finished jobs as they were; running jobs whose monitor is alive,
// reattached (they never noticed the agent was gone); jobs that ended while no
// agent ran, recorded from their exit file with their true exit code, signal,
// OOM kill and usage; and jobs whose monitor died without an exit file, lost:
// what is left of them is killed (job-runner.ts decides which, per job).
import { isFinal } from "./lifecycle.js";
import { JobRunner, type RunnerContext } from "./job-runner.js";
import type { JobRecord } from "./record.js";
import type { UidPool } from "./uid-pool.js";

export async function recoverJobs(ctx: RunnerContext, pool: UidPool | undefined, countRunning: (record: JobRecord) => void): Promise<JobRunner[]> {
  const records = await ctx.store.loadAll((id, err) => ctx.logger?.error({ jobId: id, err }, "job record unreadable; left on disk untouched"));
  const runners: JobRunner[] = [];
  for (const record of records) {
    // Its uid stays taken until the job has ended and its files are gone.
    if (record.ownUid && record.uid !== undefined && (!isFinal(record.state) || record.workDirLeft)) pool?.markUsed(record.uid);
    if (isFinal(record.state)) {
      runners.push(await JobRunner.finished(ctx, record));
      continue;
    }
    countRunning(record);
    const runner = await JobRunner.attach(ctx, record);
    await runner.settled(); // what happened while no agent ran is recorded before the agent serves
    runners.push(runner);
  }
  return runners;
}
