// A strict check of a message's wire bytes against its type, before protobufjs
// decodes it. protobufjs 7 is lenient where a server must not be: a string that
// runs past the end of the buffer is silently cut short (a truncated
// `rm -rf /srv/data/old-build` would run as `rm -rf /srv/data/`), a field of the
// wrong wire type is read anyway, invalid UTF-8 becomes U+FFFD, groups nest
// without bound. @grpc/proto-loader 0.8 depends on protobufjs ^7; rather than
// force 8.x under it with an override (a pairing its maintainers have not
// released), every request is walked here once, and only bytes that are a
// well-formed message of their type reach the decoder.
import protobuf from "protobufjs";

/** Nested messages deeper than this are refused (ours nest 2 levels). */
export const MAX_MESSAGE_DEPTH = 16;

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Wire type each scalar type is encoded with (packed repeated scalars are length-delimited). */
const WIRE_TYPES: Record<string, number> = {
  double: 1, fixed64: 1, sfixed64: 1,
  float: 5, fixed32: 5, sfixed32: 5,
  int32: 0, int64: 0, uint32: 0, uint64: 0, sint32: 0, sint64: 0, bool: 0,
  string: 2, bytes: 2,
};

/** Why the bytes are not a well-formed message of this type, or undefined if they are. */
export function wireProblem(type: protobuf.Type, bytes: Uint8Array, depth = 0): string | undefined {
  if (depth > MAX_MESSAGE_DEPTH) return `messages nested deeper than ${MAX_MESSAGE_DEPTH}`;
  let pos = 0;
  const varint = (): number | string => {
    let value = 0;
    for (let i = 0; i < 10; i++) {
      if (pos >= bytes.length) return "a varint runs past the end";
      const b = bytes[pos++];
      if (i < 7) value += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) return value;
    }
    return "a varint longer than 10 bytes";
  };
  while (pos < bytes.length) {
    const tag = varint();
    if (typeof tag === "string") return tag;
    const id = Math.floor(tag / 8);
    const wireType = tag % 8;
    if (id === 0 || id > 536870911) return `field number ${id} is out of range`;
    const field = type.fieldsById[id];
    const name = field ? `${type.name}.${field.name}` : `${type.name} field ${id}`;
    const expected = field ? expectedWireType(field) : undefined;
    if (expected !== undefined && wireType !== expected && !(field!.repeated && wireType === 2 && expected !== 2)) {
      return `${name}: wire type ${wireType}, expected ${expected}`;
    }
    switch (wireType) {
      case 0: {
        const v = varint();
        if (typeof v === "string") return `${name}: ${v}`;
        break;
      }
      case 1:
      case 5: {
        const size = wireType === 1 ? 8 : 4;
        if (pos + size > bytes.length) return `${name}: runs past the end`;
        pos += size;
        break;
      }
      case 2: {
        const length = varint();
        if (typeof length === "string") return `${name}: ${length}`;
        if (length > bytes.length - pos) return `${name}: length ${length} runs past the end (${bytes.length - pos} bytes left)`;
        const body = bytes.subarray(pos, pos + length);
        pos += length;
        const problem = field ? bodyProblem(field, body, depth) : undefined;
        if (problem) return `${name}: ${problem}`;
        break;
      }
      default:
        return `${name}: wire type ${wireType} (groups and unknown wire types are not accepted)`;
    }
  }
  return undefined;
}

function expectedWireType(field: protobuf.Field): number {
  if (field.resolvedType instanceof protobuf.Enum) return 0;
  if (field.resolvedType instanceof protobuf.Type) return 2;
  return WIRE_TYPES[field.type] ?? 2;
}

function bodyProblem(field: protobuf.Field, body: Uint8Array, depth: number): string | undefined {
  if (field.resolvedType instanceof protobuf.Type) return wireProblem(field.resolvedType, body, depth + 1);
  if (field.type === "string") {
    try {
      utf8.decode(body);
    } catch {
      return "not valid UTF-8";
    }
  }
  return undefined;
}
