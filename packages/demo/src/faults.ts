import { ERROR_CATEGORIES, type ErrorCategory, isErrorCategory } from '@faultline/errors';

/**
 * Fault injection. A request names at most one fault (gateway query `?fault=` or header
 * `x-fault`); the gateway sends worker faults in the gRPC request and inventory faults as a header.
 * Each process can also inject faults by itself from its environment (a share of its requests).
 */
export const WORKER_FAULTS = [...ERROR_CATEGORIES, 'latency', 'deadline', 'crash'] as const;
export const INVENTORY_FAULTS = ['inventory_503', 'inventory_down'] as const;
export const FAULT_NAMES = [...WORKER_FAULTS, ...INVENTORY_FAULTS] as const;

export type WorkerFault = (typeof WORKER_FAULTS)[number];
export type InventoryFault = (typeof INVENTORY_FAULTS)[number];
export type FaultName = (typeof FAULT_NAMES)[number];

/** The most latency a request may ask for: keeps a typo from parking a request for an hour. */
export const MAX_LATENCY_MS = 10_000;
/** Latency a `latency` fault adds when the request does not say how much. */
export const DEFAULT_FAULT_LATENCY_MS = 300;

export function isFaultName(value: unknown): value is FaultName {
  return typeof value === 'string' && (FAULT_NAMES as readonly string[]).includes(value);
}

export function isWorkerFault(value: unknown): value is WorkerFault {
  return typeof value === 'string' && (WORKER_FAULTS as readonly string[]).includes(value);
}

export function isInventoryFault(value: unknown): value is InventoryFault {
  return typeof value === 'string' && (INVENTORY_FAULTS as readonly string[]).includes(value);
}

export function isCategoryFault(value: unknown): value is ErrorCategory {
  return isErrorCategory(value);
}

export interface FaultRequest {
  fault: FaultName | undefined;
  /** Extra latency on the worker, in ms. */
  latencyMs: number;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

type HeaderValue = string | string[] | undefined;

function first(value: HeaderValue | null): string | undefined {
  if (Array.isArray(value)) return value[0];
  return value ?? undefined;
}

/** Reads `fault` / `latency_ms` from the query string, else `x-fault` / `x-fault-latency-ms` headers. */
export function parseFaultRequest(
  query: URLSearchParams,
  headers: Record<string, HeaderValue>,
): Parsed<FaultRequest> {
  const rawFault = query.get('fault') ?? first(headers['x-fault']);
  const rawLatency = query.get('latency_ms') ?? first(headers['x-fault-latency-ms']);
  let fault: FaultName | undefined;
  if (rawFault !== undefined && rawFault !== '' && rawFault !== 'none') {
    if (!isFaultName(rawFault)) {
      return {
        ok: false,
        message: `unknown fault ${JSON.stringify(rawFault.slice(0, 40))}; use one of ${FAULT_NAMES.join(', ')}`,
      };
    }
    fault = rawFault;
  }
  let latencyMs = fault === 'latency' ? DEFAULT_FAULT_LATENCY_MS : 0;
  if (rawLatency !== undefined && rawLatency !== '') {
    const n = Number(rawLatency);
    if (!Number.isInteger(n) || n < 0 || n > MAX_LATENCY_MS) {
      return { ok: false, message: `latency_ms must be an integer from 0 to ${MAX_LATENCY_MS}` };
    }
    latencyMs = n;
  }
  return { ok: true, value: { fault, latencyMs } };
}

/**
 * A fault the process injects by itself: `names` (comma list from the environment) each apply to
 * `rate` (0..1) of the requests that did not ask for one. `random` is injectable for tests.
 */
export function environmentFault<T extends string>(
  names: readonly T[],
  rate: number,
  random: () => number = Math.random,
): T | undefined {
  if (names.length === 0 || rate <= 0) return undefined;
  if (random() >= rate) return undefined;
  return names[Math.floor(random() * names.length)] ?? names[0];
}

/** Parses a comma list of fault names from the environment, dropping (and reporting) unknown ones. */
export function faultList<T extends string>(
  raw: string | undefined,
  accept: (value: string) => value is T,
  variable: string,
): T[] {
  if (raw === undefined || raw.trim() === '') return [];
  const out: T[] = [];
  for (const item of raw.split(',').map((s) => s.trim())) {
    if (item === '') continue;
    if (accept(item)) out.push(item);
    else process.stderr.write(`[demo] ${variable}: unknown fault ${JSON.stringify(item)} ignored\n`);
  }
  return out;
}
