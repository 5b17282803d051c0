// Per-job series, labelled job_id, owner and spec (the job spec a run is of;
// empty for a job from Start), named after cAdvisor's
// container_* metrics where they match, computed at scrape time from
// JobSnapshot.
//
// - A running job with a cgroup: everything below, read from its cgroup files.
// - A finished job: only the cumulative values its record keeps (CPU seconds,
//   peak memory, OOM kills, from record.usage), so that its totals are exact
//   even when it ended between two scrapes. They go when the job is
//   garbage-collected (retention), which bounds the label cardinality:
//   running jobs (at most maxConcurrentJobs) plus kept finished ones.
// - No cgroup v2: no per-job series at all (record.usage is absent too).
//
// Limits (spec_*) are the job's configured ones, only those that are set:
// an absent series means unlimited, as 0 does in the job's record.
import { Counter, Gauge, type Registry } from "prom-client";
import type { CgroupStats } from "../cgroups/job-cgroup.js";
import { CPU_PERIOD_USEC } from "../cgroups/controllers/cpu.js";
import type { JobUsage, ResourceLimits } from "../jobs/record.js";
import type { JobSample, JobSnapshot } from "./job-snapshot.js";

type Labels = Record<string, string>;
type Value = number | undefined;

interface JobSeries {
  name: string;
  help: string;
  counter?: boolean;
  /** While the job runs, from its cgroup stats and configured limits; undefined: no series. */
  live?: (stats: CgroupStats, limits: ResourceLimits) => Value;
  /** After it ended, from its final usage. */
  final?: (usage: JobUsage) => Value;
}

const set = (n: number): Value => (n > 0 ? n : undefined);

const JOB_SERIES: JobSeries[] = [
  { name: "jobworker_job_cpu_usage_seconds_total", help: "CPU time consumed by the job (cpu.stat usage_usec).", counter: true,
    live: (s) => s.cpu.usageSeconds, final: (u) => u.cpuSeconds },
  { name: "jobworker_job_cpu_user_seconds_total", help: "CPU time consumed by the job in user mode.", counter: true,
    live: (s) => s.cpu.userSeconds, final: (u) => u.cpuUserSeconds },
  { name: "jobworker_job_cpu_system_seconds_total", help: "CPU time consumed by the job in kernel mode.", counter: true,
    live: (s) => s.cpu.systemSeconds, final: (u) => u.cpuSystemSeconds },
  { name: "jobworker_job_cpu_cfs_periods_total", help: "Enforcement periods elapsed while the job had a CPU limit (nr_periods).", counter: true,
    live: (s) => s.cpu.periods },
  { name: "jobworker_job_cpu_cfs_throttled_periods_total", help: "Periods in which the job was throttled (nr_throttled).", counter: true,
    live: (s) => s.cpu.throttledPeriods },
  { name: "jobworker_job_cpu_cfs_throttled_seconds_total", help: "Time the job was throttled (throttled_usec).", counter: true,
    live: (s) => s.cpu.throttledSeconds },
  { name: "jobworker_job_memory_usage_bytes", help: "Memory charged to the job, page cache included (memory.current).",
    live: (s) => s.memory.currentBytes },
  { name: "jobworker_job_memory_working_set_bytes", help: "memory.current minus inactive file cache: what is close to being OOM-killed.",
    live: (s) => s.memory.workingSetBytes },
  // memory.peak is missing before Linux 5.19; the record then says 0: no series rather than a wrong one.
  { name: "jobworker_job_memory_max_usage_bytes", help: "Peak memory charged to the job (memory.peak).",
    live: (s) => s.memory.peakBytes, final: (u) => set(u.memoryPeakBytes) },
  { name: "jobworker_job_oom_events_total", help: "Processes of the job killed by the OOM killer (memory.events oom_kill).", counter: true,
    live: (s) => s.memory.oomKills, final: (u) => u.oomKills },
  { name: "jobworker_job_processes", help: "Processes and threads in the job (pids.current).",
    live: (s) => s.pids.current },
  // As cAdvisor: quota and period in microseconds (cores = quota / period), quota as setCpu writes it.
  { name: "jobworker_job_spec_cpu_quota", help: "The job's CPU limit: microseconds of CPU time per period (cpu.max).",
    live: (_, l) => (l.cpuCores > 0 ? Math.max(1000, Math.round(l.cpuCores * CPU_PERIOD_USEC)) : undefined) },
  { name: "jobworker_job_spec_cpu_period", help: "The job's CPU limit period in microseconds (cpu.max).",
    live: (_, l) => (l.cpuCores > 0 ? CPU_PERIOD_USEC : undefined) },
  { name: "jobworker_job_spec_memory_limit_bytes", help: "The job's memory limit (memory.max).", live: (_, l) => set(l.memoryBytes) },
  { name: "jobworker_job_spec_pids_max", help: "The job's limit on processes and threads (pids.max).", live: (_, l) => set(l.pids) },
  { name: "jobworker_job_spec_io_read_bytes_per_second", help: "The job's read bandwidth limit (io.max rbps).", live: (_, l) => set(l.ioReadBps) },
  { name: "jobworker_job_spec_io_write_bytes_per_second", help: "The job's write bandwidth limit (io.max wbps).", live: (_, l) => set(l.ioWriteBps) },
  { name: "jobworker_job_spec_io_read_iops", help: "The job's read operations per second limit (io.max riops).", live: (_, l) => set(l.ioReadIops) },
  { name: "jobworker_job_spec_io_write_iops", help: "The job's write operations per second limit (io.max wiops).", live: (_, l) => set(l.ioWriteIops) },
];

/** io.stat per device ("MAJ:MIN"), while the job runs: the record keeps only totals, without devices. */
const IO_SERIES: { name: string; help: string; value: (d: CgroupStats["io"][number]) => number }[] = [
  { name: "jobworker_job_fs_reads_bytes_total", help: "Bytes the job read from a block device (io.stat rbytes).", value: (d) => d.readBytes },
  { name: "jobworker_job_fs_writes_bytes_total", help: "Bytes the job wrote to a block device (io.stat wbytes).", value: (d) => d.writeBytes },
  { name: "jobworker_job_fs_reads_total", help: "Read operations of the job on a block device (io.stat rios).", value: (d) => d.readOps },
  { name: "jobworker_job_fs_writes_total", help: "Write operations of the job on a block device (io.stat wios).", value: (d) => d.writeOps },
];

export function registerJobMetrics(registry: Registry, snapshot: () => JobSnapshot | undefined): void {
  for (const series of JOB_SERIES) {
    scrapeTimeMetric(registry, series.name, series.help, series.counter ?? false, ["job_id", "owner", "spec"], snapshot, function* (samples) {
      for (const { record, stats } of samples) {
        const value = stats ? series.live?.(stats, record.limits) : record.usage && series.final?.(record.usage);
        if (value !== undefined) yield [jobLabels(record), value];
      }
    });
  }
  for (const series of IO_SERIES) {
    scrapeTimeMetric(registry, series.name, series.help, true, ["job_id", "owner", "spec", "device"], snapshot, function* (samples) {
      for (const { record, stats } of samples) {
        for (const device of stats?.io ?? []) yield [{ ...jobLabels(record), device: device.device }, series.value(device)];
      }
    });
  }
}

const jobLabels = (record: JobSample["record"]): Labels => ({ job_id: record.id, owner: record.owner, spec: record.spec?.name ?? "" });

/**
 * A metric whose series are rebuilt on every scrape from the snapshot, so a
 * job's series vanish with it. Counters too: the kernel keeps the count, the
 * metric only reports it (reset, then inc by the kernel's value).
 */
export function scrapeTimeMetric(
  registry: Registry,
  name: string,
  help: string,
  counter: boolean,
  labelNames: string[],
  snapshot: () => JobSnapshot | undefined,
  values: (samples: JobSample[]) => Iterable<[Labels, number]>,
): void {
  const config = { name, help, labelNames, registers: [registry] };
  /** Every scrape: the series of the jobs in the snapshot, and nothing else. */
  const refill = async (metric: { reset(): void }, put: (labels: Labels, value: number) => void) => {
    const samples = (await snapshot()?.get()) ?? [];
    metric.reset();
    for (const [labels, value] of values(samples)) put(labels, value);
  };
  if (counter) new Counter({ ...config, collect() { return refill(this, (labels, value) => this.inc(labels, value)); } });
  else new Gauge({ ...config, collect() { return refill(this, (labels, value) => this.set(labels, value)); } });
}
