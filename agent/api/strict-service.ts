// Every request of every RPC is checked against its message type on the wire
// before it is decoded (proto/strict-decode.ts); one that is not a well-formed
// message of its type is answered INVALID_ARGUMENT, naming the problem, and
// never reaches a handler, let alone the job manager. One place, for both
// services: addService() goes through here.
import * as grpc from "@grpc/grpc-js";
import type protobuf from "protobufjs";
import { wireProblem } from "../../proto/strict-decode.js";

/** What a deserializer returns for bytes that are not a message of its type. */
class MalformedRequest {
  constructor(readonly reason: string) {}
}

/**
 * The service's definition with strict request deserializers, and its
 * implementation with each handler guarded against a malformed request.
 * `onRejected` records the refusal (log line, metrics).
 */
export function strictService<I extends grpc.UntypedServiceImplementation>(
  definition: grpc.ServiceDefinition,
  implementation: I,
  root: protobuf.Root,
  onRejected: (method: string, reason: string) => void,
): [grpc.ServiceDefinition, I] {
  const strictDefinition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  const guarded: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(definition)) {
    const [serviceName, methodName] = method.path.slice(1).split("/");
    const type = root.lookupService(serviceName).methods[methodName].resolvedRequestType!;
    const decode = method.requestDeserialize;
    strictDefinition[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer) => {
        const problem = wireProblem(type, bytes);
        return problem ? new MalformedRequest(problem) : decode(bytes);
      },
    };
    guarded[name] = guard(methodName, method, implementation[name] as grpc.UntypedHandleCall, onRejected);
  }
  return [strictDefinition, guarded as I];
}

function guard(
  methodName: string,
  method: grpc.MethodDefinition<unknown, unknown>,
  handler: grpc.UntypedHandleCall,
  onRejected: (method: string, reason: string) => void,
): grpc.UntypedHandleCall {
  const refusal = (request: unknown): grpc.ServiceError | undefined => {
    if (!(request instanceof MalformedRequest)) return undefined;
    onRejected(methodName, request.reason);
    return Object.assign(new Error(request.reason), {
      code: grpc.status.INVALID_ARGUMENT, details: `malformed ${methodName} request: ${request.reason}`, metadata: new grpc.Metadata(),
    });
  };
  if (method.requestStream) return handler; // none of ours: a client stream would need its messages guarded one by one
  if (method.responseStream) {
    const stream = handler as grpc.handleServerStreamingCall<unknown, unknown>;
    return ((call: grpc.ServerWritableStream<unknown, unknown>) => {
      const refused = refusal(call.request);
      if (refused) call.emit("error", refused);
      else stream(call);
    }) as grpc.UntypedHandleCall;
  }
  const unary = handler as grpc.handleUnaryCall<unknown, unknown>;
  return ((call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
    const refused = refusal(call.request);
    if (refused) callback(refused);
    else unary(call, callback);
  }) as grpc.UntypedHandleCall;
}
