// The WorkerService client jobctl talks through: mutual TLS 1.3 only (as the
// agent), a deadline on every unary call so a hung agent cannot hang a
// script, and errors wrapped with the server they came from.
import * as grpc from "@grpc/grpc-js";
import { X509Certificate } from "node:crypto";
import { createSecureContext, type SecureContext } from "node:tls";
import { workerservice } from "../proto/load.js";
import type { AgentInfoResponse__Output } from "../proto/generated/workerservice/AgentInfoResponse.js";
import type { GetOutputRequest } from "../proto/generated/workerservice/GetOutputRequest.js";
import type { ListResponse__Output } from "../proto/generated/workerservice/ListResponse.js";
import type { QueryStatusResponse__Output } from "../proto/generated/workerservice/QueryStatusResponse.js";
import type { StartRequest } from "../proto/generated/workerservice/StartRequest.js";
import type { StartResponse__Output } from "../proto/generated/workerservice/StartResponse.js";
import type { StopRequest } from "../proto/generated/workerservice/StopRequest.js";
import type { StopResponse__Output } from "../proto/generated/workerservice/StopResponse.js";
import type { WorkerServiceClient } from "../proto/generated/workerservice/WorkerService.js";
import type { JobctlContext, TlsFiles } from "./config.js";
import { ConfigError, toRpcError } from "./errors.js";

/** Deadline for Start, QueryStatus and List. */
export const UNARY_TIMEOUT_MS = 30_000;
/** Stop waits for the job to end, so its deadline is the grace period plus this. */
export const STOP_MARGIN_MS = 30_000;

/** The calls jobctl makes, as promises; RpcError on a non-OK status. */
export interface WorkerApi {
  readonly server: string;
  start(request: StartRequest): Promise<StartResponse__Output>;
  stop(request: StopRequest, timeoutMs: number): Promise<StopResponse__Output>;
  status(jobID: Buffer): Promise<QueryStatusResponse__Output>;
  list(): Promise<ListResponse__Output>;
  agentInfo(): Promise<AgentInfoResponse__Output>;
  /** The job's output chunks, raw bytes; no deadline (following lasts as long as the job). */
  output(request: GetOutputRequest): AsyncGenerator<Buffer>;
  close(): void;
}

type UnaryMethod<Req, Res> = (request: Req, options: grpc.CallOptions, callback: grpc.requestCallback<Res>) => grpc.ClientUnaryCall;

export function connect(context: JobctlContext, files: TlsFiles): WorkerApi {
  const secureContext = secureContextFor(context, files);
  const options: grpc.ChannelOptions = context.tlsServerName ? { "grpc.ssl_target_name_override": context.tlsServerName } : {};
  const Client = workerservice().WorkerService;
  const client: WorkerServiceClient = new Client(context.server, grpc.credentials.createFromSecureContext(secureContext), options);
  const server = context.server;

  function unary<Req, Res>(method: UnaryMethod<Req, Res>, request: Req, timeoutMs = UNARY_TIMEOUT_MS): Promise<Res> {
    return new Promise((resolve, reject) => {
      method(request, { deadline: Date.now() + timeoutMs }, (err, response) => {
        if (err) reject(toRpcError(err, server));
        else if (response === undefined) reject(new Error("the agent sent an empty response"));
        else resolve(response);
      });
    });
  }

  return {
    server,
    start: (request) => unary((req, opts, cb) => client.Start(req, opts, cb), request),
    stop: (request, timeoutMs) => unary((req, opts, cb) => client.Stop(req, opts, cb), request, timeoutMs),
    status: (jobID) => unary((req, opts, cb) => client.QueryStatus(req, opts, cb), { jobID }),
    list: () => unary((req, opts, cb) => client.List(req, opts, cb), {}),
    agentInfo: () => unary((req, opts, cb) => client.AgentInfo(req, opts, cb), {}),
    async *output(request) {
      const call = client.GetOutput(request);
      try {
        // Async iteration reads one message at a time, so a slow consumer
        // holds the stream back (HTTP/2 flow control) instead of buffering it.
        for await (const message of call as AsyncIterable<{ output: Buffer }>) yield message.output;
      } catch (err) {
        throw toRpcError(err, server);
      } finally {
        // Ends the RPC if the consumer stopped early (e.g. its reader went away).
        call.cancel();
      }
    },
    close: () => client.close(),
  };
}

/** TLS 1.3 only. Files that are not PEM, or a key that does not match its certificate, are config errors naming the fields. */
function secureContextFor(context: JobctlContext, files: TlsFiles): SecureContext {
  // createSecureContext skips a CA that does not parse, which would surface
  // later as a puzzling "self-signed certificate in certificate chain".
  try {
    new X509Certificate(files.ca);
  } catch (err) {
    throw new ConfigError(context.configPath, context.ca.field, `not a PEM certificate: ${(err as Error).message}`);
  }
  try {
    return createSecureContext({ ca: files.ca, cert: files.cert, key: files.key, minVersion: "TLSv1.3" });
  } catch (err) {
    throw new ConfigError(context.configPath, `${context.cert.field}, ${context.key.field}`, `unusable TLS files: ${(err as Error).message}`);
  }
}
