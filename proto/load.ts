// Loads the wire contract at run time for both the agent and jobctl. The
// options must match those `npm run gen` passes to proto-loader-gen-types, or
// the generated types would lie about the shape of messages.
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { fileURLToPath } from "node:url";
import type { ProtoGrpcType } from "./generated/workerservice.js";
import type { ProtoGrpcType as AuthProtoGrpcType } from "./generated/authservice.js";

/** The .proto files, from the compiled module (dist/proto/load.js) back to the source tree. */
export const WORKER_SERVICE_PROTO = fileURLToPath(new URL("../../proto/workerservice.proto", import.meta.url));
export const AUTH_SERVICE_PROTO = fileURLToPath(new URL("../../proto/authservice.proto", import.meta.url));

export const LOADER_OPTIONS: protoLoader.Options = { longs: String, enums: String, defaults: true, oneofs: true };

let cached: ProtoGrpcType["workerservice"] | undefined;

export function workerservice(): ProtoGrpcType["workerservice"] {
  cached ??= (grpc.loadPackageDefinition(protoLoader.loadSync(WORKER_SERVICE_PROTO, LOADER_OPTIONS)) as unknown as ProtoGrpcType)
    .workerservice;
  return cached;
}

let cachedAuth: AuthProtoGrpcType["authservice"] | undefined;

export function authservice(): AuthProtoGrpcType["authservice"] {
  cachedAuth ??= (grpc.loadPackageDefinition(protoLoader.loadSync(AUTH_SERVICE_PROTO, LOADER_OPTIONS)) as unknown as AuthProtoGrpcType)
    .authservice;
  return cachedAuth;
}
