// Loads the wire contract at run time for both the agent and jobctl. The
// options must match those `npm run gen` passes to proto-loader-gen-types, or
// the generated types would lie about the shape of messages.
//
// The services come from protobufjs JSON descriptors that `npm run gen`
// writes from the .proto files (scripts/gen-descriptors.mjs), through
// protoLoader.fromJSON with the same options as loadSync: the same messages,
// serializers and decoded shapes (test/proto/descriptors.test.ts), without
// parsing .proto text at every start. Measured on the 2-core dev machine, in
// fresh processes (5 each): workerservice() took 36-53 ms (median 49) from the
// .proto, 30-46 ms (median 38) from JSON. Most of what is left is
// proto-loader building the package definition (descriptors, codegen).
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { fileURLToPath } from "node:url";
import protobuf from "protobufjs";
import { authserviceDescriptor, workerserviceDescriptor } from "./generated/descriptors.js";
import type { ProtoGrpcType } from "./generated/workerservice.js";
import type { ProtoGrpcType as AuthProtoGrpcType } from "./generated/authservice.js";

/** The .proto files, from the compiled module (dist/proto/load.js) back to the source tree. */
export const WORKER_SERVICE_PROTO = fileURLToPath(new URL("../../proto/workerservice.proto", import.meta.url));
export const AUTH_SERVICE_PROTO = fileURLToPath(new URL("../../proto/authservice.proto", import.meta.url));

export const LOADER_OPTIONS: protoLoader.Options = { longs: String, enums: String, defaults: true, oneofs: true };

let cached: ProtoGrpcType["workerservice"] | undefined;

export function workerservice(): ProtoGrpcType["workerservice"] {
  cached ??= (grpc.loadPackageDefinition(protoLoader.fromJSON(workerserviceDescriptor, LOADER_OPTIONS)) as unknown as ProtoGrpcType)
    .workerservice;
  return cached;
}

let cachedWorkerTypes: protobuf.Root | undefined;
let cachedAuthTypes: protobuf.Root | undefined;

/**
 * The same descriptors as protobufjs types, resolved: for the agent's work on
 * the wire below proto-loader (the strict request check, List's encoding).
 */
export function workerserviceTypes(): protobuf.Root {
  cachedWorkerTypes ??= resolvedRoot(workerserviceDescriptor);
  return cachedWorkerTypes;
}

export function authserviceTypes(): protobuf.Root {
  cachedAuthTypes ??= resolvedRoot(authserviceDescriptor);
  return cachedAuthTypes;
}

function resolvedRoot(descriptor: protobuf.INamespace): protobuf.Root {
  const root = protobuf.Root.fromJSON(descriptor);
  root.resolveAll();
  return root;
}

let cachedAuth: AuthProtoGrpcType["authservice"] | undefined;

export function authservice(): AuthProtoGrpcType["authservice"] {
  cachedAuth ??= (grpc.loadPackageDefinition(protoLoader.fromJSON(authserviceDescriptor, LOADER_OPTIONS)) as unknown as AuthProtoGrpcType)
    .authservice;
  return cachedAuth;
}
