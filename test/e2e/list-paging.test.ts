// List in pages over real mutual TLS: 1,100 jobs with 256 KiB of arguments
// each (275 MiB in all) come back to a client with gRPC's default 4 MiB
// receive limit, every one exactly once, in the documented order, and a
// user's pages hold only that user's jobs. The records are written into the
// state directory before the agent starts (it recovers them), not run.
import { expect } from "chai";
import * as grpc from "@grpc/grpc-js";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ListResponse__Output } from "../../proto/generated/workerservice/ListResponse.js";
import type { StartResponse__Output } from "../../proto/generated/workerservice/StartResponse.js";
import type { WorkerServiceClient } from "../../proto/generated/workerservice/WorkerService.js";
import { startTestAgent, type TestAgent } from "../helpers/agent.js";
import { call, filesFor, workerClient } from "../helpers/client.js";
import { inListOrder, seedFinishedJobs, type SeededJob } from "../helpers/records.js";

const RECEIVE_LIMIT = 4 * 1024 * 1024;
const JOBS = 1100;
const ARG_BYTES = 256 * 1024;

describe("List in pages (mTLS on loopback, 1,100 jobs of 256 KiB arguments)", function () {
  let agent: TestAgent;
  let seeded: SeededJob[];
  const clients: Record<string, WorkerServiceClient> = {};

  before(async function () {
    this.timeout(180_000);
    const stateDir = mkdtempSync(join(tmpdir(), "jobagent-test-"));
    seeded = seedFinishedJobs(stateDir, JOBS, ["alice", "bob"], ARG_BYTES);
    // Keep all of them: the default retention (1000, half per owner) would forget some at start.
    writeFileSync(join(stateDir, "agent.yaml"), "apiVersion: jobworker/v1\nkind: AgentConfig\njobs:\n  retention: {maxFinishedJobs: 5000, maxFinishedJobsPerOwner: 5000}\n");
    agent = await startTestAgent({ stateDir, args: ["--config", join(stateDir, "agent.yaml")] });
    for (const name of ["admin", "alice"]) {
      clients[name] = workerClient(agent.address, filesFor(agent.pkiDir, name), { "grpc.max_receive_message_length": RECEIVE_LIMIT });
    }
  });
  after(async () => {
    for (const client of Object.values(clients)) client.close();
    await agent.stop();
    agent.cleanup();
  });

  const list = (who: string, request: { pageSize?: number; pageToken?: string } = {}) => call<object, ListResponse__Output>(clients[who], "List", request);

  /** Every page from the first; the ids in the order they came. */
  async function allPages(who: string, pageSize = 0): Promise<{ ids: string[]; pages: ListResponse__Output[] }> {
    const pages: ListResponse__Output[] = [];
    let pageToken = "";
    do {
      const page = await list(who, { pageSize, pageToken });
      pages.push(page);
      pageToken = page.nextPageToken;
    } while (pageToken !== "" && pages.length <= JOBS);
    return { ids: pages.flatMap((page) => page.jobs.map((job) => job.id)), pages };
  }

  it("an empty ListRequest (an older client) gets a first page under 4 MiB and a token for the rest", async () => {
    const page = await list("admin");
    expect(page.jobs.length).to.be.within(1, JOBS - 1);
    expect(page.nextPageToken).to.not.equal("");
    expect(page.jobs[0].arguments.join("").length).to.equal(ARG_BYTES); // arguments whole, not truncated
  });

  it("returns every job exactly once across pages, oldest first, each page under the receive limit", async function () {
    this.timeout(180_000);
    const { ids, pages } = await allPages("admin");
    expect(new Set(ids).size).to.equal(ids.length); // none twice
    expect(ids).to.deep.equal(inListOrder(seeded).map((job) => job.id)); // none lost, in order
    expect(pages.length).to.be.greaterThan(JOBS * ARG_BYTES / RECEIVE_LIMIT);
  });

  it("a user's pages hold all of that user's jobs and nobody else's", async function () {
    this.timeout(180_000);
    const { ids, pages } = await allPages("alice", 200);
    expect(pages.every((page) => page.jobs.every((job) => job.owner === "alice"))).to.equal(true);
    expect(ids).to.deep.equal(inListOrder(seeded.filter((job) => job.owner === "alice")).map((job) => job.id));
  });

  it("pageSize bounds a page by count; a job started between pages comes on a later one", async () => {
    const first = await list("admin", { pageSize: 3 });
    expect(first.jobs.map((job) => job.id)).to.deep.equal(inListOrder(seeded).slice(0, 3).map((job) => job.id));
    const started = await call<object, StartResponse__Output>(clients.admin, "Start", { commandName: "true", arguments: [] });
    let pageToken = first.nextPageToken;
    const later: string[] = [];
    while (pageToken !== "") {
      const page = await list("admin", { pageSize: 500, pageToken });
      later.push(...page.jobs.map((job) => job.id));
      pageToken = page.nextPageToken;
    }
    expect(later).to.have.length(JOBS - 3 + 1);
    expect(later.at(-1)).to.equal(started.id); // the newest, last
  });

  it("a malformed page token is INVALID_ARGUMENT", async () => {
    for (const pageToken of ["garbage!", Buffer.from("v1 yesterday 42").toString("base64url"), "dg"]) {
      const err = await list("admin", { pageToken }).then(() => undefined, (e: grpc.ServiceError) => e);
      expect(err?.code, pageToken).to.equal(grpc.status.INVALID_ARGUMENT);
      expect(err?.details).to.match(/pageToken is malformed/);
    }
  });
});
