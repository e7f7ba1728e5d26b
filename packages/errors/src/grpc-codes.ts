// The gRPC status code table, and what each code means in Faultline's taxonomy. A leaf module:
// the taxonomy's defaults are written with these names. What a FaultlineError answers with is
// `grpcCodeFor` (taxonomy.ts, from the code's registration).

/** gRPC status codes (numeric values fixed by the gRPC protocol). */
export const GrpcCode = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;
export type GrpcCodeName = keyof typeof GrpcCode;
export const GRPC_CODE_NAMES: readonly GrpcCodeName[] = Object.keys(GrpcCode) as GrpcCodeName[];

/** `INTERNAL` for 13; the number as text for a code outside the table. */
export function grpcCodeName(code: number): string {
  return GRPC_CODE_NAMES[code] ?? String(code);
}

const GRPC_CODES: Record<number, string> = {
  [GrpcCode.CANCELLED]: 'cancelled',
  [GrpcCode.UNKNOWN]: 'unknown_error',
  [GrpcCode.INVALID_ARGUMENT]: 'invalid_params',
  [GrpcCode.DEADLINE_EXCEEDED]: 'deadline_exceeded',
  [GrpcCode.NOT_FOUND]: 'not_found',
  [GrpcCode.ALREADY_EXISTS]: 'already_exists',
  [GrpcCode.PERMISSION_DENIED]: 'permission_denied',
  [GrpcCode.RESOURCE_EXHAUSTED]: 'rate_limited',
  [GrpcCode.FAILED_PRECONDITION]: 'failed_precondition',
  [GrpcCode.ABORTED]: 'conflict',
  [GrpcCode.OUT_OF_RANGE]: 'invalid_params',
  [GrpcCode.UNIMPLEMENTED]: 'not_implemented',
  [GrpcCode.INTERNAL]: 'internal_error',
  [GrpcCode.UNAVAILABLE]: 'service_unavailable',
  [GrpcCode.DATA_LOSS]: 'data_loss',
  [GrpcCode.UNAUTHENTICATED]: 'unauthenticated',
};

/** The built-in code a gRPC status stands for (unknown_error for one outside 1-16). */
export function codeForGrpcStatus(code: number): string {
  return GRPC_CODES[code] ?? 'unknown_error';
}
