// Wire compatibility with seed 000: its every message field and RPC exists in
// our contract with the same number, type and label; and a client built only
// from seed 000's proto works against a real agent (see agent.test.ts).
import { expect } from "chai";
import * as protoLoader from "@grpc/proto-loader";
import { fileURLToPath } from "node:url";
import { WORKER_SERVICE_PROTO } from "../../proto/load.js";

export const SEED_000_PROTO = fileURLToPath(new URL("../../../test/fixtures/seed-000-workerservice.proto", import.meta.url));

interface FieldShape { name: string; number: number; type: string; label: string; typeName: string }

function messages(protoPath: string): Map<string, FieldShape[]> {
  const definition = protoLoader.loadSync(protoPath, { keepCase: true });
  const result = new Map<string, FieldShape[]>();
  for (const [name, value] of Object.entries(definition)) {
    const descriptor = (value as { type?: { field?: FieldShape[] } }).type;
    if (descriptor?.field) result.set(name, descriptor.field.map(({ name, number, type, label, typeName }) => ({ name, number, type, label, typeName })));
  }
  return result;
}

describe("wire contract vs seed 000", () => {
  it("keeps every seed message field with the same name, number, type and label", () => {
    const seed = messages(SEED_000_PROTO);
    const ours = messages(WORKER_SERVICE_PROTO);
    expect(seed.size).to.be.greaterThan(5);
    for (const [message, fields] of seed) {
      expect(ours.has(message), message).to.equal(true);
      for (const field of fields) expect(ours.get(message), `${message}.${field.name}`).to.deep.include(field);
    }
  });

  it("keeps every seed RPC with the same request, response and streaming", () => {
    const pick = (path: string) => {
      const service = protoLoader.loadSync(path)["workerservice.WorkerService"] as Record<string, { path: string; requestStream: boolean; responseStream: boolean; requestType: { type: { name: string } }; responseType: { type: { name: string } } }>;
      return Object.fromEntries(
        Object.values(service).map((m) => [m.path, [m.requestStream, m.responseStream, m.requestType.type.name, m.responseType.type.name]]),
      );
    };
    const ours = pick(WORKER_SERVICE_PROTO);
    for (const [path, shape] of Object.entries(pick(SEED_000_PROTO))) expect(ours[path], path).to.deep.equal(shape);
  });

  it("keeps the seed's JobStatus values", () => {
    const values = (path: string) =>
      (protoLoader.loadSync(path)["workerservice.JobStatus"] as { type: { value: { name: string; number: number }[] } }).type.value.map(
        ({ name, number }) => ({ name, number }),
      );
    expect(values(WORKER_SERVICE_PROTO)).to.deep.include.members(values(SEED_000_PROTO));
  });
});
