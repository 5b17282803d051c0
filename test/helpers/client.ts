// A WorkerService client for tests, over mutual TLS 1.3 with a client from a PKI directory.
import * as grpc from "@grpc/grpc-js";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createSecureContext } from "node:tls";
import { authservice, workerservice } from "../../proto/load.js";
import type { WorkerServiceClient } from "../../proto/generated/workerservice/WorkerService.js";

export interface ClientFiles {
  ca: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

export function filesFor(pkiDir: string, name?: string): ClientFiles {
  const ca = readFileSync(join(pkiDir, "ca.crt"));
  if (!name) return { ca };
  return { ca, cert: readFileSync(join(pkiDir, "clients", `${name}.crt`)), key: readFileSync(join(pkiDir, "clients", `${name}.key`)) };
}

/** Clients with different `channelOptions` get separate connections. */
export function workerClient(address: string, files: ClientFiles, channelOptions: grpc.ChannelOptions = {}): WorkerServiceClient {
  const context = createSecureContext({ ca: files.ca, cert: files.cert, key: files.key, minVersion: "TLSv1.3" });
  const credentials = grpc.credentials.createFromSecureContext(context);
  const Client = workerservice().WorkerService;
  return new Client(address, credentials, { "grpc.ssl_target_name_override": "localhost", ...channelOptions });
}

/** Calls a unary method and resolves with its response, or rejects with the ServiceError. */
export function call<Req, Res>(
  client: WorkerServiceClient,
  method: "Start" | "Stop" | "QueryStatus" | "List" | "AgentInfo" | "Apply" | "GetSpec" | "ListSpecs" | "DeleteSpec",
  request: Req,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    const fn = (client as unknown as Record<string, (req: Req, cb: (err: grpc.ServiceError | null, res: Res) => void) => void>)[method];
    fn.call(client, request, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

/** Reads a GetOutput stream to its end; resolves with the bytes, rejects with the ServiceError. */
export function readOutput(client: WorkerServiceClient, request: { jobID: Buffer | string; noFollow?: boolean; offset?: number }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    const stream = client.GetOutput({ ...request, jobID: Buffer.from(request.jobID) });
    stream.on("data", (message: { output: Buffer }) => parts.push(message.output));
    stream.on("error", reject);
    stream.on("end", () => resolve(Buffer.concat(parts)));
  });
}

export interface LoginResult {
  token: string;
  role: string;
  expiresAt: { seconds: string };
}

/** AuthService.Login over mutual TLS with the given client files (and optional authorization metadata). */
export function login(address: string, files: ClientFiles, username: string, password: string, authorization?: string): Promise<LoginResult> {
  const context = createSecureContext({ ca: files.ca, cert: files.cert, key: files.key, minVersion: "TLSv1.3" });
  const client = new (authservice().AuthService)(address, grpc.credentials.createFromSecureContext(context), { "grpc.ssl_target_name_override": "localhost" });
  const metadata = new grpc.Metadata();
  if (authorization) metadata.set("authorization", authorization);
  return new Promise((resolve, reject) =>
    client.Login({ username, password }, metadata, (err, res) => {
      client.close();
      if (err) reject(err);
      else resolve(res as unknown as LoginResult);
    }),
  );
}
