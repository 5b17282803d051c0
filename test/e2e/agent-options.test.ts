// Agent switches that change what jobs may do: best-effort limits without
// cgroup v2, and root jobs for admins.
import { expect } from "chai";
import * as grpc from "@grpc/grpc-js";
import type { AgentInfoResponse__Output } from "../../proto/generated/workerservice/AgentInfoResponse.js";
import type { QueryStatusResponse__Output } from "../../proto/generated/workerservice/QueryStatusResponse.js";
import type { StartResponse__Output } from "../../proto/generated/workerservice/StartResponse.js";
import { startTestAgent, type TestAgent } from "../helpers/agent.js";
import { call, filesFor, readOutput, workerClient } from "../helpers/client.js";

describe("agent switches: --best-effort-limits, --allow-root-jobs, --run-as", () => {
  let agent: TestAgent;
  let admin: ReturnType<typeof workerClient>;
  let alice: ReturnType<typeof workerClient>;
  before(async () => {
    agent = await startTestAgent({ args: ["--best-effort-limits", "--allow-root-jobs"] });
    admin = workerClient(agent.address, filesFor(agent.pkiDir, "admin"));
    alice = workerClient(agent.address, filesFor(agent.pkiDir, "alice"));
  });
  after(async () => {
    admin.close();
    alice.close();
    await agent.stop();
    agent.cleanup();
  });

  it("without cgroup v2, runs a job that asks for limits and says they are not enforced", async function () {
    const info = await call<object, AgentInfoResponse__Output>(admin, "AgentInfo", {});
    if (info.cgroupMode === "v2") this.skip();
    const { jobID } = await call<object, StartResponse__Output>(alice, "Start", { commandName: "echo", arguments: ["ran"], limits: { memoryBytes: 1 << 28 } });
    expect((await readOutput(alice, { jobID })).toString()).to.equal("ran\n");
    const status = await call<object, QueryStatusResponse__Output>(alice, "QueryStatus", { jobID });
    expect(status.message).to.match(/resource limits cannot be enforced: .* limits are best-effort/);
    expect(status.limits!.memoryBytes).to.equal(String(1 << 28));
  });

  it("lets an admin run a job as root, and still nobody else", async function () {
    if (process.getuid?.() !== 0) this.skip();
    const { jobID } = await call<object, StartResponse__Output>(admin, "Start", { commandName: "id", arguments: ["-u"], runAsRoot: true });
    expect((await readOutput(admin, { jobID })).toString()).to.equal("0\n");
    const refused = await call(alice, "Start", { commandName: "id", runAsRoot: true }).then(() => undefined, (e: grpc.ServiceError) => e);
    expect(refused?.code).to.equal(grpc.status.PERMISSION_DENIED);
  });

  it("with --run-as nobody, every job runs as that one user instead of a uid of its own", async function () {
    if (process.getuid?.() !== 0) this.skip();
    const shared = await startTestAgent({ args: ["--run-as", "nobody"] });
    try {
      const client = workerClient(shared.address, filesFor(shared.pkiDir, "alice"));
      const ids = await Promise.all([0, 1].map(async () => {
        const { jobID } = await call<object, StartResponse__Output>(client, "Start", { commandName: "sh", arguments: ["-c", "id -u; id -g"] });
        return (await readOutput(client, { jobID })).toString();
      }));
      expect(ids).to.deep.equal(["65534\n65534\n", "65534\n65534\n"]);
      expect((await call<object, AgentInfoResponse__Output>(client, "AgentInfo", {})).runAsUser).to.equal("nobody (65534:65534)");
      client.close();
    } finally {
      await shared.stop();
      shared.cleanup();
    }
  });
});
