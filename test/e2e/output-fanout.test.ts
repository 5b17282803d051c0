// 200 MiB of random binary output to 20 concurrent readers, byte-identical,
// while the agent's memory stays bounded.
import { expect } from "chai";
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { StartResponse__Output } from "../../proto/generated/workerservice/StartResponse.js";
import { startTestAgent, type TestAgent } from "../helpers/agent.js";
import { call, filesFor, workerClient } from "../helpers/client.js";
import { tempDir } from "../helpers/tmp.js";

const OUTPUT_BYTES = 200 * 1024 * 1024;
const READERS = 20;
/** The agent's peak RSS (VmHWM) must stay under this, whatever the output volume and reader count. */
const AGENT_PEAK_RSS_LIMIT_MIB = 256;

describe("output fan-out", function () {
  this.timeout(600_000);
  let agent: TestAgent;
  let source: ReturnType<typeof tempDir>;
  before(async () => {
    agent = await startTestAgent();
    source = tempDir();
    chmodSync(source.path, 0o755); // the job, under a uid of its own, reads the data from here
  });
  after(async () => {
    source.cleanup();
    await agent.stop();
    agent.cleanup();
  });

  it(`delivers ${OUTPUT_BYTES >> 20} MiB to ${READERS} concurrent readers byte-identical, agent peak RSS < ${AGENT_PEAK_RSS_LIMIT_MIB} MiB`, async () => {
    const files = filesFor(agent.pkiDir, "admin");
    // Random data made beforehand is the truth the readers are checked against; the job writes it out.
    const data = randomBytes(OUTPUT_BYTES);
    const dataPath = join(source.path, "data.bin");
    writeFileSync(dataPath, data, { mode: 0o644 });
    const expected = createHash("sha256").update(data).digest("hex");
    const started = await call<object, StartResponse__Output>(workerClient(agent.address, files), "Start", { commandName: "cat", arguments: [dataPath] });
    const began = Date.now();
    const digests = await Promise.all(
      Array.from({ length: READERS }, (_, i) => {
        // Distinct channel options give each reader its own connection.
        const client = workerClient(agent.address, files, { "jobworker.test.reader": i });
        return readDigest(client, started.jobID).finally(() => client.close());
      }),
    );
    const seconds = (Date.now() - began) / 1000;
    const peakMiB = peakRssMiB(agent.pid);
    console.log(`      fan-out: ${READERS} x ${OUTPUT_BYTES >> 20} MiB in ${seconds.toFixed(1)} s (${((READERS * OUTPUT_BYTES) / 2 ** 20 / seconds).toFixed(0)} MiB/s), agent peak RSS ${peakMiB} MiB`);
    for (const digest of digests) expect(digest).to.deep.equal({ bytes: OUTPUT_BYTES, sha256: expected });
    expect(peakMiB).to.be.lessThan(AGENT_PEAK_RSS_LIMIT_MIB);
  });
});

function readDigest(client: ReturnType<typeof workerClient>, jobID: Buffer): Promise<{ bytes: number; sha256: string }> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    let bytes = 0;
    const stream = client.GetOutput({ jobID });
    stream.on("data", (message: { output: Buffer }) => {
      hash.update(message.output);
      bytes += message.output.length;
    });
    stream.on("error", reject);
    stream.on("end", () => resolve({ bytes, sha256: hash.digest("hex") }));
  });
}

function peakRssMiB(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Math.round(Number(match![1]) / 1024);
}
