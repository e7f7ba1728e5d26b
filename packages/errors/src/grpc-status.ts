// The google.rpc.Status codec: a FaultlineError as the `grpc-status-details-bin` trailer (ErrorInfo,
// RetryInfo, DebugInfo) and back. protobufjs is loaded on the first encode or decode, not when the
// package is imported: classifying, recording and problem+json never need it.
import { createRequire } from 'node:module';
import type * as Protobuf from 'protobufjs';
import { faultlineConfig } from './config.js';
import { isWireCorrelationId, isWireServiceName } from './correlation.js';
import { FaultlineError } from './error.js';
import { codeForGrpcStatus } from './grpc-codes.js';
import {
  exposedCauses,
  exposedDetails,
  exposedStack,
  safeMessage,
  shouldExpose,
  type WireOptions,
} from './policy.js';
import { googleRpcDescriptor } from './proto/google-rpc.generated.js';
import { safeGet, safeNumber, safeString } from './safe.js';
import {
  categoryForGrpcStatus,
  grpcCodeFor,
  isErrorCategory,
  isSeverity,
  isValidCode,
  lookupErrorCode,
  MAX_CODE_LENGTH,
} from './taxonomy.js';

/** The metadata key (trailer) that carries a serialised google.rpc.Status. */
export const GRPC_STATUS_DETAILS_KEY = 'grpc-status-details-bin';
/** ErrorInfo.domain used when no service name is configured. */
export const DEFAULT_ERROR_DOMAIN = 'faultline';

const ANY_PREFIX = 'type.googleapis.com/';

interface RpcTypes {
  Status: Protobuf.Type;
  ErrorInfo: Protobuf.Type;
  RetryInfo: Protobuf.Type;
  DebugInfo: Protobuf.Type;
}

let rpcTypes: RpcTypes | undefined;

/** The google.rpc message types, built from the generated descriptor on first use. */
function types(): RpcTypes {
  if (rpcTypes !== undefined) return rpcTypes;
  // A synchronous load in both builds (ESM and CJS): the codec's callers are synchronous.
  const protobuf = createRequire(import.meta.url)('protobufjs') as typeof Protobuf;
  const root = protobuf.Root.fromJSON(googleRpcDescriptor as unknown as Protobuf.INamespace);
  rpcTypes = {
    Status: root.lookupType('google.rpc.Status'),
    ErrorInfo: root.lookupType('google.rpc.ErrorInfo'),
    RetryInfo: root.lookupType('google.rpc.RetryInfo'),
    DebugInfo: root.lookupType('google.rpc.DebugInfo'),
  };
  return rpcTypes;
}

/** Anything larger is not decoded: grpc-js caps metadata at 8 KiB by default anyway. */
const MAX_STATUS_BYTES = 64 * 1024;
const MAX_DECODED_MESSAGE = 4_096;

export interface GrpcStatusPayload {
  /** gRPC status code. */
  code: number;
  /** The status message (the `grpc-message` trailer): safe for the caller to see. */
  message: string;
  /** Serialised google.rpc.Status, the value of the `grpc-status-details-bin` trailer. */
  statusDetailsBin: Uint8Array;
}

export type { WireOptions };

/** AIP-193: ErrorInfo.reason is UPPER_SNAKE_CASE. */
export function reasonForCode(code: string): string {
  return code.toUpperCase();
}

/** A FaultlineError as a gRPC status with rich details (ErrorInfo, RetryInfo, DebugInfo when exposing). */
export function toGrpcStatus(err: FaultlineError, options?: WireOptions): GrpcStatusPayload {
  const { Status, ErrorInfo, RetryInfo, DebugInfo } = types();
  const expose = shouldExpose(options);
  const code = grpcCodeFor(err);
  const message = safeMessage(err, expose);
  const metadata: Record<string, string> = {
    code: err.code,
    category: err.category,
    severity: err.severity,
    retryable: String(err.retryable),
  };
  if (err.correlationId) metadata.correlationId = err.correlationId;
  if (err.service) metadata.service = err.service;
  const details: Array<{ type_url: string; value: Uint8Array }> = [
    pack('google.rpc.ErrorInfo', ErrorInfo, {
      reason: reasonForCode(err.code),
      domain: err.service ?? faultlineConfig().service ?? DEFAULT_ERROR_DOMAIN,
      metadata,
    }),
  ];
  if (err.retryAfterMs !== undefined) {
    const seconds = Math.floor(err.retryAfterMs / 1000);
    details.push(
      pack('google.rpc.RetryInfo', RetryInfo, {
        retryDelay: { seconds, nanos: (err.retryAfterMs - seconds * 1000) * 1_000_000 },
      }),
    );
  }
  if (expose) {
    const stackEntries = (exposedStack(err, 16_384) ?? '').split('\n').slice(0, 50);
    const causes = exposedCauses(err).map((cause) => `${cause.type}: ${cause.message}`);
    details.push(
      pack('google.rpc.DebugInfo', DebugInfo, {
        stackEntries,
        detail: JSON.stringify({ details: exposedDetails(err), causes }).slice(0, 8_192),
      }),
    );
  }
  const statusDetailsBin = Status.encode(Status.create({ code, message, details })).finish();
  return { code, message, statusDetailsBin };
}

function pack(name: string, type: Protobuf.Type, value: Record<string, unknown>) {
  return { type_url: ANY_PREFIX + name, value: type.encode(type.create(value)).finish() };
}

export interface GrpcStatusInput {
  code?: unknown;
  /** grpc-js puts the status message in `details` of a ServiceError/StatusObject. */
  details?: unknown;
  message?: unknown;
  statusDetailsBin?: unknown;
  metadata?: unknown;
}

/**
 * Rebuilds a FaultlineError from a gRPC status: our GrpcStatusPayload, a grpc-js ServiceError or
 * StatusObject (reads `grpc-status-details-bin` from its metadata), or the raw Status bytes.
 * The input is untrusted: garbage or truncated details fall back to the status code. Never throws.
 */
export function fromGrpcStatus(input: GrpcStatusInput | Uint8Array): FaultlineError {
  try {
    return decode(input);
  } catch {
    return new FaultlineError({ code: 'unknown_error', message: 'undecodable gRPC status', remote: true });
  }
}

function decode(input: GrpcStatusInput | Uint8Array): FaultlineError {
  let statusCode: number | undefined;
  let statusMessage: string | undefined;
  let bytes: Uint8Array | undefined;
  if (input instanceof Uint8Array) {
    bytes = input;
  } else {
    const c = safeNumber(input, 'code');
    if (c !== undefined && Number.isInteger(c) && c >= 0 && c <= 16) statusCode = c;
    statusMessage = safeString(input, 'details') ?? safeString(input, 'message');
    const bin = safeGet(input, 'statusDetailsBin');
    bytes = bin instanceof Uint8Array ? bin : metadataBytes(safeGet(input, 'metadata'));
  }
  const status = bytes ? decodeStatus(bytes) : undefined;
  if (status) {
    if (statusCode === undefined && status.code >= 1 && status.code <= 16) statusCode = status.code;
    if (status.message) statusMessage ??= status.message;
  }
  const grpcCode = statusCode ?? 2; // UNKNOWN
  const info = status?.errorInfo;
  const meta = info?.metadata ?? {};
  const code = resolveCode(info?.reason, meta.code, grpcCode);
  const category = isErrorCategory(meta.category) ? meta.category : categoryForGrpcStatus(grpcCode);
  const retryable = meta.retryable === 'true' ? true : meta.retryable === 'false' ? false : undefined;
  const details: Record<string, unknown> = { grpcCode };
  if (info?.reason && info.reason.toLowerCase() !== code)
    details.reason = info.reason.slice(0, MAX_CODE_LENGTH * 2);
  if (info?.domain) details.domain = info.domain.slice(0, 256);
  if (status?.debug) details.debug = status.debug;
  return new FaultlineError({
    code,
    category,
    message: (statusMessage ?? `gRPC status ${grpcCode}`).slice(0, MAX_DECODED_MESSAGE),
    details,
    remote: true,
    ...(isSeverity(meta.severity) ? { severity: meta.severity } : {}),
    ...(retryable !== undefined ? { retryable } : {}),
    ...(status?.retryAfterMs !== undefined ? { retryAfterMs: status.retryAfterMs } : {}),
    ...(isWireCorrelationId(meta.correlationId) ? { correlationId: meta.correlationId } : {}),
    ...(isWireServiceName(meta.service) ? { service: meta.service } : {}),
  });
}

/** The code named by the wire: ours when registered (case-insensitively), else the reason as is, else the status's. */
function resolveCode(reason: string | undefined, metaCode: string | undefined, grpcCode: number): string {
  for (const candidate of [metaCode, reason?.toLowerCase()]) {
    if (candidate && isValidCode(candidate) && lookupErrorCode(candidate)) return candidate;
  }
  const foreign = reason?.toLowerCase();
  if (foreign && isValidCode(foreign)) return foreign;
  return codeForGrpcStatus(grpcCode);
}

function metadataBytes(metadata: unknown): Uint8Array | undefined {
  if (!metadata || typeof metadata !== 'object') return undefined;
  const get = safeGet(metadata, 'get');
  let value: unknown;
  if (typeof get === 'function') {
    try {
      const values = get.call(metadata, GRPC_STATUS_DETAILS_KEY) as unknown;
      value = Array.isArray(values) ? values[0] : values;
    } catch {
      return undefined;
    }
  } else {
    value = safeGet(metadata, GRPC_STATUS_DETAILS_KEY);
    if (Array.isArray(value)) value = value[0];
  }
  if (value instanceof Uint8Array) return value;
  // Someone put it in as base64 text.
  if (typeof value === 'string' && value.length <= (MAX_STATUS_BYTES * 4) / 3)
    return Buffer.from(value, 'base64');
  return undefined;
}

interface DecodedStatus {
  code: number;
  message: string;
  errorInfo?: { reason: string; domain: string; metadata: Record<string, string> };
  retryAfterMs?: number;
  debug?: { stackEntries: string[]; detail: string };
}

function decodeStatus(bytes: Uint8Array): DecodedStatus | undefined {
  if (bytes.length === 0 || bytes.length > MAX_STATUS_BYTES) return undefined;
  const { Status, ErrorInfo, RetryInfo, DebugInfo } = types();
  let raw: Record<string, unknown>;
  try {
    raw = Status.toObject(Status.decode(bytes), { defaults: true }) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const out: DecodedStatus = {
    code: typeof raw.code === 'number' ? raw.code : 2,
    message: typeof raw.message === 'string' ? raw.message.slice(0, MAX_DECODED_MESSAGE) : '',
  };
  const anys = Array.isArray(raw.details) ? raw.details.slice(0, 16) : [];
  for (const any of anys as Array<{ type_url?: unknown; typeUrl?: unknown; value?: unknown }>) {
    const url = any.type_url ?? any.typeUrl;
    if (typeof url !== 'string' || !(any.value instanceof Uint8Array)) continue;
    try {
      if (url.endsWith('/google.rpc.ErrorInfo')) {
        const info = ErrorInfo.toObject(ErrorInfo.decode(any.value), { defaults: true }) as {
          reason: string;
          domain: string;
          metadata: Record<string, unknown>;
        };
        const metadata: Record<string, string> = {};
        for (const [k, v] of Object.entries(info.metadata ?? {}).slice(0, 32)) {
          if (typeof v === 'string') metadata[k] = v.slice(0, 256);
        }
        out.errorInfo = { reason: String(info.reason), domain: String(info.domain), metadata };
      } else if (url.endsWith('/google.rpc.RetryInfo')) {
        const info = RetryInfo.toObject(RetryInfo.decode(any.value), { longs: Number, defaults: true }) as {
          retryDelay?: { seconds?: number; nanos?: number };
        };
        const ms =
          Number(info.retryDelay?.seconds ?? 0) * 1000 +
          Math.floor(Number(info.retryDelay?.nanos ?? 0) / 1e6);
        if (Number.isFinite(ms) && ms >= 0) out.retryAfterMs = Math.min(ms, 86_400_000);
      } else if (url.endsWith('/google.rpc.DebugInfo')) {
        const info = DebugInfo.toObject(DebugInfo.decode(any.value), { defaults: true }) as {
          stackEntries: unknown[];
          detail: unknown;
        };
        out.debug = {
          stackEntries: info.stackEntries.filter((s): s is string => typeof s === 'string').slice(0, 50),
          detail: typeof info.detail === 'string' ? info.detail.slice(0, 8_192) : '',
        };
      }
    } catch {
      // One bad detail does not spoil the others.
    }
  }
  return out;
}

/** A grpc-js ServiceError: an Error with a numeric gRPC `code` and a `metadata` object. */
export function isServiceErrorLike(value: unknown): boolean {
  const code = safeNumber(value, 'code');
  if (code === undefined || !Number.isInteger(code) || code < 1 || code > 16) return false;
  const metadata = safeGet(value, 'metadata');
  return metadata !== null && typeof metadata === 'object';
}

export function decodeServiceError(value: unknown): FaultlineError | undefined {
  const err = fromGrpcStatus(value as GrpcStatusInput);
  const stack = safeString(value, 'stack');
  if (stack === undefined) return err;
  // Keep the local stack (where the client saw the failure) for the exception event.
  Object.defineProperty(err, 'stack', { value: stack, writable: true, configurable: true });
  return err;
}
