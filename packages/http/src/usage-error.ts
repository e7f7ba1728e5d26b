import { FaultlineUsageError } from '@faultline/errors';
/** Codes of the errors @faultline/http itself raises; the README lists them (a test keeps both equal). */
export const LIBRARY_ERROR_CODES = {
  FAULTLINE_ERR_HTTP_NOT_A_RESPONSE:
    'errorFromResponse was given something that is neither a fetch Response nor an undici `request()` result; pass the response object itself.',
} as const;

export type LibraryErrorCode = keyof typeof LIBRARY_ERROR_CODES;

/** A programming mistake in the use of @faultline/http (never a failed request): `code` is stable. */
export class FaultlineHttpUsageError extends FaultlineUsageError<LibraryErrorCode> {}
