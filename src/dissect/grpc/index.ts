export { createGrpcDecoder, type GrpcDecoderOptions, type GrpcSchemaDecoder } from './schema.js';
export { GrpcMessageReader, type GrpcMessage, type GrpcMessageLimits } from './messages.js';
export { parseGrpcPath, parseGrpcTimeout, decodeBinaryMetadata, type BinaryMetadata } from './metadata.js';
export type { GrpcMessageView } from './call.js';
