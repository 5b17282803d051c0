// What every RPC shares: authenticating the caller, mapping errors to a status
// (api/status.ts) in one place, metrics, and one log line with identity,
// method, job id, status code and duration.
import * as grpc from "@grpc/grpc-js";
import type { Logger } from "pino";
import type { Identity } from "../auth/identity.js";
import { parseWireJobId } from "../jobs/ids.js";
import type { ApiEvents } from "./events.js";
import { toStatus } from "./status.js";

export type AnyCall = grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>;

/** Who is calling, or a typed error (UNAUTHENTICATED...). */
export type Authenticate = (call: AnyCall) => Promise<Identity>;

export interface CallLog {
  method: string;
  identity?: string;
  role?: string;
  jobId?: string;
}

export class RpcContext {
  constructor(
    private readonly logger: Logger,
    private readonly metrics: ApiEvents,
    readonly authenticate: Authenticate,
  ) {}

  /** A unary handler: authenticate (with `authenticate` if given), run, answer, record. */
  unary<Req, Res>(method: string, run: (caller: Identity, request: Req) => Res | Promise<Res>, authenticate?: Authenticate) {
    return async (call: grpc.ServerUnaryCall<Req, Res>, callback: grpc.sendUnaryData<Res>) => {
      const began = process.hrtime.bigint();
      const log: CallLog = { method, jobId: jobIdForLog((call.request as { jobID?: Buffer }).jobID) };
      try {
        const response = await run(await this.identify(call as AnyCall, log, authenticate), call.request);
        this.finish(log, began, grpc.status.OK);
        callback(null, response);
      } catch (err) {
        const status = toStatus(err);
        this.finish(log, began, status.code, status.internal);
        callback({ code: status.code, details: status.details, metadata: status.metadata });
      }
    };
  }

  /** Authenticates and notes who called in the call's log line. */
  async identify(call: AnyCall, log: CallLog, authenticate: Authenticate = this.authenticate): Promise<Identity> {
    const caller = await authenticate(call);
    log.identity = caller.name;
    log.role = caller.role;
    return caller;
  }

  /** A request refused before any handler ran (not a well-formed message of its type). */
  refused(method: string, reason: string): void {
    this.metrics.rpcFinished(method, grpc.status[grpc.status.INVALID_ARGUMENT], 0);
    this.logger.warn({ method, code: "INVALID_ARGUMENT", reason }, "malformed request refused");
  }

  finish(log: CallLog, began: bigint, code: grpc.status, internal?: unknown): void {
    const seconds = Number(process.hrtime.bigint() - began) / 1e9;
    this.metrics.rpcFinished(log.method, grpc.status[code], seconds);
    const line = { ...log, code: grpc.status[code], durationMs: Math.round(seconds * 1e6) / 1000 };
    if (internal !== undefined) this.logger.error({ ...line, err: internal }, "rpc failed");
    else this.logger.info(line, "rpc");
  }
}

/** The id as text for the log line, if it parses; the service reports bad ids itself. */
export function jobIdForLog(raw: Buffer | undefined): string | undefined {
  try {
    return parseWireJobId(raw);
  } catch {
    return undefined;
  }
}
