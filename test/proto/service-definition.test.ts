// proto/service-definition.ts builds the grpc-js service definitions that
// proto-loader's fromJSON would, minus reflection descriptors. These hold it
// to proto-loader's: every method's path, streaming flags and client method
// name, and the bytes and decoded objects of its serializers.
import { expect } from "chai";
import * as protoLoader from "@grpc/proto-loader";
import type * as grpc from "@grpc/grpc-js";
import protobuf from "protobufjs";
import { authserviceDescriptor, workerserviceDescriptor } from "../../proto/generated/descriptors.js";
import { LOADER_OPTIONS } from "../../proto/load.js";
import { servicesOf } from "../../proto/service-definition.js";
import { SAMPLES } from "./samples.js";

const DESCRIPTORS = { workerservice: workerserviceDescriptor, authservice: authserviceDescriptor };

function resolved(descriptor: protobuf.INamespace): protobuf.Root {
  const root = protobuf.Root.fromJSON(descriptor);
  root.resolveAll();
  return root;
}

describe("proto/service-definition", () => {
  for (const [name, descriptor] of Object.entries(DESCRIPTORS)) {
    describe(name, () => {
      const ours = servicesOf(resolved(descriptor)) as unknown as Record<string, grpc.ServiceDefinition>;
      const theirs = protoLoader.fromJSON(descriptor, LOADER_OPTIONS);
      const theirServices = Object.keys(theirs).filter((key) => !("format" in theirs[key]!));

      it("has exactly proto-loader's services, and no other entries", () => {
        expect(Object.keys(ours).sort()).to.deep.equal(theirServices.sort()).and.not.be.empty;
      });

      it("gives every method proto-loader's path, streaming flags and client method name", () => {
        for (const service of theirServices) {
          const expected = theirs[service] as protoLoader.ServiceDefinition;
          expect(Object.keys(ours[service]!), service).to.deep.equal(Object.keys(expected));
          for (const [method, definition] of Object.entries(expected)) {
            const mine = ours[service]![method]!;
            expect({ path: mine.path, requestStream: mine.requestStream, responseStream: mine.responseStream, originalName: mine.originalName }, method)
              .to.deep.equal({ path: definition.path, requestStream: definition.requestStream, responseStream: definition.responseStream, originalName: definition.originalName });
          }
        }
      });

      it("serializes and deserializes every sample message as proto-loader does, on both sides of each method", () => {
        let compared = 0;
        for (const service of theirServices) {
          for (const [method, definition] of Object.entries(theirs[service] as protoLoader.ServiceDefinition)) {
            const mine = ours[service]![method]!;
            const sides = [
              { type: definition.requestType, serialize: mine.requestSerialize, deserialize: mine.requestDeserialize, stock: definition.requestDeserialize },
              { type: definition.responseType, serialize: mine.responseSerialize, deserialize: mine.responseDeserialize, stock: definition.responseDeserialize },
            ];
            for (const side of sides) {
              const typeName = `${name}.${(side.type.type as { name: string }).name}`;
              const sample = SAMPLES[typeName];
              if (sample === undefined) continue;
              const bytes = side.type.serialize(sample);
              expect(side.serialize(sample), `${method} ${typeName}`).to.deep.equal(bytes);
              expect(side.deserialize(bytes), `${method} ${typeName}`).to.deep.equal(side.stock(bytes));
              compared++;
            }
          }
        }
        expect(compared, "methods whose messages have a sample").to.be.greaterThan(0);
      });

      it("refuses an array where a message belongs, as proto-loader's serializer does", () => {
        const [service] = theirServices;
        const [method] = Object.keys(ours[service!]!);
        expect(() => ours[service!]![method!]!.requestSerialize([] as never)).to.throw(/got array instead/);
      });
    });
  }
});
