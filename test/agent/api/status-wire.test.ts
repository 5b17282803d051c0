// List's wire encoding (agent/api/status-wire.ts) against the stock serializers:
// byte for byte, and decoded by a client built from seed 000's proto.
import { expect } from "chai";
import * as protoLoader from "@grpc/proto-loader";
import * as grpc from "@grpc/grpc-js";
import { fileURLToPath } from "node:url";
import { toStatusResponse } from "../../../agent/api/wire.js";
import { encodeListResponse, encodeStatus, listEntrySize } from "../../../agent/api/status-wire.js";
import { newJobId } from "../../../agent/jobs/ids.js";
import { NO_LIMITS, type JobRecord } from "../../../agent/jobs/record.js";
import { workerservice } from "../../../proto/load.js";

const SEED_000_PROTO = fileURLToPath(new URL("../../../../test/fixtures/seed-000-workerservice.proto", import.meta.url));

const base: JobRecord = {
  id: newJobId(), owner: "alice", command: "/bin/sh", args: ["-c", "echo ünïcødé ✓", ""], state: "RUNNING", exitCode: null, signal: null,
  startTime: "2026-12-02T10:11:12.345Z", gracePeriodMs: 10_000, limits: NO_LIMITS, outputBytes: 0, outputDroppedBytes: 0,
};
const records: Record<string, JobRecord> = {
  running: { ...base, pid: 4242, uid: 70001, gid: 70001 },
  "started, nothing optional": { ...base, state: "STARTED" },
  "exited with usage and limits": {
    ...base, state: "EXITED", reason: "Completed", exitCode: 0, endTime: "2026-12-02T10:12:00.001Z", outputBytes: 2 ** 40 + 7, outputDroppedBytes: 3,
    limits: { cpuCores: 1.5, memoryBytes: 2 ** 33, ioReadBps: 1e6, ioWriteBps: 2e6, ioReadIops: 100, ioWriteIops: 200, pids: 64 },
    usage: { cpuSeconds: 12.25, cpuUserSeconds: 10, cpuSystemSeconds: 2.25, memoryPeakBytes: 2 ** 32 + 1, ioReadBytes: 5, ioWriteBytes: 6, oomKills: 1 },
  },
  "stopped by a signal": { ...base, state: "STOPPED", reason: "Stopped", message: "stopped by alice", signal: "SIGTERM", endTime: "2026-12-02T10:13:00.000Z" },
  "failed to start": { ...base, state: "FAILED", reason: "FailedToStart", exitCode: -1, message: "exec x: No such file", startFailure: { step: "exec", errnoName: "ENOENT" }, endTime: base.startTime },
};

describe("List's wire encoding (status-wire)", () => {
  const stock = workerservice().WorkerService.service;

  for (const [name, record] of Object.entries(records)) {
    it(`encodes a job's status exactly as the stock serializer does: ${name}`, () => {
      const status = toStatusResponse(record);
      expect(encodeStatus(status).equals(stock.QueryStatus.responseSerialize(status))).to.equal(true);
    });
  }

  it("a record that does not fit the message's types (hand-edited: a null argument, a number past 2^64, an unknown state) is encoded as the stock serializer coerces it", () => {
    const odd = [
      { ...base, args: [null as unknown as string, "x"] },
      { ...base, outputBytes: 2 ** 70 },
      { ...base, outputBytes: Infinity },
      { ...base, state: "constructor" as JobRecord["state"] },
      { ...base, limits: { ...NO_LIMITS, memoryBytes: 2 ** 64 } },
    ];
    for (const record of odd) {
      const status = toStatusResponse(record);
      expect(encodeStatus(status).equals(stock.QueryStatus.responseSerialize(status)), JSON.stringify(record.args) + record.outputBytes + record.state).to.equal(true);
    }
  });

  it("puts a page together exactly as the stock serializer does, with and without a page token, and sizes each entry as it adds", () => {
    const statuses = Object.values(records).map(toStatusResponse);
    const encoded = statuses.map(encodeStatus);
    for (const token of ["", "next-page-token"]) {
      expect(encodeListResponse(encoded, token).equals(stock.List.responseSerialize({ jobs: statuses, nextPageToken: token }))).to.equal(true);
    }
    expect(encodeListResponse([], "").equals(stock.List.responseSerialize({ jobs: [], nextPageToken: "" }))).to.equal(true);
    const entries = encoded.map(listEntrySize).reduce((a, b) => a + b, 0);
    expect(encodeListResponse(encoded, "").length).to.equal(entries + 2); // + the empty token's tag and length
    // A long entry needs a multi-byte length.
    const big = encodeStatus(toStatusResponse({ ...base, args: ["x".repeat(300_000)] }));
    expect(listEntrySize(big)).to.equal(stock.List.responseSerialize({ jobs: [toStatusResponse({ ...base, args: ["x".repeat(300_000)] })] }).length);
  });

  it("each job's bytes are what a seed 000 client decodes as a QueryStatusResponse (seed 000 has no List)", () => {
    const definition = protoLoader.loadSync(SEED_000_PROTO, { enums: String });
    const seed = grpc.loadPackageDefinition(definition) as unknown as { workerservice: { WorkerService: { service: grpc.ServiceDefinition } } };
    const decode = seed.workerservice.WorkerService.service.QueryStatus.responseDeserialize;
    const seedStates = (definition["workerservice.JobStatus"] as { type: { value: { name: string }[] } }).type.value.map((v) => v.name);
    for (const record of Object.values(records)) {
      const decoded = decode(encodeStatus(toStatusResponse(record))) as { commandName: string; arguments: string[]; JobStatus: string | number; exitCode: number };
      expect(decoded).to.include({ commandName: record.command, exitCode: record.exitCode ?? -1 });
      // A state added after seed 000 (FAILED) reaches its clients as the enum's number, as proto3 says.
      if (seedStates.includes(record.state)) expect(decoded.JobStatus).to.equal(record.state);
      else expect(decoded.JobStatus).to.be.a("number");
      expect(decoded.arguments).to.deep.equal(record.args);
    }
  });
});
