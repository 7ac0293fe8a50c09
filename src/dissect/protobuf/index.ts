export {
  decodeRawProtobuf,
  DEFAULT_RAW_LIMITS,
  type RawField,
  type RawValue,
  type RawDecodeLimits,
} from './raw.js';
