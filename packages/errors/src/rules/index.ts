// The classifier's table: user rules first, then the built-in families, cheapest first. User
// rules run for every thrown value; a built-in rule runs only when its gate (rule.ts) says a value
// of this name and code type may be its own, and a rule reads the fields the view already holds
// before anything else (see rule.ts).
import { isFaultlineError } from '../error.js';
import { safeGet, thrownFields } from '../safe.js';
import { lookupErrorCode } from '../taxonomy.js';
import { FaultlineUsageError } from '../usage-error.js';
import { cloudRules } from './cloud.js';
import { httpClientRules } from './http-clients.js';
import { messagingRules } from './messaging.js';
import { mongodbRules } from './mongodb.js';
import { mysqlRules } from './mysql.js';
import { nodeRules } from './node.js';
import { ormRules } from './orm.js';
import { postgresRules } from './postgres.js';
import { redisRules } from './redis.js';
import {
  type BuiltInRule,
  type ClassifierRule,
  type CodeType,
  type RuleMatch,
  type ThrownView,
  WRAPPED,
} from './rule.js';
import { validationRules } from './validation.js';

export type { ClassifierRule, RuleCase, RuleMatch, ThrownView } from './rule.js';
export { boundedNames, MAX_DETAIL_NAME_LENGTH, MAX_DETAIL_NAMES, WRAPPED } from './rule.js';

/** The built-in rules, in the order they are tried. */
export const BUILT_IN_RULES: readonly BuiltInRule[] = Object.freeze([
  // Exact-code lookups first: the caught ECONNREFUSED must stay the cheapest path.
  ...nodeRules,
  ...postgresRules,
  ...mysqlRules,
  ...mongodbRules,
  ...redisRules,
  ...ormRules,
  ...httpClientRules,
  ...cloudRules,
  ...validationRules,
  ...messagingRules,
]);

/**
 * The built-in rules a value of this name and code type can match, in table order: the rules
 * whose gate says so (or that have none). Decided once per (code type, name) and kept, bounded:
 * past MAX_GATED_NAMES names per code type the list is worked out for the call alone. Only
 * built-ins are kept here (user rules always run, ahead of them), so adding or removing a user
 * rule changes nothing in it.
 */
const gated = new Map<CodeType, Map<string | undefined, readonly BuiltInRule[]>>();
const MAX_GATED_NAMES = 256;

export function builtInRulesFor(name: unknown, codeType: CodeType): readonly BuiltInRule[] {
  const key = typeof name === 'string' ? name : undefined;
  let byName = gated.get(codeType);
  const known = byName?.get(key);
  if (known !== undefined) return known;
  const rules = BUILT_IN_RULES.filter((rule) => passes(rule, key, codeType));
  if (byName === undefined) {
    byName = new Map();
    gated.set(codeType, byName);
  }
  if (byName.size < MAX_GATED_NAMES) byName.set(key, rules);
  return rules;
}

function passes(rule: BuiltInRule, name: string | undefined, codeType: CodeType): boolean {
  if (rule.gate === undefined) return true;
  try {
    return rule.gate(name, codeType) !== false;
  } catch {
    // A gate that throws gates nothing.
    return true;
  }
}

let userRules: readonly ClassifierRule[] = [];
let table: readonly ClassifierRule[] = BUILT_IN_RULES;

/** Every rule in the order the classifier tries them: the user's (newest first), then the built-ins. */
export function classifierRules(): readonly ClassifierRule[] {
  return table;
}

const RULE_ID = /^[a-z][a-z0-9_-]*(?:\.[a-z0-9_-]+)*$/;
const MAX_RULE_ID = 64;

function refuse(id: string, what: string): never {
  throw new FaultlineUsageError('FAULTLINE_ERR_INVALID_CLASSIFIER_RULE', `addClassifierRule(${id}): ${what}`);
}

/**
 * Adds a rule ahead of the built-ins (and of the rules added before it). Returns a function that
 * removes it again. Throws FAULTLINE_ERR_INVALID_CLASSIFIER_RULE for a rule without a valid id,
 * a `match` function, its `libraries` or its `cases`, for a case naming a code nobody registered
 * (call defineErrorCode first), and for an id already in the table. At match time a rule that
 * throws, or answers a code nobody registered, counts as no match.
 */
export function addClassifierRule(rule: ClassifierRule): () => void {
  if (rule === null || typeof rule !== 'object')
    refuse('?', 'a rule is an object { id, libraries, cases, match }');
  const id: unknown = rule.id;
  const shown = typeof id === 'string' ? JSON.stringify(id.slice(0, MAX_RULE_ID)) : '?';
  if (typeof id !== 'string' || id.length > MAX_RULE_ID || !RULE_ID.test(id))
    refuse(
      shown,
      `the id must be dotted lower-case words (e.g. 'billing.gateway'), at most ${MAX_RULE_ID} characters`,
    );
  if (typeof rule.match !== 'function') refuse(shown, 'match must be a function (view) => match | undefined');
  if (!Array.isArray(rule.libraries) || rule.libraries.some((l) => typeof l !== 'string'))
    refuse(shown, 'libraries must be an array of package names (may be empty)');
  const cases: unknown = rule.cases;
  if (!Array.isArray(cases) || cases.length === 0)
    refuse(shown, 'cases must list what the rule matches and the code it yields: [{ matches, code }]');
  for (const c of cases as unknown[]) {
    const code = (c as { code?: unknown } | null)?.code;
    const matches = (c as { matches?: unknown } | null)?.matches;
    if (typeof matches !== 'string' || matches.length === 0)
      refuse(shown, 'every case needs a `matches` text');
    if (typeof code !== 'string' || (code !== WRAPPED && lookupErrorCode(code) === undefined))
      refuse(
        shown,
        `code ${JSON.stringify(String(code)).slice(0, 80)} is not registered; call defineErrorCode first`,
      );
  }
  if (table.some((r) => r.id === id)) refuse(shown, 'a rule with this id is already in the table');
  const frozen: ClassifierRule = Object.freeze({
    id,
    libraries: Object.freeze([...rule.libraries]),
    cases: Object.freeze((cases as ClassifierRule['cases'] & object).map((c) => Object.freeze({ ...c }))),
    match: rule.match.bind(rule),
  });
  userRules = [frozen, ...userRules];
  table = Object.freeze([...userRules, ...BUILT_IN_RULES]);
  let removed = false;
  return () => {
    if (removed) return;
    removed = true;
    userRules = userRules.filter((r) => r !== frozen);
    table = userRules.length === 0 ? BUILT_IN_RULES : Object.freeze([...userRules, ...BUILT_IN_RULES]);
  };
}

/** How deep `view.inner` follows wrapped errors (an ORM's error around a driver's, ...). */
const MAX_INNER_DEPTH = 4;

/**
 * The view rules see. One per classified value; the fields are the ones classification has
 * already read (each property of the thrown value is read once).
 */
class View implements ThrownView {
  readonly value: object;
  readonly code: unknown;
  readonly name: unknown;
  readonly message: unknown;
  readonly cause: unknown;
  readonly depth: number;

  constructor(value: object, code: unknown, name: unknown, message: unknown, cause: unknown, depth: number) {
    this.value = value;
    this.code = code;
    this.name = name;
    this.message = message;
    this.cause = cause;
    this.depth = depth;
  }

  get(key: string): unknown {
    return safeGet(this.value, key);
  }

  inner(value: unknown): RuleMatch | undefined {
    if (this.depth >= MAX_INNER_DEPTH || value === this.value) return undefined;
    return matchThrown(value, this.depth + 1);
  }
}

/** The view the rules see of an object (its cheap fields read once, guarded). */
export function thrownView(value: object, depth = 0): ThrownView {
  const f = thrownFields(value);
  return new View(value, f.code, f.name, f.message, f.cause, depth);
}

/** The table's verdict on any value (a FaultlineError keeps its own code); never throws. */
export function matchThrown(value: unknown, depth = 0): RuleMatch | undefined {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return undefined;
  if (isFaultlineError(value)) return { code: value.code, retryable: value.retryable };
  const f = thrownFields(value);
  return matchRules(value, f.code, f.name, f.message, f.cause, depth);
}

/** The first usable match of the table for a value whose cheap fields are already read. */
export function matchRules(
  value: object,
  code: unknown,
  name: unknown,
  message: unknown,
  cause: unknown,
  depth = 0,
): RuleMatch | undefined {
  const users = userRules;
  const view = new View(value, code, name, message, cause, depth);
  for (let i = 0; i < users.length; i++) {
    try {
      const m = users[i]!.match(view);
      if (m === undefined || m === null) continue;
      // A user's answer is copied field by field (a getter of it may throw: then it is no match)
      // and counts only with a registered code.
      const usable = copyMatch(m);
      if (lookupErrorCode(usable.code) !== undefined) return usable;
    } catch {
      // A rule that throws does not match; classification goes on.
    }
  }
  const rules = builtInRulesFor(name, typeof code);
  for (let i = 0; i < rules.length; i++) {
    try {
      // Built-in rules answer registered codes (test/classify-rules.test.ts checks every case).
      const m = rules[i]!.match(view);
      if (m !== undefined && m !== null) return m;
    } catch {
      // A rule that throws does not match; classification goes on.
    }
  }
  return undefined;
}

function copyMatch(m: RuleMatch): RuleMatch {
  const { code, retryable, severity, details, retryAfterMs, message } = m;
  const out: RuleMatch = { code: String(code) };
  if (typeof retryable === 'boolean') out.retryable = retryable;
  if (typeof severity === 'string') out.severity = severity;
  // Copied (never frozen): only built-in rules' frozen details skip redaction (classify.ts).
  if (details !== null && typeof details === 'object') out.details = { ...details };
  if (typeof retryAfterMs === 'number') out.retryAfterMs = retryAfterMs;
  if (typeof message === 'string') out.message = message;
  return out;
}
