import { safeGet, typeName } from './safe.js';

const NO_MEMBERS: readonly unknown[] = Object.freeze([]);

/** How far we follow `cause` links: deep enough for real chains, bounded for hostile ones. */
export const MAX_CHAIN = 32;
const MAX_AGGREGATE_MEMBERS = 10;

export interface ChainLink {
  value: unknown;
  /** `cause` for Error.cause links, `aggregate` for AggregateError members. */
  via: 'root' | 'cause' | 'aggregate';
  depth: number;
}

/**
 * The cause chain of a thrown value, root first: follows `cause` and AggregateError `errors`,
 * stops at cycles and after MAX_CHAIN links, and never throws (hostile getters read as absent).
 */
export function causeChain(value: unknown, limit = MAX_CHAIN): ChainLink[] {
  // Most errors have no cause: the same one-link answer without the walk's bookkeeping.
  if (limit >= 1 && value !== undefined && safeGet(value, 'cause') === undefined) {
    if (aggregateMembers(value).length === 0) return [{ value, via: 'root', depth: 0 }];
  }
  const out: ChainLink[] = [];
  const seen = new Set<unknown>();
  const visit = (v: unknown, via: ChainLink['via'], depth: number) => {
    if (out.length >= limit || v === undefined || seen.has(v)) return;
    seen.add(v);
    out.push({ value: v, via, depth });
    const members = aggregateMembers(v);
    for (const m of members) visit(m, 'aggregate', depth + 1);
    visit(safeGet(v, 'cause'), 'cause', depth + 1);
  };
  try {
    visit(value, 'root', 0);
  } catch {
    // A Proxy's `has`/`ownKeys` trap can throw in surprising places; keep what we have.
  }
  return out;
}

export function aggregateMembers(value: unknown): readonly unknown[] {
  return aggregateMembersOf(value, typeName(value));
}

/** aggregateMembers for a value whose type name is already known (one read of `name`). */
export function aggregateMembersOf(value: unknown, type: string): readonly unknown[] {
  if (type !== 'AggregateError') return NO_MEMBERS;
  const errors = safeGet(value, 'errors');
  if (!Array.isArray(errors)) return NO_MEMBERS;
  try {
    return errors.slice(0, MAX_AGGREGATE_MEMBERS);
  } catch {
    return NO_MEMBERS;
  }
}

/** How a composed exception.stacktrace names a link of the chain (record.ts writes it, `faultline explain` reads it). */
export const CAUSE_LABELS = { cause: 'Caused by', aggregate: 'Aggregated' } as const;

/** The start of a cause's section in a composed stacktrace: `Caused by: [code] ` (its stack follows). */
export function causeHeader(via: 'cause' | 'aggregate', code: string | undefined): string {
  return `${CAUSE_LABELS[via]}: ${code === undefined ? '' : `[${code}] `}`;
}

const CAUSE_LINE = new RegExp(
  `^(${CAUSE_LABELS.cause}|${CAUSE_LABELS.aggregate}): (?:\\[([a-z0-9_]+)\\] )?(.*)$`,
);

/** A stacktrace line that starts a cause's section, read back (the inverse of causeHeader); else undefined. */
export function parseCauseHeader(
  line: string,
): { via: 'cause' | 'aggregate'; code?: string; rest: string } | undefined {
  const m = CAUSE_LINE.exec(line);
  if (!m) return undefined;
  return {
    via: m[1] === CAUSE_LABELS.aggregate ? 'aggregate' : 'cause',
    ...(m[2] !== undefined ? { code: m[2] } : {}),
    rest: m[3] as string,
  };
}
