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

interface CallLog {
  method: string;
  identity?: string;
  role?: string;
  jobId?: string;
}

export class RpcContext {
  constructor(
    private readonly logger: Logger,
    private readonly metrics: ApiEvents,
    private readonly authenticate: Authenticate,
  ) {}

  /** A unary handler: authenticate (with `authenticate` if given), run, answer, record. */
  unary<Req, Res>(method: string, run: (caller: Identity, request: Req) => Res | Promise<Res>, authenticate?: Authenticate) {
    return async (call: grpc.ServerUnaryCall<Req, Res>, callback: grpc.sendUnaryData<Res>) => {
      const { began, log } = this.begin(method, call.request);
      try {
        const response = await run(await this.identify(call as AnyCall, log, authenticate), call.request);
        this.finish(log, began, grpc.status.OK);
        callback(null, response);
      } catch (err) {
        const status = this.failed(log, began, err);
        callback({ code: status.code, details: status.details, metadata: status.metadata });
      }
    };
  }

  /**
   * A server-streaming handler: authenticate, run (which writes the messages
   * and returns after the last), end the stream, record; or fail it with the
   * error's status. `cancelled` is aborted when the client cancels the call,
   * which is then recorded as CANCELLED.
   */
  serverStream<Req, Res>(
    method: string,
    run: (caller: Identity, request: Req, call: grpc.ServerWritableStream<Req, Res>, cancelled: AbortSignal) => Promise<void>,
  ) {
    return async (call: grpc.ServerWritableStream<Req, Res>) => {
      const { began, log } = this.begin(method, call.request);
      const cancelled = new AbortController();
      call.once("cancelled", () => cancelled.abort());
      try {
        await run(await this.identify(call as AnyCall, log), call.request, call, cancelled.signal);
        this.finish(log, began, cancelled.signal.aborted ? grpc.status.CANCELLED : grpc.status.OK);
        call.end();
      } catch (err) {
        const status = this.failed(log, began, err);
        call.emit("error", { code: status.code, details: status.details, metadata: status.metadata });
      }
    };
  }

  /** A request refused before any handler ran (not a well-formed message of its type). */
  refused(method: string, reason: string): void {
    this.metrics.rpcFinished(method, grpc.status[grpc.status.INVALID_ARGUMENT], 0);
    this.logger.warn({ method, code: "INVALID_ARGUMENT", reason }, "malformed request refused");
  }

  /** The call's start, and its log line so far: the method, and the job id if the request names one. */
  private begin(method: string, request: unknown): { began: bigint; log: CallLog } {
    const began = process.hrtime.bigint();
    return { began, log: { method, jobId: jobIdForLog((request as { jobID?: Buffer }).jobID) } };
  }

  /** Authenticates and notes who called in the call's log line. */
  private async identify(call: AnyCall, log: CallLog, authenticate: Authenticate = this.authenticate): Promise<Identity> {
    const caller = await authenticate(call);
    log.identity = caller.name;
    log.role = caller.role;
    return caller;
  }

  /** The error's status (status.ts), recorded. */
  private failed(log: CallLog, began: bigint, err: unknown): ReturnType<typeof toStatus> {
    const status = toStatus(err);
    this.finish(log, began, status.code, status.internal);
    return status;
  }

  private finish(log: CallLog, began: bigint, code: grpc.status, internal?: unknown): void {
    const seconds = Number(process.hrtime.bigint() - began) / 1e9;
    this.metrics.rpcFinished(log.method, grpc.status[code], seconds);
    const line = { ...log, code: grpc.status[code], durationMs: Math.round(seconds * 1e6) / 1000 };
    if (internal !== undefined) this.logger.error({ ...line, err: internal }, "rpc failed");
    else this.logger.info(line, "rpc");
  }
}

/** The id as text for the log line, if it parses; the service reports bad ids itself. */
function jobIdForLog(raw: Buffer | undefined): string | undefined {
  try {
    return parseWireJobId(raw);
  } catch {
    return undefined;
  }
}
