import { expect } from "chai";
import type { WorkerApi } from "../../ctl/client.js";
import { STOP_MARGIN_MS } from "../../ctl/deadlines.js";
import { stopJob } from "../../ctl/stop-job.js";
import { REQUEST_LIMITS } from "../../common/request-limits.js";
import type { QueryStatusResponse__Output } from "../../proto/generated/workerservice/QueryStatusResponse.js";
import type { StopRequest } from "../../proto/generated/workerservice/StopRequest.js";

/** A WorkerApi whose status answers with `gracePeriodMs` (or fails), recording the Stop calls. */
function fakeApi(status: () => Promise<Partial<QueryStatusResponse__Output>>) {
  const stops: { request: StopRequest; timeoutMs: number }[] = [];
  let statusCalls = 0;
  const api = {
    server: "agent:1",
    status: async () => {
      statusCalls++;
      return status();
    },
    stop: async (request: StopRequest, timeoutMs: number) => {
      stops.push({ request, timeoutMs });
      return { status: null };
    },
  } as unknown as WorkerApi;
  return { api, stops, statusCalls: () => statusCalls };
}

describe("stopJob", () => {
  const jobID = Buffer.from("0b5c6a8e-6f3e-4d7a-9c1b-2e4f5a6b7c8d");

  it("without a grace period: the job's own, plus the margin, is the deadline; none is sent", async () => {
    const fake = fakeApi(async () => ({ gracePeriodMs: "7000" }));
    await stopJob(fake.api, jobID);
    expect(fake.stops).to.deep.equal([{ request: { jobID }, timeoutMs: 7000 + STOP_MARGIN_MS }]);
  });

  it("with one: it is sent and sizes the deadline, without asking for the job's", async () => {
    const fake = fakeApi(async () => ({ gracePeriodMs: "7000" }));
    await stopJob(fake.api, jobID, 0);
    expect(fake.stops).to.deep.equal([{ request: { jobID, gracePeriodMs: 0 }, timeoutMs: STOP_MARGIN_MS }]);
    expect(fake.statusCalls()).to.equal(0);
  });

  it("when the job's cannot be read (a role that may stop but not query): the longest the agent allows", async () => {
    const fake = fakeApi(() => Promise.reject(new Error("PERMISSION_DENIED")));
    await stopJob(fake.api, jobID);
    expect(fake.stops[0]!.timeoutMs).to.equal(REQUEST_LIMITS.maxGracePeriodMs + STOP_MARGIN_MS);
  });

  it("when the agent's answer is not a number: the longest", async () => {
    const fake = fakeApi(async () => ({ gracePeriodMs: "many" }));
    await stopJob(fake.api, jobID);
    expect(fake.stops[0]!.timeoutMs).to.equal(REQUEST_LIMITS.maxGracePeriodMs + STOP_MARGIN_MS);
  });
});
