// What the database families share: the match they answer, with the details every one keeps
// (`db.system.name`, and the store's own code as `db.response.status_code`), made once per
// (system, status, code) and reused, so a storm of the same error allocates nothing here.
import { lookupErrorCode } from '../taxonomy.js';
import type { RuleMatch } from './rule.js';

// system -> status -> code (+ retryable) -> match: lookups on the strings the error already
// holds, no key string built per error.
const cache = new Map<string, Map<string, Map<string, RuleMatch>>>();
let cached = 0;
const MAX_CACHED = 1024;

/**
 * The match for a database error. `status` is the store's own code (SQLSTATE, errno, reply
 * prefix): a code, never a message or a value. Frozen and shared: the error copies its details.
 */
export function dbMatch(
  system: string,
  status: string | undefined,
  code: string,
  retryable?: boolean,
): RuleMatch {
  const variant = retryable === undefined ? code : `${code}:${retryable}`;
  let bySystem = cache.get(system);
  let byStatus = bySystem?.get(status ?? '');
  const known = byStatus?.get(variant);
  if (known !== undefined) return known;
  const details: Record<string, string> =
    status === undefined
      ? { 'db.system.name': system }
      : { 'db.system.name': system, 'db.response.status_code': status };
  const message = safeMessageOf(system, status, code);
  const match: RuleMatch =
    retryable === undefined
      ? { code, message, details: Object.freeze(details) }
      : { code, retryable, message, details: Object.freeze(details) };
  Object.freeze(match);
  // Bounded: a hostile stream of made-up statuses must not grow it without limit.
  if (cached < MAX_CACHED) {
    if (bySystem === undefined) {
      bySystem = new Map();
      cache.set(system, bySystem);
    }
    if (byStatus === undefined) {
      byStatus = new Map();
      bySystem.set(status ?? '', byStatus);
    }
    byStatus.set(variant, match);
    cached++;
  }
  return match;
}

/**
 * What a database error says to the caller in place of the driver's text, which quotes data
 * (MySQL's "Duplicate entry 'bob'...", Mongo's "dup key: { email: ... }", Drizzle's query and
 * parameters): the system, its code and what the Faultline code means. The driver's error is the cause.
 */
export function safeMessageOf(system: string, status: string | undefined, code: string): string {
  const meaning = lookupErrorCode(code)?.description || code.replace(/_/g, ' ');
  return status === undefined ? `${system}: ${meaning}` : `${system} ${status}: ${meaning}`;
}

/** A short exact message (client libraries' fixed texts), or undefined: long texts are never looked up. */
export function shortMessage(message: unknown): string | undefined {
  return typeof message === 'string' && message.length <= 96 ? message : undefined;
}
