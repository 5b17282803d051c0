// The thin gRPC adapter over JobService: per RPC it authenticates the caller,
// calls the service, maps errors to a status (api/status.ts) and writes one
// log line with identity, method, job id, status code and duration.
import * as grpc from "@grpc/grpc-js";
import type { Logger } from "pino";
import type { AgentInfoRequest__Output } from "../../proto/generated/workerservice/AgentInfoRequest.js";
import type { ListRequest__Output } from "../../proto/generated/workerservice/ListRequest.js";
import type { QueryStatusRequest__Output } from "../../proto/generated/workerservice/QueryStatusRequest.js";
import type { StartRequest__Output } from "../../proto/generated/workerservice/StartRequest.js";
import type { StopRequest__Output } from "../../proto/generated/workerservice/StopRequest.js";
import type { WorkerServiceHandlers } from "../../proto/generated/workerservice/WorkerService.js";
import { identityFromCertificate, type Identity } from "../auth/identity.js";
import { parseWireJobId } from "../jobs/ids.js";
import { toStatus } from "./status.js";
import { NO_METRICS, type MetricsHooks } from "../metrics/hooks.js";
import type { JobService } from "./job-service.js";

type AnyCall = grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>;

interface CallLog {
  method: string;
  identity?: string;
  role?: string;
  jobId?: string;
}

export function workerServiceHandlers(service: JobService, logger: Logger, metrics: MetricsHooks = NO_METRICS): WorkerServiceHandlers {
  const finish = (log: CallLog, began: bigint, code: grpc.status, internal?: unknown) => {
    const seconds = Number(process.hrtime.bigint() - began) / 1e9;
    metrics.rpcFinished(log.method, grpc.status[code], seconds);
    logCall(logger, log, seconds, code, internal);
  };
  const unary = <Req, Res>(method: string, run: (caller: Identity, request: Req) => Res | Promise<Res>) => {
    return async (call: grpc.ServerUnaryCall<Req, Res>, callback: grpc.sendUnaryData<Res>) => {
      const began = process.hrtime.bigint();
      const log: CallLog = { method, jobId: jobIdForLog((call.request as { jobID?: Buffer }).jobID) };
      try {
        const response = await run(authenticate(call, log), call.request);
        finish(log, began, grpc.status.OK);
        callback(null, response);
      } catch (err) {
        const status = toStatus(err);
        finish(log, began, status.code, status.internal);
        callback({ code: status.code, details: status.details });
      }
    };
  };

  return {
    Start: unary("Start", (caller, request: StartRequest__Output) => service.start(caller, request)),
    Stop: unary("Stop", (caller, request: StopRequest__Output) => service.stop(caller, request)),
    QueryStatus: unary("QueryStatus", (caller, request: QueryStatusRequest__Output) => service.queryStatus(caller, request)),
    List: unary("List", (caller, _request: ListRequest__Output) => service.list(caller)),
    AgentInfo: unary("AgentInfo", (caller, _request: AgentInfoRequest__Output) => service.agentInfo(caller)),
    GetOutput: async (call) => {
      const began = process.hrtime.bigint();
      const log: CallLog = { method: "GetOutput", jobId: jobIdForLog(call.request.jobID) };
      const cancelled = new AbortController();
      call.once("cancelled", () => cancelled.abort());
      metrics.streamOpened();
      try {
        const caller = authenticate(call, log);
        for await (const message of service.getOutput(caller, call.request, cancelled.signal)) {
          if (cancelled.signal.aborted) break;
          metrics.outputStreamed((message.output as Buffer).length);
          // Respect HTTP/2 flow control: a slow client holds back only its own stream.
          if (!call.write(message)) await drained(call, cancelled.signal);
        }
        finish(log, began, cancelled.signal.aborted ? grpc.status.CANCELLED : grpc.status.OK);
        call.end();
      } catch (err) {
        const status = toStatus(err);
        finish(log, began, status.code, status.internal);
        call.emit("error", { code: status.code, details: status.details });
      } finally {
        metrics.streamClosed();
      }
    },
  };
}

function authenticate(call: AnyCall, log: CallLog): Identity {
  const caller = identityFromCertificate(call.getAuthContext().sslPeerCertificate);
  log.identity = caller.name;
  log.role = caller.role;
  return caller;
}

function drained(call: grpc.ServerWritableStream<unknown, unknown>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      call.off("drain", done);
      signal.removeEventListener("abort", done);
      resolve();
    };
    call.once("drain", done);
    signal.addEventListener("abort", done, { once: true });
  });
}

function logCall(logger: Logger, log: CallLog, seconds: number, code: grpc.status, internal?: unknown): void {
  const line = { ...log, code: grpc.status[code], durationMs: Math.round(seconds * 1e6) / 1000 };
  if (internal !== undefined) logger.error({ ...line, err: internal }, "rpc failed");
  else logger.info(line, "rpc");
}

/** The id as text for the log line, if it parses; the service reports bad ids itself. */
function jobIdForLog(raw: Buffer | undefined): string | undefined {
  try {
    return parseWireJobId(raw);
  } catch {
    return undefined;
  }
}
