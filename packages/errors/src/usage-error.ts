import { LIBRARY_ERROR_CODES, type LibraryErrorCode } from './library-codes.js';

/** The shape of every Faultline library code, in every package. */
export type FaultlineLibraryCode = `FAULTLINE_ERR_${string}`;

/**
 * Raised by Faultline itself for a programming or configuration mistake (never for a telemetry
 * failure at run time). `code` is stable; the message says what to do. The other packages raise
 * subclasses of it with their own codes, so `instanceof FaultlineUsageError` covers them all.
 */
export class FaultlineUsageError<C extends FaultlineLibraryCode = LibraryErrorCode> extends Error {
  override readonly name = 'FaultlineUsageError';
  readonly code: C;

  constructor(code: C, message: string) {
    super(`${code}: ${message}`);
    this.code = code;
  }
}

export function describeLibraryCode(code: LibraryErrorCode): string {
  return LIBRARY_ERROR_CODES[code];
}
