// The local job service: the WorkerService's operations, with the caller's
// identity, authorization and input validation, in plain TypeScript. The gRPC
// adapter (grpc-adapter.ts) is a thin layer over it with the same shape.
import type { GetOutputRequest__Output } from "../../proto/generated/workerservice/GetOutputRequest.js";
import type { ListRequest__Output } from "../../proto/generated/workerservice/ListRequest.js";
import type { ListResponse } from "../../proto/generated/workerservice/ListResponse.js";
import type { QueryStatusRequest__Output } from "../../proto/generated/workerservice/QueryStatusRequest.js";
import type { QueryStatusResponse } from "../../proto/generated/workerservice/QueryStatusResponse.js";
import type { StartRequest__Output } from "../../proto/generated/workerservice/StartRequest.js";
import type { StartResponse } from "../../proto/generated/workerservice/StartResponse.js";
import type { StopRequest__Output } from "../../proto/generated/workerservice/StopRequest.js";
import type { StopResponse } from "../../proto/generated/workerservice/StopResponse.js";
import { authorize, type Operation, type Roles } from "../auth/rbac.js";
import type { Identity } from "../auth/identity.js";
import { NotFoundError, PermissionDeniedError } from "../errors.js";
import { jobIdToBytes, parseWireJobId } from "../jobs/ids.js";
import type { JobManager } from "../jobs/manager.js";
import type { ReadOptions } from "../jobs/output-spool.js";
import { NO_LIMITS, type ResourceLimits } from "../jobs/record.js";
import type { AgentInfoResponse } from "../../proto/generated/workerservice/AgentInfoResponse.js";
import { resolveLimits } from "./limit-resolution.js";
import { packageVersion } from "../../common/version.js";
import { CpuRate } from "./cpu-rate.js";
import type { JobTop } from "../../proto/generated/workerservice/JobTop.js";
import type { TopResponse } from "../../proto/generated/workerservice/TopResponse.js";
import { parseGracePeriod, parseOffset, validateCommand } from "./request-validation.js";
import { LIST_PAGE_BUDGET_BYTES, listPage } from "./list-page.js";
import { PreEncoded } from "./pre-encoded.js";
import { encodeListResponse, encodeStatus, listEntrySize } from "./status-wire.js";
import { limitsFromWire, toStatusResponse } from "./wire.js";

/** What the service enforces and reports beyond the role table. */
export interface ServicePolicy {
  defaultLimits: ResourceLimits;
  maxLimits: ResourceLimits;
  allowRootJobs: boolean;
  cgroupMode: string;
  cgroupReason: string;
  cgroupRoot: string;
  runAsUser: string;
}

/** One GetOutputResponse: a chunk of output and its byte offset. */
export interface OutputChunk {
  output: Buffer;
  offset: number;
}

export class JobService {
  private readonly cpuRate = new CpuRate();

  constructor(
    private readonly jobs: JobManager,
    private roles: Roles,
    private readonly policy: ServicePolicy,
  ) {}

  /** Replaces the role table (config reload). */
  setRoles(roles: Roles): void {
    this.roles = roles;
  }

  async start(caller: Identity, request: StartRequest__Output): Promise<StartResponse> {
    authorize(this.roles, caller, "start");
    if (request.runAsRoot) {
      authorize(this.roles, caller, "startAsRoot");
      if (!this.policy.allowRootJobs) throw new PermissionDeniedError("running jobs as root is disabled in the agent configuration (jobs.allowRootJobs)");
    }
    validateCommand(request.commandName, request.arguments);
    const limits = resolveLimits(request.limits ? limitsFromWire(request.limits) : NO_LIMITS, this.policy.defaultLimits, this.policy.maxLimits);
    const record = await this.jobs.start(caller.name, request.commandName, request.arguments, {
      gracePeriodMs: parseGracePeriod(request.gracePeriodMs),
      limits,
      asAgentUser: request.runAsRoot,
    });
    return { jobID: jobIdToBytes(record.id), id: record.id };
  }

  async stop(caller: Identity, request: StopRequest__Output): Promise<StopResponse> {
    const id = this.visibleJob(caller, "stop", request.jobID);
    const grace = parseGracePeriod(request.gracePeriodMs);
    return { status: toStatusResponse(await this.jobs.stop(id, grace, { message: `stopped by ${caller.name}` })) };
  }

  queryStatus(caller: Identity, request: QueryStatusRequest__Output): QueryStatusResponse {
    return toStatusResponse(this.jobs.status(this.visibleJob(caller, "status", request.jobID)));
  }

  /**
   * One page of the jobs the caller may see, oldest first (list-page.ts); the scope applies to every page.
   * In wire form: each job is encoded once, to size the page and to send it (status-wire.ts).
   */
  list(caller: Identity, request: ListRequest__Output): PreEncoded<ListResponse> {
    const scope = authorize(this.roles, caller, "list");
    const visible = this.jobs.list().filter((job) => scope === "all" || job.owner === caller.name);
    const page = listPage(visible, {
      pageSize: request.pageSize,
      pageToken: request.pageToken,
      budgetBytes: LIST_PAGE_BUDGET_BYTES,
      toEntry: (record) => encodeStatus(toStatusResponse(record)),
      encodedSize: listEntrySize,
    });
    return new PreEncoded(encodeListResponse(page.jobs, page.nextPageToken));
  }

  /** Live usage of the running jobs the caller may see; CPU averaged since the previous Top (or over a short sample). */
  async top(caller: Identity): Promise<TopResponse> {
    const scope = authorize(this.roles, caller, "list");
    const running = this.jobs.list().filter((j) => (j.state === "RUNNING" || j.state === "STARTED") && (scope === "all" || j.owner === caller.name));
    const jobs = await Promise.all(running.map(async (job): Promise<JobTop> => {
      const base = { id: job.id, owner: job.owner, commandName: job.command };
      const stats = await this.jobs.liveStats(job.id);
      if (!stats) return { ...base, available: false };
      return {
        ...base,
        available: true,
        cpuCores: await this.cpuRate.rate(job.id, stats.cpu.usageSeconds, () => this.jobs.liveStats(job.id).then((s) => s?.cpu.usageSeconds)),
        memoryBytes: stats.memory.currentBytes,
        memoryPeakBytes: stats.memory.peakBytes ?? 0,
        pids: stats.pids.current,
      };
    }));
    this.cpuRate.forgetExcept(new Set(running.map((j) => j.id)));
    return { jobs };
  }

  agentInfo(caller: Identity): AgentInfoResponse {
    authorize(this.roles, caller, "info");
    const p = this.policy;
    return {
      version: packageVersion(), cgroupMode: p.cgroupMode, cgroupReason: p.cgroupReason, cgroupRoot: p.cgroupRoot,
      runAsUser: p.runAsUser, defaultLimits: p.defaultLimits, maxLimits: p.maxLimits, allowRootJobs: p.allowRootJobs,
      identity: caller.name, role: caller.role ?? "",
    };
  }

  /** `buffer`: where each chunk is read (OutputSpool.read's option of that name). */
  async *getOutput(caller: Identity, request: GetOutputRequest__Output, signal?: AbortSignal, buffer?: ReadOptions["buffer"]): AsyncGenerator<OutputChunk> {
    const id = this.visibleJob(caller, "output", request.jobID);
    let offset = parseOffset(request.offset);
    for await (const chunk of this.jobs.output(id, { follow: !request.noFollow, offset, signal, buffer })) {
      yield { output: chunk, offset };
      offset += chunk.length;
    }
  }

  /** The job id if the caller may do `operation` on that job; NOT_FOUND for jobs outside its scope, so nothing leaks. */
  private visibleJob(caller: Identity, operation: Operation, wireId: Buffer): string {
    const scope = authorize(this.roles, caller, operation);
    const id = parseWireJobId(wireId);
    const record = this.jobs.status(id);
    if (scope === "own" && record.owner !== caller.name) throw new NotFoundError(`job ${id} not found`);
    return id;
  }
}
