// The agent's records in the wire contract's types (proto/*.proto) and back:
// job and spec statuses, resource limits and timestamps, each converted here
// once. List's pre-encoded bytes (status-wire.ts) and GetOutput's
// (output-frames.ts) are built from these objects, for speed, not beside them.
import type { QueryStatusResponse } from "../../proto/generated/workerservice/QueryStatusResponse.js";
import type { ResourceLimits__Output } from "../../proto/generated/workerservice/ResourceLimits.js";
import type { SpecStatus as WireSpecStatus } from "../../proto/generated/workerservice/SpecStatus.js";
import type { JobRecord, ResourceLimits } from "../jobs/record.js";
import { manifestText } from "../specs/manifest.js";
import type { SpecStatus } from "../specs/spec-runner.js";

/** google.protobuf.Timestamp from an ISO date string or a Date. */
export function toTimestamp(when: string | Date): { seconds: number; nanos: number } {
  const ms = typeof when === "string" ? Date.parse(when) : when.getTime();
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
}

/** A job's record as QueryStatus answers it (and List, encoded: status-wire.ts). */
export function toStatusResponse(record: JobRecord): QueryStatusResponse {
  return {
    exitCode: record.exitCode ?? -1,
    commandName: record.command,
    arguments: record.args,
    JobStatus: record.state,
    id: record.id,
    owner: record.owner,
    pid: record.pid ?? 0,
    signal: record.signal ?? "",
    reason: record.reason ?? "",
    startTime: toTimestamp(record.startTime),
    endTime: record.endTime ? toTimestamp(record.endTime) : null,
    message: record.message ?? "",
    startFailure: record.startFailure,
    outputBytes: record.outputBytes,
    outputDroppedBytes: record.outputDroppedBytes,
    limits: record.limits,
    gracePeriodMs: record.gracePeriodMs,
    usage: record.usage ?? null,
    uid: record.uid ?? 0,
    gid: record.gid ?? 0,
    ...(record.spec && { specName: record.spec.name, specRun: record.spec.run }),
  };
}

/** A start request's limits (64-bit fields arrive as decimal text). Out the other way they need no conversion: numbers are what the wire types take. */
export function limitsFromWire(limits: ResourceLimits__Output): ResourceLimits {
  return {
    cpuCores: limits.cpuCores,
    memoryBytes: Number(limits.memoryBytes),
    ioReadBps: Number(limits.ioReadBps),
    ioWriteBps: Number(limits.ioWriteBps),
    ioReadIops: Number(limits.ioReadIops),
    ioWriteIops: Number(limits.ioWriteIops),
    pids: Number(limits.pids),
  };
}

/**
 * A job spec's status (SpecStatus). With detail (GetSpec): the manifest and
 * the recent runs. Without (ListSpecs): neither, so a list of every spec stays
 * small whatever their arguments.
 */
export function toSpecStatus(status: SpecStatus, detail?: { recentRuns: QueryStatusResponse[] }): WireSpecStatus {
  const end = status.lastEnd;
  return {
    name: status.name,
    uid: status.uid,
    owner: status.owner,
    source: status.source.kind === "api" ? "api" : `file:${status.source.path}`,
    manifest: detail ? manifestText(status.spec) : "",
    labels: status.spec.labels,
    phase: status.phase,
    ready: status.ready,
    restarts: status.restarts,
    runs: status.runs,
    currentJobId: status.currentJobId ?? "",
    currentRun: status.currentRun ?? 0,
    lastEnd: end
      ? {
          id: end.jobId, run: end.run, JobStatus: end.state, reason: end.reason ?? "", exitCode: end.exitCode ?? -1, signal: end.signal ?? "",
          startTime: toTimestamp(end.startTime), endTime: end.endTime ? toTimestamp(end.endTime) : null, message: end.message ?? "",
        }
      : null,
    nextRestartTime: status.nextRestartAt !== undefined ? toTimestamp(new Date(status.nextRestartAt)) : null,
    message: status.message ?? "",
    creationTime: toTimestamp(status.createdAt),
    restartPolicy: status.spec.restartPolicy,
    recentRuns: detail?.recentRuns ?? [],
  };
}
