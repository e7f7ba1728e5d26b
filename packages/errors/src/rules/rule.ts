import type { Severity } from '../taxonomy.js';

/**
 * What a classifier rule sees of a thrown object: the fields classification has already read
 * (each read once, guarded), and a guarded read for anything else. Rules look at these first and
 * read other properties only when the cheap fields say the value may be theirs: every rule runs
 * for every unrecognised thrown value, so a rule costs the error path of every service.
 */
export interface ThrownView {
  readonly value: object;
  readonly code: unknown;
  readonly name: unknown;
  readonly message: unknown;
  readonly cause: unknown;
  /** A guarded read of another property: a throwing getter or Proxy trap reads as undefined. */
  get(key: string): unknown;
  /** The rules' verdict on a wrapped value (an ORM's driver error, an HTTP client's cause); bounded depth. */
  inner(value: unknown): RuleMatch | undefined;
}

/** What a rule says of a value it recognises. */
export interface RuleMatch {
  /** A registered Faultline code (built-in or defineErrorCode'd). */
  code: string;
  /** Overrides the code's default. */
  retryable?: boolean;
  /** Overrides the code's default. */
  severity?: Severity;
  /**
   * Bounded, low-cardinality facts kept as the error's details: the library's own code
   * (`db.response.status_code` for SQLSTATE / errno, the service's error name), never a raw
   * message or a value from the request. Redacted like every detail, except a built-in rule's
   * frozen details, which are taken as they are: freeze only details made of fixed codes (a
   * table's entries, a validated SQLSTATE), never names or text taken from the thrown value.
   */
  details?: Record<string, string | number | boolean | readonly string[]>;
  /** A server's retry hint (Retry-After, RateLimit-Reset, ...), in milliseconds. */
  retryAfterMs?: number;
  /**
   * A message in place of the thrown value's, for libraries whose text quotes data (a database
   * error quotes the duplicate value, the row, the query and its parameters): conflict,
   * validation and timeout messages reach callers (problem+json `detail`, gRPC status message).
   * The thrown value then becomes the error's `cause`, so its own message stays in spans and logs.
   */
  message?: string;
}

/** One line of a rule's documentation: what it matches and the code it yields then. */
export interface RuleCase {
  /** What the thrown value looks like, in a few words (e.g. "SQLSTATE 23505 unique_violation"). */
  readonly matches: string;
  /** The registered code it yields, or WRAPPED when the error it wraps decides (`view.inner`). */
  readonly code: string;
}

/** RuleCase.code of a case where the wrapped error (an ORM's driver error, ...) decides. */
export const WRAPPED = '*';

/** One entry of the classifier's table: a matcher and the code it yields. */
export interface ClassifierRule {
  /** Stable id, `<family>.<what>` (e.g. `postgres.sqlstate`): named in the docs and in tests. */
  readonly id: string;
  /** The libraries whose errors it recognises (npm names), for the docs. */
  readonly libraries: readonly string[];
  /**
   * What it matches and the codes it yields, one line per case: the rows of the "Recognised
   * library errors" table of docs/error-codes.md. `addClassifierRule` requires it (at least one
   * case) and refuses a rule naming a code nobody registered. Optional for built-in rules (a rule
   * without it is listed with its id and libraries only).
   */
  readonly cases?: readonly RuleCase[];
  /** A match, or undefined to let the next rule try. A throw counts as no match. */
  match(view: ThrownView): RuleMatch | undefined;
}

/** `typeof` of a thrown value's `code`: what a gate sees of it. */
export type CodeType =
  | 'undefined'
  | 'string'
  | 'number'
  | 'bigint'
  | 'boolean'
  | 'symbol'
  | 'object'
  | 'function';

/**
 * Whether a built-in rule can match a value with this `name` (undefined for any name that is not
 * a string) and this `typeof code`, decided from those two alone: false only when `match` returns
 * undefined for every such value, whatever its other fields. The dispatch (index.ts) skips the
 * rules whose gate says false, deciding once per (name, code type) seen; no gate: always tried.
 * Must be pure and must not throw. test/classify-dispatch.test.ts compares the gated dispatch with
 * the full scan over look-alikes of every rule's shapes.
 */
export type RuleGate = (name: string | undefined, codeType: CodeType) => boolean;

/** A built-in rule: a ClassifierRule with an optional gate (user rules have none: they always run). */
export interface BuiltInRule extends ClassifierRule {
  readonly gate?: RuleGate;
}

/** Most names a bounded list detail keeps (failing field paths, ...). */
export const MAX_DETAIL_NAMES = 20;
/** Longest name a bounded list detail keeps; longer ones are cut. */
export const MAX_DETAIL_NAME_LENGTH = 64;

/**
 * A bounded list of names for a detail (e.g. the failing field paths of a validation error):
 * strings only (of the first 1,000 entries), at most MAX_DETAIL_NAMES, each cut to MAX_DETAIL_NAME_LENGTH, duplicates dropped.
 */
export function boundedNames(names: Iterable<unknown>): string[] {
  const out: string[] = [];
  let looked = 0;
  for (const name of names) {
    // A hostile iterable may never end: look at a bounded number of entries.
    if (++looked > 1_000) break;
    if (typeof name !== 'string' || name.length === 0) continue;
    const cut = name.length > MAX_DETAIL_NAME_LENGTH ? name.slice(0, MAX_DETAIL_NAME_LENGTH) : name;
    if (!out.includes(cut)) out.push(cut);
    if (out.length >= MAX_DETAIL_NAMES) break;
  }
  return out;
}
