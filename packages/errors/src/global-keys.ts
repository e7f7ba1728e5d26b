// Every process-wide key of this package, in the global symbol registry: two installed copies of
// @faultline/errors (or two realms of it) find the same registry, configuration, brand and marks
// through them. A key's value is part of the contract between versions: change it only with a new
// `.vN`, never in place.

/** Brand on FaultlineError.prototype: recognises errors made by another copy (`instanceof` cannot). */
export const ERROR_BRAND = Symbol.for('faultline.error.v1');
/** The code registry (taxonomy.ts). */
export const REGISTRY_KEY = Symbol.for('faultline.errors.registry.v1');
/** The process-wide configuration (config.ts). */
export const CONFIG_KEY = Symbol.for('faultline.errors.config.v1');
/** Errors already counted in faultline.errors (record.ts). */
export const COUNTED_KEY = Symbol.for('faultline.errors.counted.v1');
/** On a span: the errors recordError has recorded on it (record.ts). */
export const RECORDED_KEY = Symbol.for('faultline.recorded.v1');

/** Who counts a failure recorded inside a request, when something does (record.ts, set by @faultline/node). */
export const COUNT_DEFERRAL_KEY = Symbol.for('faultline.errors.count-deferral.v1');
/** What is recorded: beforeRecord, the ignore lists, the storm guard's windows (record-policy.ts). */
export const RECORD_POLICY_KEY = Symbol.for('faultline.errors.record-policy.v1');

/** The value stored under `key` on globalThis, created by `make` the first time. */
export function processWide<T>(key: symbol, make: () => T): T {
  const store = globalThis as Record<symbol, unknown>;
  const found = store[key] as T | undefined;
  if (found !== undefined) return found;
  const value = make();
  store[key] = value;
  return value;
}
