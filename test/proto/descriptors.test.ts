// proto/load.ts loads the services from the JSON descriptors that `npm run gen`
// writes (scripts/gen-descriptors.mjs) instead of parsing the .proto files at
// run time. These check that the two cannot differ: the compiled descriptors
// are what the .proto files in the tree read as now (a .proto edited without a
// rebuild fails here), and protoLoader.fromJSON on them gives the package
// definition loadSync gives: the same methods, message descriptors, bytes on
// the wire and decoded shapes.
import { expect } from "chai";
import * as protoLoader from "@grpc/proto-loader";
import protobuf from "protobufjs";
import { AUTH_SERVICE_PROTO, LOADER_OPTIONS, WORKER_SERVICE_PROTO } from "../../proto/load.js";
import { authserviceDescriptor, workerserviceDescriptor } from "../../proto/generated/descriptors.js";
import { SAMPLES } from "./samples.js";

const PROTOS = [
  { file: WORKER_SERVICE_PROTO, descriptor: workerserviceDescriptor },
  { file: AUTH_SERVICE_PROTO, descriptor: authserviceDescriptor },
];

/** A definition with its functions named instead of compared (they are made anew by each load). */
function comparable(definition: protoLoader.PackageDefinition): unknown {
  return JSON.parse(JSON.stringify(definition, (_key, value: unknown) => (typeof value === "function" ? `function ${value.name}` : value)));
}

describe("proto descriptors (proto/generated/descriptors.ts)", () => {
  for (const { file, descriptor } of PROTOS) {
    describe(file.split("/").pop()!, () => {
      it("are what the .proto file reads as now", () => {
        const root = new protobuf.Root().loadSync(file);
        root.resolveAll();
        // Through JSON, as the generator writes it (toJSON leaves some keys undefined).
        expect(descriptor).to.deep.equal(JSON.parse(JSON.stringify(root.toJSON())));
      });

      it("give the package definition loadSync gives", () => {
        const fromJSON = protoLoader.fromJSON(descriptor, LOADER_OPTIONS);
        const loaded = protoLoader.loadSync(file, LOADER_OPTIONS);
        expect(comparable(fromJSON)).to.deep.equal(comparable(loaded));
      });

      it("encode and decode as loadSync's do", () => {
        const fromJSON = protoLoader.fromJSON(descriptor, LOADER_OPTIONS);
        const loaded = protoLoader.loadSync(file, LOADER_OPTIONS);
        const samples = Object.entries(SAMPLES).filter(([name]) => name in loaded);
        expect(samples).to.not.be.empty;
        for (const [name, sample] of samples) {
          const ours = fromJSON[name] as protoLoader.MessageTypeDefinition<object, object>;
          const theirs = loaded[name] as protoLoader.MessageTypeDefinition<object, object>;
          const bytes = theirs.serialize(sample);
          expect(ours.serialize(sample), name).to.deep.equal(bytes);
          expect(ours.deserialize(bytes), name).to.deep.equal(theirs.deserialize(bytes));
        }
      });
    });
  }
});
