// grpc-js service definitions made straight from a resolved protobufjs Root,
// with @grpc/proto-loader's serializers and decoded shapes but without the
// rest of its package definition.
//
// Why: proto-loader's fromJSON also builds, for every message, a
// DescriptorProto and the encoded FileDescriptorProtos (for reflection, which
// neither the agent nor jobctl serves), and that needs protobufjs's descriptor
// extension loaded and run. In a `jobctl start -- true` profile on the 2-core
// dev machine, proto-loader's part was 26-30 ms of ~310 ms of CPU; this is
// ~5 ms. test/proto/service-definition.test.ts holds it to proto-loader's
// bytes, decoded objects, paths and method names.
import type * as grpc from "@grpc/grpc-js";
import type protobuf from "protobufjs";

/** How decoded messages look; these are the options `npm run gen` gives proto-loader-gen-types. */
export const DECODE_OPTIONS: protobuf.IConversionOptions = { longs: String, enums: String, defaults: true, oneofs: true };

type PackageDefinition = Parameters<typeof grpc.loadPackageDefinition>[0];

/**
 * What grpc.loadPackageDefinition takes: the services of root, by full name
 * ("workerservice.WorkerService"). Only services: nothing here uses the
 * message type definitions proto-loader also lists.
 */
export function servicesOf(root: protobuf.Root): PackageDefinition {
  const definitions: Record<string, grpc.ServiceDefinition> = {};
  for (const service of servicesIn(root)) {
    definitions[service.fullName.slice(1)] = serviceDefinition(service);
  }
  return definitions;
}

function servicesIn(namespace: protobuf.NamespaceBase): protobuf.Service[] {
  return namespace.nestedArray.flatMap((nested) => {
    if ("methodsArray" in nested) return [nested as protobuf.Service];
    return "nestedArray" in nested ? servicesIn(nested as protobuf.NamespaceBase) : [];
  });
}

function serviceDefinition(service: protobuf.Service): grpc.ServiceDefinition {
  const definition: Record<string, grpc.MethodDefinition<object, object>> = {};
  for (const method of service.methodsArray) {
    const request = method.resolvedRequestType!;
    const response = method.resolvedResponseType!;
    definition[method.name] = {
      path: `/${service.fullName.slice(1)}/${method.name}`,
      requestStream: method.requestStream === true,
      responseStream: method.responseStream === true,
      requestSerialize: serializer(request),
      requestDeserialize: deserializer(request),
      responseSerialize: serializer(response),
      responseDeserialize: deserializer(response),
      // proto-loader's lodash.camelcase, for the one-word-per-capital names a .proto method has.
      originalName: method.name.charAt(0).toLowerCase() + method.name.slice(1),
    };
  }
  return definition;
}

function serializer(type: protobuf.Type): (value: object) => Buffer {
  return function serialize(value) {
    if (Array.isArray(value)) throw new Error(`Failed to serialize message: expected object with ${type.name} structure, got array instead`);
    return type.encode(type.fromObject(value)).finish() as Buffer;
  };
}

function deserializer(type: protobuf.Type): (bytes: Buffer) => object {
  return function deserialize(bytes) {
    return type.toObject(type.decode(bytes), DECODE_OPTIONS);
  };
}
