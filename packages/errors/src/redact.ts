import { FaultlineUsageError } from './usage-error.js';

export const REDACTED = '[REDACTED]';

interface Rule {
  pattern: RegExp;
  replace: (match: string, ...groups: string[]) => string;
}

// One rule per class of secret. The collector's redaction/transform processors scrub the same
// classes (collector/otelcol.yaml), so a secret that slips past one layer meets the other.
const BUILT_IN_RULES: Rule[] = [
  // Authorization: Bearer x / Basic x / Proxy-Authorization, Cookie and Set-Cookie header values.
  {
    pattern: /\b((?:proxy-)?authorization|set-cookie|cookie|x-api-key)(["']?\s*[:=]\s*["']?)([^\r\n"']+)/gi,
    replace: (_m, name, sep) => `${name}${sep}${REDACTED}`,
  },
  {
    pattern: /\b(bearer|basic)\s+[A-Za-z0-9\-._~+/]{8,}=*/gi,
    replace: (_m, scheme) => `${scheme} ${REDACTED}`,
  },
  // password=..., "secret": "...", token=..., api_key=... in query strings, JSON and logs.
  {
    pattern:
      /\b([\w-]*(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credentials?))(["']?\s*[:=]\s*["']?)([^\s&"',;}]+)/gi,
    replace: (_m, name, sep) => `${name}${sep}${REDACTED}`,
  },
  // JSON Web Tokens (header.payload.signature, base64url, header starts with {" = eyJ).
  { pattern: /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, replace: () => REDACTED },
  // AWS access key IDs (long-term AKIA, temporary ASIA).
  { pattern: /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, replace: () => REDACTED },
  // Payment card numbers: 13-19 digits, optionally grouped, that pass the Luhn check.
  { pattern: /\b\d(?:[ -]?\d){12,18}\b/g, replace: (m) => (luhn(m) ? REDACTED : m) },
  // E-mail addresses.
  // The lookbehind starts a match only where a run of address characters starts: without it a long
  // path such as /a.b/c.d/… is rescanned from every position (quadratic).
  {
    pattern: /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g,
    replace: () => REDACTED,
  },
];

// Cheap passes that say whether any rule can match: most text (messages, stack headers) holds no
// secret, and then we skip the per-rule passes entirely. Over-matching only costs time. One regex
// with every trigger in it costs about twice these three: its one-character `@` alternative stops
// irregexp from skipping ahead, and the keyword alternation is factored by first letter.
// Together they accept exactly what the former single pre-check regex accepted (test/redact.test.ts).
const ANY_SECRET_WORD =
  /a(?:uthorization|pi[_-]?key|ccess[_-]?key|kia|sia)|cookie|x-api-key|b(?:earer|asic)|p(?:ass(?:word|wd)|wd|rivate[_-]?key)|secret|token|credential|eyj/i;
const CARD_RUN = /\d(?:[ -]?\d){12}/;

/** True when a built-in rule might match `text` (never false when one does). */
export function mayHoldSecret(text: string): boolean {
  return text.includes('@') || CARD_RUN.test(text) || ANY_SECRET_WORD.test(text);
}

const SENSITIVE_KEY =
  /^(?:.*(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credential|authorization|cookie|session)[\w-]*|pin|cvv|cvc|ssn)$/i;

let extraRules: Rule[] = [];

function luhn(candidate: string): boolean {
  const digits = candidate.replace(/[ -]/g, '');
  if (digits.length < 13 || digits.length > 19) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

export function compilePatterns(patterns: Array<RegExp | string>): RegExp[] {
  if (!Array.isArray(patterns)) {
    throw new FaultlineUsageError(
      'FAULTLINE_ERR_INVALID_REDACTION_PATTERN',
      'redactPatterns must be an array of RegExp or strings',
    );
  }
  return patterns.map((p, i) => {
    if (p instanceof RegExp) return new RegExp(p.source, p.flags.includes('g') ? p.flags : `${p.flags}g`);
    if (typeof p === 'string' && p.length > 0 && p.length <= 1000) {
      try {
        return new RegExp(p, 'g');
      } catch (e) {
        throw new FaultlineUsageError(
          'FAULTLINE_ERR_INVALID_REDACTION_PATTERN',
          `redaction pattern #${i} is not a valid regular expression: ${(e as Error).message}`,
        );
      }
    }
    throw new FaultlineUsageError(
      'FAULTLINE_ERR_INVALID_REDACTION_PATTERN',
      `redaction pattern #${i} must be a RegExp or a non-empty regular-expression source of at most 1000 characters`,
    );
  });
}

/** Bumped whenever the extra patterns change: what redaction returns for a text may change with it. */
let patternsVersion = 0;

/** The version of the redaction rules in force (memos of redacted text are valid for one version). */
export function redactionVersion(): number {
  return patternsVersion;
}

export function setExtraPatterns(patterns: RegExp[]): void {
  patternsVersion++;
  extraRules = patterns.map((pattern) => ({ pattern, replace: () => REDACTED }));
}

/** Replaces every known class of secret in `text` with [REDACTED]. */
export function redact(text: string): string {
  if (typeof text !== 'string' || text.length === 0) return text;
  let out = text;
  if (mayHoldSecret(text)) out = applyBuiltIns(out);
  for (const rule of extraRules) {
    rule.pattern.lastIndex = 0;
    out = out.replace(rule.pattern, REDACTED);
  }
  return out;
}

function applyBuiltIns(text: string): string {
  let out = text;
  for (const rule of BUILT_IN_RULES) {
    rule.pattern.lastIndex = 0;
    out = out.replace(rule.pattern, rule.replace as (substring: string, ...args: unknown[]) => string);
  }
  return out;
}

const FIRST_FRAME = /\n\s+at /;

/**
 * Redacts a stack trace's message (the lines before the first `    at …` frame) and leaves the
 * frames alone: frames are code locations, not data, and scanning them would cost more than the
 * rest of recording an error.
 */
export function redactStack(stack: string): string {
  const firstFrame = stack.search(FIRST_FRAME);
  if (firstFrame < 0) return redact(stack);
  const header = stack.slice(0, firstFrame);
  const redacted = redact(header);
  // Nothing to hide (the usual case): the stack itself, not a new string built from its two halves.
  return redacted === header ? stack : redacted + stack.slice(firstFrame);
}

/**
 * Truncates to `max` characters after redacting a slightly larger window, so a secret cut in
 * half at the boundary is still recognised and removed.
 */
export function redactBounded(text: string, max: number): string {
  if (text.length <= max) return redact(text);
  const window = redact(text.slice(0, max + 256));
  return `${window.slice(0, max)}…[truncated ${text.length - max} chars]`;
}

const MAX_DEPTH = 6;
const MAX_KEYS = 64;
const MAX_ITEMS = 64;
const MAX_STRING = 2_048;

/**
 * A redacted, bounded, plain-JSON copy of any value: secret-looking keys become [REDACTED],
 * strings are redacted and bounded, cycles become [Circular], throwing getters [Unreadable].
 */
export function redactValue(value: unknown): unknown {
  return copy(value, 0, { ancestors: new WeakSet(), budget: MAX_NODES });
}

// Shared sub-objects are copied again (only ancestors mean a cycle), so a node budget bounds the
// work on a hostile graph whose shared references would otherwise fan out exponentially.
const MAX_NODES = 2_000;
interface CopyState {
  ancestors: WeakSet<object>;
  budget: number;
}

function copy(value: unknown, depth: number, state: CopyState): unknown {
  switch (typeof value) {
    case 'string':
      return redactBounded(value, MAX_STRING);
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'boolean':
      return value;
    case 'bigint':
      return `${value}n`;
    case 'undefined':
      return undefined;
    case 'symbol':
      return value.toString();
    case 'function':
      return '[Function]';
  }
  if (value === null) return null;
  const obj = value as object;
  if (state.ancestors.has(obj)) return '[Circular]';
  if (depth >= MAX_DEPTH || --state.budget < 0) return '[Truncated]';
  const seen = state.ancestors;
  seen.add(obj);
  try {
    if (Array.isArray(obj)) {
      const out = obj.slice(0, MAX_ITEMS).map((item) => copy(item, depth + 1, state));
      if (obj.length > MAX_ITEMS) out.push(`[+${obj.length - MAX_ITEMS} more]`);
      return out;
    }
    if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? 'Invalid Date' : obj.toISOString();
    if (obj instanceof Error)
      return { name: obj.name, message: redactBounded(String(obj.message), MAX_STRING) };
    const out: Record<string, unknown> = {};
    const keys = Object.keys(obj);
    for (const key of keys.slice(0, MAX_KEYS)) {
      if (SENSITIVE_KEY.test(key)) {
        out[key] = REDACTED;
        continue;
      }
      let v: unknown;
      try {
        v = (obj as Record<string, unknown>)[key];
      } catch {
        out[key] = '[Unreadable]';
        continue;
      }
      const c = copy(v, depth + 1, state);
      if (c !== undefined) out[key] = c;
    }
    if (keys.length > MAX_KEYS) out['…'] = `[+${keys.length - MAX_KEYS} more keys]`;
    return out;
  } catch {
    return '[Unreadable]';
  } finally {
    seen.delete(obj);
  }
}
