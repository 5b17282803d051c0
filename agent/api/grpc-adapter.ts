// The thin gRPC adapter over JobService: each handler authenticates the
// caller, calls the service and answers, through RpcContext (api/rpc.ts).
import * as grpc from "@grpc/grpc-js";
import type { AgentInfoRequest__Output } from "../../proto/generated/workerservice/AgentInfoRequest.js";
import type { ListRequest__Output } from "../../proto/generated/workerservice/ListRequest.js";
import type { ListResponse } from "../../proto/generated/workerservice/ListResponse.js";
import type { QueryStatusRequest__Output } from "../../proto/generated/workerservice/QueryStatusRequest.js";
import type { StartRequest__Output } from "../../proto/generated/workerservice/StartRequest.js";
import type { StopRequest__Output } from "../../proto/generated/workerservice/StopRequest.js";
import type { TopRequest__Output } from "../../proto/generated/workerservice/TopRequest.js";
import type { WorkerServiceHandlers } from "../../proto/generated/workerservice/WorkerService.js";
import type { ApiEvents } from "./events.js";
import type { JobService } from "./job-service.js";
import type { SpecService } from "./spec-service.js";
import type { ApplyRequest__Output } from "../../proto/generated/workerservice/ApplyRequest.js";
import type { DeleteSpecRequest__Output } from "../../proto/generated/workerservice/DeleteSpecRequest.js";
import type { GetSpecRequest__Output } from "../../proto/generated/workerservice/GetSpecRequest.js";
import type { ListSpecsRequest__Output } from "../../proto/generated/workerservice/ListSpecsRequest.js";
import { OutputFrames } from "./output-frames.js";
import { jobIdForLog, type CallLog, type RpcContext } from "./rpc.js";
import { toStatus } from "./status.js";

export function workerServiceHandlers(service: JobService, specs: SpecService, rpc: RpcContext, metrics: ApiEvents): WorkerServiceHandlers {
  return {
    Apply: rpc.unary("Apply", (caller, request: ApplyRequest__Output) => specs.apply(caller, request)),
    GetSpec: rpc.unary("GetSpec", (caller, request: GetSpecRequest__Output) => specs.getSpec(caller, request.name)),
    ListSpecs: rpc.unary("ListSpecs", (caller, _request: ListSpecsRequest__Output) => specs.listSpecs(caller)),
    DeleteSpec: rpc.unary("DeleteSpec", (caller, request: DeleteSpecRequest__Output) => specs.deleteSpec(caller, request.name)),
    Start: rpc.unary("Start", (caller, request: StartRequest__Output) => service.start(caller, request)),
    Stop: rpc.unary("Stop", (caller, request: StopRequest__Output) => service.stop(caller, request)),
    QueryStatus: rpc.unary("QueryStatus", (caller, request: QueryStatusRequest__Output) => service.queryStatus(caller, request)),
    // Wire bytes already (job-service.ts), passed through by the definition's serializer (pre-encoded.ts).
    List: rpc.unary("List", (caller, request: ListRequest__Output) => service.list(caller, request) as unknown as ListResponse),
    AgentInfo: rpc.unary("AgentInfo", (caller, _request: AgentInfoRequest__Output) => service.agentInfo(caller)),
    Top: rpc.unary("Top", (caller, _request: TopRequest__Output) => service.top(caller)),
    GetOutput: async (call) => {
      const began = process.hrtime.bigint();
      const log: CallLog = { method: "GetOutput", jobId: jobIdForLog(call.request.jobID) };
      const cancelled = new AbortController();
      call.once("cancelled", () => cancelled.abort());
      metrics.streamOpened();
      // The file is read into these frames, each already the message's encoding (output-frames.ts).
      const frames = new OutputFrames(cancelled.signal);
      try {
        const caller = await rpc.identify(call, log);
        for await (const chunk of service.getOutput(caller, call.request, cancelled.signal, (bytes) => frames.take(bytes))) {
          if (cancelled.signal.aborted) break;
          metrics.outputStreamed(chunk.output.length);
          const message = frames.encode(chunk.output, chunk.offset);
          // Respect HTTP/2 flow control: a slow client holds back only its own stream
          // (the frames run out while grpc-js has not written them, and so does the read).
          if (!call.write(message, () => frames.release(message))) await drained(call, cancelled.signal);
        }
        rpc.finish(log, began, cancelled.signal.aborted ? grpc.status.CANCELLED : grpc.status.OK);
        call.end();
      } catch (err) {
        const status = toStatus(err);
        rpc.finish(log, began, status.code, status.internal);
        call.emit("error", { code: status.code, details: status.details });
      } finally {
        metrics.streamClosed();
      }
    },
  };
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
