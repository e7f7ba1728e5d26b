// Reading properties of an arbitrary thrown value: getters and Proxy traps may throw, so every
// read is guarded. These helpers are the only way classify/record touch foreign objects.

export function safeGet(value: unknown, key: PropertyKey): unknown {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return undefined;
  try {
    return (value as Record<PropertyKey, unknown>)[key];
  } catch {
    return undefined;
  }
}

/**
 * The properties classification reads from a thrown object, each read once (again, one by one,
 * only after a getter threw). Literal keys give every read its own inline cache: safeGet, shared
 * by every caller and key, is megamorphic and costs several times more per read.
 */
export interface ThrownFields {
  code: unknown;
  name: unknown;
  message: unknown;
  cause: unknown;
}

export function thrownFields(value: object): ThrownFields {
  const v = value as Record<string, unknown>;
  try {
    return { code: v.code, name: v.name, message: v.message, cause: v.cause };
  } catch {
    // A getter threw: read each one on its own, an unreadable one reads as absent.
    return {
      code: safeGet(value, 'code'),
      name: safeGet(value, 'name'),
      message: safeGet(value, 'message'),
      cause: safeGet(value, 'cause'),
    };
  }
}

/** `stack` and `retryAfterMs` of a thrown object (guarded, literal keys). */
export function stackOfThrown(value: object): unknown {
  try {
    return (value as { stack?: unknown }).stack;
  } catch {
    return undefined;
  }
}

export function retryAfterOfThrown(value: object): number | undefined {
  let v: unknown;
  try {
    v = (value as { retryAfterMs?: unknown }).retryAfterMs;
  } catch {
    return undefined;
  }
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function safeString(value: unknown, key: PropertyKey): string | undefined {
  const v = safeGet(value, key);
  return typeof v === 'string' ? v : undefined;
}

export function safeNumber(value: unknown, key: PropertyKey): number | undefined {
  const v = safeGet(value, key);
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function isErrorLike(value: unknown): boolean {
  try {
    return value instanceof Error || Object.prototype.toString.call(value) === '[object Error]';
  } catch {
    return false;
  }
}

/** The class name of a thrown value, never throwing: `TypeError`, `AbortError`, `string`. */
export function typeName(value: unknown): string {
  if (value === null) return 'null';
  const t = typeof value;
  if (t !== 'object' && t !== 'function') return t;
  return typeNameOf(value, safeGet(value, 'name'));
}

/** typeName for an object whose `name` has already been read (one read per property). */
export function typeNameOf(value: unknown, name: unknown): string {
  if (typeof name === 'string' && isPlainName(name)) return name;
  try {
    const ctor = Object.getPrototypeOf(value)?.constructor?.name;
    if (typeof ctor === 'string' && ctor.length > 0 && ctor.length <= 128) return ctor;
  } catch {
    // Proxy with a throwing getPrototypeOf trap.
  }
  return 'Object';
}

// Error names come from a handful of classes: remember the verdict for the names seen (bounded,
// since a hostile stream of names must not grow it without limit).
const PLAIN_NAME = /^[\w$.:-]+$/;
const nameVerdicts = new Map<string, boolean>();

function isPlainName(name: string): boolean {
  if (name.length === 0 || name.length > 128) return false;
  const known = nameVerdicts.get(name);
  if (known !== undefined) return known;
  const verdict = PLAIN_NAME.test(name);
  if (nameVerdicts.size < 256) nameVerdicts.set(name, verdict);
  return verdict;
}

/** String(value) that never throws and never returns more than `max` characters. */
export function safeStringify(value: unknown, max = 512): string {
  try {
    if (typeof value === 'string') return value.length > max ? value.slice(0, max) : value;
    if (typeof value === 'symbol') return value.toString();
    if (typeof value === 'bigint') return `${value.toString()}n`;
    if (value === null || typeof value !== 'object') return String(value);
    const seen = new WeakSet<object>();
    const json = JSON.stringify(value, (_k, v: unknown) => {
      if (typeof v === 'bigint') return `${v}n`;
      if (typeof v === 'object' && v !== null) {
        if (seen.has(v)) return '[Circular]';
        seen.add(v);
      }
      return v;
    });
    const text = json ?? Object.prototype.toString.call(value);
    return text.length > max ? `${text.slice(0, max)}…` : text;
  } catch {
    try {
      return Object.prototype.toString.call(value);
    } catch {
      return '[unprintable value]';
    }
  }
}
