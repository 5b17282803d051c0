// Loads the wire contract at run time for both the agent and jobctl. The
// options must match those `npm run gen` passes to proto-loader-gen-types, or
// the generated types would lie about the shape of messages.
//
// The services come from protobufjs JSON descriptors that `npm run gen`
// writes from the .proto files (scripts/gen-descriptors.mjs), resolved once,
// and made into grpc-js service definitions by proto/service-definition.ts:
// proto-loader's serializers and decoded shapes (test/proto/), without
// parsing .proto text or building reflection descriptors at every start.
// Measured on the 2-core dev machine, in fresh processes (5 each):
// workerservice() took 36-53 ms (median 49) from the .proto, 30-46 ms (median
// 38) through proto-loader's fromJSON; see service-definition.ts for now.
import * as grpc from "@grpc/grpc-js";
import { fileURLToPath } from "node:url";
import protobuf from "protobufjs";
import { DECODE_OPTIONS, servicesOf } from "./service-definition.js";
import { authserviceDescriptor, workerserviceDescriptor } from "./generated/descriptors.js";
import type { ProtoGrpcType } from "./generated/workerservice.js";
import type { ProtoGrpcType as AuthProtoGrpcType } from "./generated/authservice.js";

/** The .proto files, from the compiled module (dist/proto/load.js) back to the source tree. */
export const WORKER_SERVICE_PROTO = fileURLToPath(new URL("../../proto/workerservice.proto", import.meta.url));
export const AUTH_SERVICE_PROTO = fileURLToPath(new URL("../../proto/authservice.proto", import.meta.url));

/** proto-loader options with the same decoded shapes, for tests that compare against proto-loader. */
export const LOADER_OPTIONS = DECODE_OPTIONS;

let cached: ProtoGrpcType["workerservice"] | undefined;

export function workerservice(): ProtoGrpcType["workerservice"] {
  cached ??= (grpc.loadPackageDefinition(servicesOf(workerserviceTypes())) as unknown as ProtoGrpcType)
    .workerservice;
  return cached;
}

let cachedWorkerTypes: protobuf.Root | undefined;
let cachedAuthTypes: protobuf.Root | undefined;

/**
 * The same descriptors as protobufjs types, resolved: for the agent's work on
 * the wire below the service definitions (the strict request check, List's encoding).
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
  cachedAuth ??= (grpc.loadPackageDefinition(servicesOf(authserviceTypes())) as unknown as AuthProtoGrpcType)
    .authservice;
  return cachedAuth;
}
