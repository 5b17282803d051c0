// Whose jobs a caller may reach through the local job service
// (agent/api/job-service.ts): a "user" only its own, another's answering as a
// job that does not exist, so that nothing about it leaks; "admin" and
// "readonly" every job, readonly without stopping any. Real jobs, on a real
// JobManager in a temporary state directory.
import { expect } from "chai";
import { randomUUID } from "node:crypto";
import { JobService, type ServicePolicy } from "../../../agent/api/job-service.js";
import { BUILTIN_ROLES } from "../../../agent/auth/rbac.js";
import { NotFoundError, PermissionDeniedError } from "../../../agent/errors.js";
import { jobIdToBytes } from "../../../agent/jobs/ids.js";
import { JobManager } from "../../../agent/jobs/manager.js";
import { NO_LIMITS } from "../../../agent/jobs/record.js";
import { workerservice } from "../../../proto/load.js";
import type { StartRequest__Output } from "../../../proto/generated/workerservice/StartRequest.js";
import { tempDir } from "../../helpers/tmp.js";

const admin = { name: "admin", role: "admin" };
const alice = { name: "alice", role: "user" };
const bob = { name: "bob", role: "user" };
const viewer = { name: "viewer", role: "readonly" };

const POLICY: ServicePolicy = {
  defaultLimits: NO_LIMITS, maxLimits: NO_LIMITS, allowRootJobs: false, cgroupMode: "unavailable", cgroupReason: "test", cgroupRoot: "", runAsUser: "",
};

const start = (commandName: string, args: string[], runAsRoot = false): StartRequest__Output => ({ commandName, arguments: args, limits: null, runAsRoot });
/** A request naming the job, of the shape every job RPC's request has (QueryStatus, Stop, GetOutput from byte 0, without following). */
const about = (jobID: Buffer) => ({ jobID, offset: "0", noFollow: true });

/** The error `action` rejects with; fails the test if it succeeds. */
async function rejection(action: () => unknown): Promise<Error> {
  try {
    await action();
  } catch (err) {
    return err as Error;
  }
  throw new Error("allowed");
}

describe("JobService: whose jobs a caller reaches", () => {
  let dir: ReturnType<typeof tempDir>;
  let jobs: JobManager;
  let service: JobService;
  let alicesJob: Buffer;
  let alicesId: string;

  before(async () => {
    dir = tempDir();
    jobs = await JobManager.open({ stateDir: dir.path, defaultGracePeriodMs: 1000, outputCapBytes: 1 << 20, maxConcurrentJobs: 10, retention: { maxFinishedJobs: 100, maxAgeMs: 3600_000 } });
    service = new JobService(jobs, BUILTIN_ROLES, POLICY);
    const started = await service.start(alice, start("echo", ["alice's output"]));
    alicesJob = Buffer.from(started.jobID!);
    alicesId = started.id!;
    await jobs.wait(alicesId);
  });
  after(async () => {
    await jobs.shutdown(0);
    dir.cleanup();
  });

  /** The owners of the jobs in the caller's List. */
  const listed = (caller: typeof alice) => {
    const page = service.list(caller, { pageSize: 0, pageToken: "" });
    const decoded = workerservice().WorkerService.service.List.responseDeserialize(page.bytes) as { jobs: { owner: string }[] };
    return decoded.jobs.map((job) => job.owner);
  };

  it("lets a user query, stream and list its own job", async () => {
    expect(service.queryStatus(alice, about(alicesJob)).owner).to.equal("alice");
    const output: Buffer[] = [];
    for await (const chunk of service.getOutput(alice, about(alicesJob))) output.push(chunk.output);
    expect(Buffer.concat(output).toString()).to.equal("alice's output\n");
    expect(listed(alice)).to.deep.equal(["alice"]);
  });

  it("answers another user's job as one that does not exist (query, stop, stream), and leaves it out of its list", async () => {
    const unknownId = randomUUID();
    const notFound = await rejection(() => service.queryStatus(bob, about(jobIdToBytes(unknownId))));
    expect(notFound).to.be.instanceOf(NotFoundError);
    expect(notFound.message).to.equal(`job ${unknownId} not found`);
    for (const attempt of [
      () => service.queryStatus(bob, about(alicesJob)),
      () => service.stop(bob, about(alicesJob)),
      () => service.getOutput(bob, about(alicesJob)).next(),
    ]) {
      const err = await rejection(attempt);
      expect(err).to.be.instanceOf(NotFoundError);
      expect(err.message).to.equal(`job ${alicesId} not found`); // word for word what a job that does not exist answers
    }
    expect(listed(bob)).to.deep.equal([]);
  });

  it("lets admin and readonly reach every job, and readonly stop none", async () => {
    expect(service.queryStatus(admin, about(alicesJob)).owner).to.equal("alice");
    expect(service.queryStatus(viewer, about(alicesJob)).owner).to.equal("alice");
    expect(listed(admin)).to.deep.equal(["alice"]);
    expect(listed(viewer)).to.deep.equal(["alice"]);
    expect(await rejection(() => service.stop(viewer, about(alicesJob)))).to.be.instanceOf(PermissionDeniedError);
    expect((await service.stop(admin, about(alicesJob))).status?.owner).to.equal("alice"); // ended already: not an error
  });

  it("refuses readonly a start, and a user a start as root", async () => {
    expect(await rejection(() => service.start(viewer, start("true", [])))).to.be.instanceOf(PermissionDeniedError);
    expect(await rejection(() => service.start(alice, start("true", [], true)))).to.be.instanceOf(PermissionDeniedError);
  });
});
