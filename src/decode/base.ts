import type { Layer, NextLayer, Registry } from './layer.js';

/**
 * Common fields of every layer class, always initialised in the same order so that each
 * layer class has one hidden class (V8 map) and the packet walk stays monomorphic per
 * kind. Decoders create the object, then fill the fields; nothing is added later.
 */
export abstract class BaseLayer implements Layer {
  abstract readonly kind: string;
  offset = 0;
  headerLength = 0;
  payloadOffset = 0;
  payloadEnd = 0;
  next: NextLayer | null = null;
  truncated = false;
  anomaly: string | null = null;

  constructor(offset: number, end: number) {
    this.offset = offset;
    this.payloadOffset = end;
    this.payloadEnd = end;
  }

  /** Marks the layer cut short: the header (or the length it claims) runs past the input. */
  cut(headerLength: number, end: number): this {
    this.truncated = true;
    this.headerLength = headerLength;
    this.payloadOffset = end;
    this.payloadEnd = end;
    return this;
  }

  /** Sets the header length and the payload range [offset + headerLength, payloadEnd). */
  span(headerLength: number, payloadEnd: number): this {
    this.headerLength = headerLength;
    this.payloadOffset = this.offset + headerLength;
    this.payloadEnd = payloadEnd < this.payloadOffset ? this.payloadOffset : payloadEnd;
    return this;
  }
}

/** A next-layer pointer; always carries `altKey` (maybe undefined) so every instance has one shape. */
export function nextLayer(registry: Registry, key: number, altKey?: number): NextLayer {
  const base = registry.base;
  return {
    registry: registry.name,
    key,
    altKey,
    code: base + key,
    altCode: altKey === undefined ? -1 : base + altKey,
  };
}
