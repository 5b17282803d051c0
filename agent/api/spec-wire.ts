// A job spec's status in wire form (SpecStatus in workerservice.proto).
import type { QueryStatusResponse } from "../../proto/generated/workerservice/QueryStatusResponse.js";
import type { SpecStatus as WireSpecStatus } from "../../proto/generated/workerservice/SpecStatus.js";
import { manifestText } from "../specs/manifest.js";
import type { SpecStatus } from "../specs/spec-runner.js";
import { toTimestamp } from "./job-service.js";

/**
 * With detail (GetSpec): the manifest and the recent runs. Without (ListSpecs):
 * neither, so a list of every spec stays small whatever their arguments.
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
