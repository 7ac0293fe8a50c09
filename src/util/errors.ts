/**
 * Every failure meshtap reports to a user carries a stable machine-readable code, in the
 * manner of ws's `WS_ERR_*` and undici's `UND_ERR_*`: tests assert codes, never message text,
 * and the CLI/API print the code beside the human message.
 */
export class MeshtapError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown>;

  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'MeshtapError';
    this.code = code;
    this.details = details;
  }
}

/** A damaged or unsupported capture file: `offset` is the byte position of the damage. */
export class CaptureFileError extends MeshtapError {
  readonly offset: number;

  constructor(code: string, message: string, offset: number) {
    super(code, `${message} (at byte ${offset})`, { offset });
    this.name = 'CaptureFileError';
    this.offset = offset;
  }
}

/** Bad command-line or API usage: the CLI exits with status 2 for these. */
export class UsageError extends MeshtapError {
  constructor(code: string, message: string) {
    super(code, message);
    this.name = 'UsageError';
  }
}
