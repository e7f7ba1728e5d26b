import { FaultlineUsageError } from '@faultline/errors';
/** Codes of the errors @faultline/grpc itself raises; the README lists them (a test keeps both equal). */
export const LIBRARY_ERROR_CODES = {
  FAULTLINE_ERR_GRPC_NO_SUCH_METHOD:
    'promisifyUnary was given a method name the client does not have; check the spelling (both `Say` and `say` work for proto-loader clients).',
  FAULTLINE_ERR_GRPC_NOT_UNARY:
    'promisifyUnary was given a streaming method; call streaming methods directly and read `err.faultline` from their `error` event.',
} as const;

export type LibraryErrorCode = keyof typeof LIBRARY_ERROR_CODES;

/** A programming mistake in the use of @faultline/grpc (never a failed call): `code` is stable. */
export class FaultlineGrpcUsageError extends FaultlineUsageError<LibraryErrorCode> {}
