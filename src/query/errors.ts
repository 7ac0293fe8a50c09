import { MeshtapError } from '../util/errors.js';

/** Stable codes of the entry query language (tests assert these, never message text). */
export type QueryErrorCode =
  | 'QUERY_SYNTAX'
  | 'QUERY_TOO_COMPLEX'
  | 'QUERY_UNKNOWN_FIELD'
  | 'QUERY_UNKNOWN_FUNCTION'
  | 'QUERY_TYPE'
  | 'QUERY_BAD_REGEX'
  | 'QUERY_BAD_ARGUMENT';

/** Where a problem starts: `offset` is 0-based in UTF-16 code units, `line` and `column` 1-based. */
export interface QueryPosition {
  offset: number;
  line: number;
  column: number;
}

/** One problem found by `validateQuery`; `length` is how many characters the culprit spans (≥ 0). */
export interface QueryProblem {
  code: QueryErrorCode;
  message: string;
  position: QueryPosition;
  length: number;
}

/** A half-open character range [start, end) of the query text. */
export interface Span {
  start: number;
  end: number;
}

/** Thrown by `compileQuery`: the first problem of the query, with its code and position. */
export class QueryError extends MeshtapError {
  override readonly code: QueryErrorCode;
  readonly position: QueryPosition;
  readonly length: number;

  constructor(problem: QueryProblem) {
    super(
      problem.code,
      `${problem.message} (line ${problem.position.line}, column ${problem.position.column})`,
      {
        position: problem.position,
      },
    );
    this.name = 'QueryError';
    this.code = problem.code;
    this.position = problem.position;
    this.length = problem.length;
  }
}

/**
 * A problem found while reading or checking the query, before positions are turned into
 * line/column (that needs the text, which the parser and checker do not carry around).
 */
export class QueryFault extends Error {
  constructor(
    readonly code: QueryErrorCode,
    message: string,
    readonly span: Span,
  ) {
    super(message);
  }
}

/** Turns a character offset of `text` into a 1-based line and column. */
export function positionOf(text: string, offset: number): QueryPosition {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { offset, line, column: offset - lineStart + 1 };
}

export function problemOf(text: string, fault: QueryFault): QueryProblem {
  return {
    code: fault.code,
    message: fault.message,
    position: positionOf(text, fault.span.start),
    length: Math.max(0, fault.span.end - fault.span.start),
  };
}
