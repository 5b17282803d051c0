// The local spec service: Apply, GetSpec, ListSpecs and DeleteSpec with the
// caller's identity, authorization and input checks, over the reconciler
// (agent/specs). The gRPC adapter is a thin layer over it, as over JobService.
//
// Roles: Apply needs "start", DeleteSpec "stop", GetSpec "status", ListSpecs
// "list", each with the role's scope: "all" (admin) may change any spec
// applied through the API, "own" (user) only its own; others' specs answer
// NOT_FOUND, and a name another owner holds is ALREADY_EXISTS on Apply. File
// specs belong to system:manifests: visible to "all" roles, read-only here.
import type { ApplyRequest__Output } from "../../proto/generated/workerservice/ApplyRequest.js";
import type { ApplyResponse } from "../../proto/generated/workerservice/ApplyResponse.js";
import type { DeleteSpecResponse } from "../../proto/generated/workerservice/DeleteSpecResponse.js";
import type { ListSpecsResponse } from "../../proto/generated/workerservice/ListSpecsResponse.js";
import type { SpecStatus as WireSpecStatus } from "../../proto/generated/workerservice/SpecStatus.js";
import { authorize, type Operation, type Roles, type Scope } from "../auth/rbac.js";
import type { Identity } from "../auth/identity.js";
import { ConfigFileError } from "../config/load.js";
import { AlreadyExistsError, InvalidArgumentError, NotFoundError, ResourceExhaustedError } from "../errors.js";
import type { JobRecord } from "../jobs/record.js";
import { parseManifests } from "../specs/manifest.js";
import type { Reconciler } from "../specs/reconciler.js";
import type { JobSpec, SpecSource } from "../specs/spec.js";
import type { SpecStatus } from "../specs/spec-runner.js";
import { REQUEST_LIMITS } from "../../common/request-limits.js";
import { toSpecStatus, toStatusResponse } from "./wire.js";

/** GetSpec's recent runs. */
const RECENT_RUNS = 10;

export interface SpecLimits {
  /** Specs in all, and per owner: each wants a running job, so the job limits bound them. */
  maxSpecs: number;
  maxSpecsPerOwner: number;
}

export class SpecService {
  constructor(
    private readonly specs: Reconciler,
    private readonly jobs: () => JobRecord[],
    private roles: Roles,
    private readonly limits: SpecLimits,
  ) {}

  setRoles(roles: Roles): void {
    this.roles = roles;
  }

  async apply(caller: Identity, request: ApplyRequest__Output): Promise<ApplyResponse> {
    const scope = authorize(this.roles, caller, "start");
    const bytes = Buffer.byteLength(request.manifest);
    if (bytes > REQUEST_LIMITS.maxManifestBytes) throw new InvalidArgumentError(`the manifest is ${bytes} bytes (limit ${REQUEST_LIMITS.maxManifestBytes})`);
    const specs = parse(request.source || "the manifest", request.manifest);
    if (specs.length === 0) throw new InvalidArgumentError("the manifest holds no job spec (kind: Job)");
    const entries = specs.map((spec) => ({ spec, source: this.sourceFor(caller, scope, spec.name) }));
    this.checkCounts(entries);
    const outcomes = await this.specs.apply(entries);
    return { results: specs.map((spec, i) => ({ name: spec.name, outcome: outcomes[i]! })) };
  }

  getSpec(caller: Identity, name: string): WireSpecStatus {
    const status = this.visible(caller, "status", name);
    // This spec's own runs: not those of an earlier spec of the same name (perhaps another owner's).
    const runs = this.jobs()
      .filter((job) => job.spec?.uid === status.uid && job.owner === status.owner)
      .sort((a, b) => b.spec!.run - a.spec!.run)
      .slice(0, RECENT_RUNS);
    return toSpecStatus(status, { recentRuns: runs.map(toStatusResponse) });
  }

  listSpecs(caller: Identity): ListSpecsResponse {
    const scope = authorize(this.roles, caller, "list");
    return { specs: this.specs.list().filter((s) => scope === "all" || s.owner === caller.name).map((s) => toSpecStatus(s)) };
  }

  async deleteSpec(caller: Identity, name: string): Promise<DeleteSpecResponse> {
    this.visible(caller, "stop", name);
    return { spec: toSpecStatus(await this.specs.delete(name), { recentRuns: [] }) };
  }

  /** The source an Apply of this name runs under: the caller's for a new name; the existing one, if the caller may change it. */
  private sourceFor(caller: Identity, scope: Scope, name: string): SpecSource {
    const existing = this.specs.sourceOf(name);
    if (!existing) return { kind: "api", owner: caller.name };
    const mine = existing.kind === "api" && existing.owner === caller.name;
    if (mine || scope === "all") return existing; // a file's spec: the reconciler says which file (FAILED_PRECONDITION)
    throw new AlreadyExistsError(`a job spec named ${name} already exists, and it is not yours`);
  }

  private checkCounts(entries: { spec: JobSpec; source: SpecSource }[]): void {
    const all = this.specs.list();
    const added = entries.filter(({ spec }) => !this.specs.sourceOf(spec.name));
    if (all.length + added.length > this.limits.maxSpecs) {
      throw new ResourceExhaustedError(`the agent holds ${all.length} job specs; ${added.length} more would pass its limit of ${this.limits.maxSpecs}`);
    }
    for (const { source } of added) {
      const owner = source.kind === "api" ? source.owner : "";
      const count = all.filter((s) => s.owner === owner).length + added.filter((e) => e.source.kind === "api" && e.source.owner === owner).length;
      if (count > this.limits.maxSpecsPerOwner) throw new ResourceExhaustedError(`${owner} would hold ${count} job specs (limit ${this.limits.maxSpecsPerOwner} per owner)`);
    }
  }

  private visible(caller: Identity, operation: Operation, name: string): SpecStatus {
    const scope = authorize(this.roles, caller, operation);
    let status: SpecStatus;
    try {
      status = this.specs.status(name);
    } catch (err) {
      throw err instanceof NotFoundError ? new NotFoundError(`job spec ${name} not found`) : err;
    }
    if (scope === "own" && status.owner !== caller.name) throw new NotFoundError(`job spec ${name} not found`);
    return status;
  }
}

function parse(source: string, text: string): JobSpec[] {
  try {
    return parseManifests(source, text);
  } catch (err) {
    if (err instanceof ConfigFileError) throw new InvalidArgumentError(err.message);
    throw err;
  }
}
