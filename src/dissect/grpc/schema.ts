import protobuf from 'protobufjs';

/** Decodes gRPC messages by the method's request/response types from user-supplied .proto files. */
export interface GrpcSchemaDecoder {
  /** The message as a plain object with its type name, or null when the method or type is unknown or the bytes don't decode. */
  decode(
    service: string,
    method: string,
    side: 'request' | 'response',
    bytes: Uint8Array,
  ): { type: string; value: unknown } | null;
}

export interface GrpcDecoderOptions {
  /** Paths of .proto files; their imports are resolved relative to each file. */
  protoFiles: string[];
}

const TO_OBJECT: protobuf.IConversionOptions = {
  longs: String,
  enums: String,
  bytes: String,
  defaults: false,
};

/**
 * Loads the .proto files once (synchronously: this runs at start-up, before any traffic).
 * Throws protobufjs' error when a file does not parse: a bad schema is a usage error.
 */
export function createGrpcDecoder(options: GrpcDecoderOptions): GrpcSchemaDecoder {
  const root = protobuf.loadSync(options.protoFiles);
  root.resolveAll();
  const types = new Map<string, protobuf.Type | null>();
  const lookup = (service: string, method: string, side: 'request' | 'response'): protobuf.Type | null => {
    const key = `${service}/${method}/${side}`;
    let type = types.get(key);
    if (type === undefined) {
      type = resolveType(root, service, method, side);
      types.set(key, type);
    }
    return type;
  };
  return {
    decode(service, method, side, bytes) {
      const type = lookup(service, method, side);
      if (type === null) return null;
      try {
        return {
          type: type.fullName.replace(/^\./, ''),
          value: type.toObject(type.decode(bytes), TO_OBJECT),
        };
      } catch {
        return null;
      }
    },
  };
}

function resolveType(
  root: protobuf.Root,
  service: string,
  method: string,
  side: 'request' | 'response',
): protobuf.Type | null {
  const svc = root.lookup(service);
  if (!(svc instanceof protobuf.Service)) return null;
  const m = svc.methods[method];
  if (m === undefined) return null;
  m.resolve();
  return (side === 'request' ? m.resolvedRequestType : m.resolvedResponseType) ?? null;
}
