import { MeshtapError } from '../util/errors.js';

/** A refusal that points at a character of the expression (`position`, 0-based). */
abstract class PositionedFilterError extends MeshtapError {
  readonly position: number;

  constructor(code: string, message: string, position: number) {
    super(code, `${message} (at character ${position})`, { position });
    this.position = position;
  }
}

/** The expression is not valid pcap-filter syntax. */
export class FilterSyntaxError extends PositionedFilterError {
  constructor(message: string, position: number) {
    super('FILTER_SYNTAX', message, position);
    this.name = 'FilterSyntaxError';
  }
}

/** The expression nests or chains deeper than meshtap compiles (limits.ts); `position` is where the limit was passed. */
export class FilterTooComplexError extends PositionedFilterError {
  constructor(message: string, position: number) {
    super('FILTER_TOO_COMPLEX', message, position);
    this.name = 'FilterTooComplexError';
  }
}

/**
 * The expression parses but libpcap would refuse to compile it for this link type or with these
 * qualifiers (`ether host` on raw IP, `port` with `ip6 proto`, a mask with host bits...).
 * `FILTER_NOT_APPLICABLE` is used for link-type refusals, `FILTER_SEMANTIC` for the others.
 */
export class FilterCompileError extends MeshtapError {
  readonly position: number | undefined;

  constructor(code: 'FILTER_NOT_APPLICABLE' | 'FILTER_SEMANTIC', message: string, position?: number) {
    super(code, message, position === undefined ? {} : { position });
    this.name = 'FilterCompileError';
    this.position = position;
  }
}

export function semanticError(message: string): never {
  throw new FilterCompileError('FILTER_SEMANTIC', message);
}

export function notApplicable(message: string): never {
  throw new FilterCompileError('FILTER_NOT_APPLICABLE', message);
}
