// A response already in wire form. List builds its page from each job's encoded
// bytes (the bytes decide what fits the page), so encoding the page again as an
// object would do the work twice; GetOutput reads the output file straight into
// its messages' encoding (output-frames.ts). The service definition's
// serializers pass these bytes through unchanged (passPreEncoded, installed
// where the service is added). Every other response is serialized as before.
import type * as grpc from "@grpc/grpc-js";

/** Wire bytes of a message of type T (T only documents which). */
export class PreEncoded<T> {
  declare private readonly type?: T;
  constructor(readonly bytes: Buffer) {}
}

/** The definition with each response serializer passing PreEncoded values through. */
export function passPreEncoded(definition: grpc.ServiceDefinition): grpc.ServiceDefinition {
  const out: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [name, method] of Object.entries(definition)) {
    const serialize = method.responseSerialize;
    out[name] = { ...method, responseSerialize: (value: unknown) => (value instanceof PreEncoded ? value.bytes : serialize(value)) };
  }
  return out;
}
