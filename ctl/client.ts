// The clients jobctl talks through (WorkerService, and AuthService for
// login): mutual TLS 1.3 only (as the agent), the context's login token on
// every call, a deadline on every unary call so a hung agent cannot hang a
// script, and errors wrapped with the server they came from. Verbs load this
// module (and with it grpc-js and the wire contract) only when they connect:
// commands/shared.ts's connectTo.
import * as grpc from "@grpc/grpc-js";
import { X509Certificate } from "node:crypto";
import { createSecureContext, type SecureContext } from "node:tls";
import { authservice, workerservice } from "../proto/load.js";
import type { AuthServiceClient } from "../proto/generated/authservice/AuthService.js";
import type { LoginResponse__Output } from "../proto/generated/authservice/LoginResponse.js";
import type { AgentInfoResponse__Output } from "../proto/generated/workerservice/AgentInfoResponse.js";
import type { GetOutputRequest } from "../proto/generated/workerservice/GetOutputRequest.js";
import type { ListRequest } from "../proto/generated/workerservice/ListRequest.js";
import type { ListResponse__Output } from "../proto/generated/workerservice/ListResponse.js";
import type { QueryStatusResponse__Output } from "../proto/generated/workerservice/QueryStatusResponse.js";
import type { StartRequest } from "../proto/generated/workerservice/StartRequest.js";
import type { StartResponse__Output } from "../proto/generated/workerservice/StartResponse.js";
import type { StopRequest } from "../proto/generated/workerservice/StopRequest.js";
import type { StopResponse__Output } from "../proto/generated/workerservice/StopResponse.js";
import type { TopResponse__Output } from "../proto/generated/workerservice/TopResponse.js";
import type { WorkerServiceClient } from "../proto/generated/workerservice/WorkerService.js";
import type { ApplyResponse__Output } from "../proto/generated/workerservice/ApplyResponse.js";
import type { DeleteSpecResponse__Output } from "../proto/generated/workerservice/DeleteSpecResponse.js";
import type { ListSpecsResponse__Output } from "../proto/generated/workerservice/ListSpecsResponse.js";
import type { SpecStatus__Output } from "../proto/generated/workerservice/SpecStatus.js";
import type { JobctlContext, TlsFiles } from "./config.js";
import { UNARY_TIMEOUT_MS } from "./deadlines.js";
import { ConfigError, toRpcError } from "./errors.js";

/** The calls jobctl makes, as promises; RpcError on a non-OK status. */
export interface WorkerApi {
  readonly server: string;
  start(request: StartRequest): Promise<StartResponse__Output>;
  stop(request: StopRequest, timeoutMs: number): Promise<StopResponse__Output>;
  status(jobID: Buffer): Promise<QueryStatusResponse__Output>;
  /** One page (list-pages.ts fetches them all). */
  list(request: ListRequest): Promise<ListResponse__Output>;
  agentInfo(): Promise<AgentInfoResponse__Output>;
  top(): Promise<TopResponse__Output>;
  /** Job specs: source names the manifest (a file) in the agent's error messages. */
  apply(manifest: string, source: string): Promise<ApplyResponse__Output>;
  getSpec(name: string): Promise<SpecStatus__Output>;
  listSpecs(): Promise<ListSpecsResponse__Output>;
  /** Resolves once the spec's run has stopped: timeoutMs must cover its grace period. */
  deleteSpec(name: string, timeoutMs: number): Promise<DeleteSpecResponse__Output>;
  /**
   * The job's output chunks, raw bytes; no deadline (following lasts as long
   * as the job). Aborting `signal` cancels the stream: the iteration then ends
   * quietly instead of failing with CANCELLED.
   */
  output(request: GetOutputRequest, signal?: AbortSignal): AsyncGenerator<Buffer>;
  close(): void;
}

type UnaryMethod<Req, Res> = (request: Req, options: grpc.CallOptions, callback: grpc.requestCallback<Res>) => grpc.ClientUnaryCall;

export function connect(context: JobctlContext, files: TlsFiles): WorkerApi {
  const Client = workerservice().WorkerService;
  const client: WorkerServiceClient = new Client(context.server, credentialsFor(context, files, context.token), channelOptions(context));
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
    list: (request) => unary((req, opts, cb) => client.List(req, opts, cb), request),
    agentInfo: () => unary((req, opts, cb) => client.AgentInfo(req, opts, cb), {}),
    top: () => unary((req, opts, cb) => client.Top(req, opts, cb), {}),
    apply: (manifest, source) => unary((req, opts, cb) => client.Apply(req, opts, cb), { manifest, source }),
    getSpec: (name) => unary((req, opts, cb) => client.GetSpec(req, opts, cb), { name }),
    listSpecs: () => unary((req, opts, cb) => client.ListSpecs(req, opts, cb), {}),
    deleteSpec: (name, timeoutMs) => unary((req, opts, cb) => client.DeleteSpec(req, opts, cb), { name }, timeoutMs),
    async *output(request, signal) {
      const call = client.GetOutput(request);
      const cancel = () => call.cancel();
      signal?.addEventListener("abort", cancel, { once: true });
      try {
        // Async iteration reads one message at a time, so a slow consumer
        // holds the stream back (HTTP/2 flow control) instead of buffering it.
        for await (const message of call as AsyncIterable<{ output: Buffer }>) yield message.output;
      } catch (err) {
        if (!signal?.aborted) throw toRpcError(err, server);
      } finally {
        signal?.removeEventListener("abort", cancel);
        // Ends the RPC if the consumer stopped early (e.g. its reader went away).
        call.cancel();
      }
    },
    close: () => client.close(),
  };
}

/**
 * Logs in with a username and password (AuthService, same server and TLS
 * credentials). Never sends the context's stored token: an expired one would
 * make the agent refuse the very call that replaces it.
 */
export async function login(context: JobctlContext, files: TlsFiles, username: string, password: string): Promise<LoginResponse__Output> {
  const Client = authservice().AuthService;
  const client: AuthServiceClient = new Client(context.server, credentialsFor(context, files, undefined), channelOptions(context));
  try {
    return await new Promise((resolve, reject) => {
      client.Login({ username, password }, { deadline: Date.now() + UNARY_TIMEOUT_MS }, (err, response) => {
        if (err) reject(toRpcError(err, context.server));
        else if (response === undefined) reject(new Error("the agent sent an empty response"));
        else resolve(response);
      });
    });
  } finally {
    client.close();
  }
}

/**
 * A 4 MiB HTTP/2 receive window instead of 64 KiB: output streams need fewer
 * WINDOW_UPDATE round trips. bench/output-fanout measured 96 -> 125-135 MiB/s
 * for 10 readers at 1 MiB. 1 -> 4 MiB (issue 10, npm run bench, 3 rounds,
 * medians, same agent code): 100 readers 155 -> 282 MB/s (0.50 -> 0.87 of the
 * bare TLS server; that run's 1 MiB rounds were 269, 155, 135, so partly load
 * from others), agent peak RSS unchanged (163 -> 164 MiB); one in-process
 * reader 0.80 -> 0.84 of the anchor and `jobctl logs` 204 vs 203 MB/s
 * (7 interleaved rounds): no difference for one stream. A later pair of runs
 * (README Performance) did see the cost in memory: 100 readers at 1 MiB, 0.83 of
 * the anchor at 163 MiB agent peak RSS; at 4 MiB, 0.92 at 189 MiB.
 */
const RECEIVE_WINDOW_BYTES = 4 * 1024 * 1024;

function channelOptions(context: JobctlContext): grpc.ChannelOptions {
  const options: grpc.ChannelOptions = { "grpc-node.flow_control_window": RECEIVE_WINDOW_BYTES };
  if (context.tlsServerName) options["grpc.ssl_target_name_override"] = context.tlsServerName;
  return options;
}

/** Mutual TLS, plus "authorization: Bearer <token>" on every call (unary and streaming) when there is a token. */
function credentialsFor(context: JobctlContext, files: TlsFiles, token: string | undefined): grpc.ChannelCredentials {
  const tls = grpc.credentials.createFromSecureContext(secureContextFor(context, files));
  if (token === undefined) return tls;
  const bearer = grpc.credentials.createFromMetadataGenerator((_params, callback) => {
    const metadata = new grpc.Metadata();
    metadata.set("authorization", `Bearer ${token}`);
    callback(null, metadata);
  });
  return grpc.credentials.combineChannelCredentials(tls, bearer);
}

/** TLS 1.3 only. Files that are not PEM, or a key that does not match its certificate, are config errors naming the fields. */
function secureContextFor(context: JobctlContext, files: TlsFiles): SecureContext {
  // createSecureContext skips a CA that does not parse, which would surface
  // later as a puzzling "self-signed certificate in certificate chain".
  try {
    new X509Certificate(files.ca);
  } catch (err) {
    throw new ConfigError(context.ca.file, context.ca.field, `not a PEM certificate: ${(err as Error).message}`);
  }
  try {
    return createSecureContext({ ca: files.ca, cert: files.cert, key: files.key, minVersion: "TLSv1.3" });
  } catch (err) {
    throw new ConfigError(context.cert.file, `${context.cert.field}, ${context.key.field}`, `unusable TLS files: ${(err as Error).message}`);
  }
}
