// Library usage errors: the codes @faultline/errors raises for a programming or configuration
// mistake, and the class every Faultline package raises them with.

/** Codes of the errors @faultline/errors itself raises or warns with; docs/error-codes.md lists them. */
export const LIBRARY_ERROR_CODES = {
  FAULTLINE_ERR_INVALID_CLASSIFIER_RULE:
    'addClassifierRule got a rule without a valid id, a match function, libraries or cases, a case naming a code nobody registered, or an id already taken; the message names the rule.',
  FAULTLINE_ERR_INVALID_CODE: 'An error code is not stable snake_case; rename it (e.g. `payment_declined`).',
  FAULTLINE_ERR_INVALID_CODE_SPEC:
    'defineErrorCode got a bad category, severity, httpStatus or grpcCode; the message names the field.',
  FAULTLINE_ERR_DUPLICATE_CODE:
    'A code is already registered with a different definition; codes are unique, pick another name.',
  FAULTLINE_ERR_UNREGISTERED_CODE:
    'A FaultlineError was created with a code nobody registered (a warning, once per code); call defineErrorCode first.',
  FAULTLINE_ERR_INVALID_REDACTION_PATTERN:
    'A redaction pattern is not a RegExp or a valid regular-expression source.',
  FAULTLINE_ERR_INVALID_CONFIG:
    'configureFaultline got a value it does not accept; the message names the option and the accepted values.',
} as const;

export type LibraryErrorCode = keyof typeof LIBRARY_ERROR_CODES;

/** The shape of every Faultline library code, in every package. */
export type FaultlineLibraryCode = `FAULTLINE_ERR_${string}`;

/**
 * Raised by Faultline itself for a programming or configuration mistake (never for a telemetry
 * failure at run time). `code` is stable; the message says what to do. The other packages raise
 * subclasses of it with their own codes, so `instanceof FaultlineUsageError` covers them all.
 */
export class FaultlineUsageError<C extends FaultlineLibraryCode = LibraryErrorCode> extends Error {
  /** `FaultlineUsageError`, or the subclass's own name where it keeps one (FaultlineNodeError, StackError). */
  override readonly name: string = 'FaultlineUsageError';
  readonly code: C;

  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.code = code;
  }
}
