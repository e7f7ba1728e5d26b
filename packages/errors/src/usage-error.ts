import { LIBRARY_ERROR_CODES, type LibraryErrorCode } from './library-codes.js';

/**
 * Raised by Faultline itself for a programming or configuration mistake (never for a telemetry
 * failure at run time). `code` is stable; the message says what to do.
 */
export class FaultlineUsageError extends Error {
  override readonly name = 'FaultlineUsageError';
  readonly code: LibraryErrorCode;

  constructor(code: LibraryErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.code = code;
  }
}

export function describeLibraryCode(code: LibraryErrorCode): string {
  return LIBRARY_ERROR_CODES[code];
}
