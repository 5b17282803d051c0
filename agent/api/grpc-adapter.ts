// The thin gRPC adapter over JobService and SpecService: each handler only
// delegates, through RpcContext (api/rpc.ts: authentication, status, log line
// and metrics), to its local service; GetOutput's messages are written by
// output-stream.ts.
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
import type { GetOutputRequest__Output } from "../../proto/generated/workerservice/GetOutputRequest.js";
import { streamOutput } from "./output-stream.js";
import type { RpcContext } from "./rpc.js";

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
    GetOutput: rpc.serverStream("GetOutput", (caller, request: GetOutputRequest__Output, call, cancelled) =>
      streamOutput(call, cancelled, (buffer) => service.getOutput(caller, request, cancelled, buffer), metrics)),
  };
}
