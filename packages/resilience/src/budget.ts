// The retry budget: how much of the traffic may be retries, shared by every call of a policy (or,
// by name, of several policies). Finagle's RetryBudget in token-bucket form (the shape of gRPC's
// retry throttling): each call deposits `share` of a token, each retry withdraws one, a floor of
// `minPerSecond` tokens accrues with time, and the balance never exceeds `maxTokens`. Over any
// interval, retries ≤ maxTokens + share × calls + minPerSecond × seconds: with a dependency failing
// every call, attempts stay ≤ (1 + share) × calls plus that small constant and floor.
import { OptionChecker } from './options.js';

export interface RetryBudgetOptions {
  /** Budgets with the same name are one budget, shared by every policy that names it. */
  name?: string;
  /** Retries allowed per call made (0 to 1). Default 0.2: at most one retry for five calls. */
  share?: number;
  /** Retries allowed per second whatever the traffic, so a quiet service can still retry. Default 1. */
  minPerSecond?: number;
  /** The most tokens the budget holds (a burst of retries after a quiet spell). Default 10. */
  maxTokens?: number;
}

interface BudgetConfig {
  share: number;
  minPerSecond: number;
  maxTokens: number;
}

/** A retry budget: create it with retryBudget(), or let a retry policy make its own. */
export class RetryBudget {
  private tokens: number;
  private at = -1;
  /** Calls deposited and retries withdrawn or refused since creation (read by the metrics). */
  calls = 0;
  retries = 0;
  refused = 0;

  constructor(
    readonly name: string,
    readonly config: Readonly<BudgetConfig>,
  ) {
    this.tokens = config.maxTokens;
  }

  private refill(now: number): void {
    if (this.at >= 0 && now > this.at && this.config.minPerSecond > 0) {
      this.tokens = Math.min(
        this.config.maxTokens,
        this.tokens + ((now - this.at) / 1000) * this.config.minPerSecond,
      );
    }
    if (now > this.at) this.at = now;
  }

  /** A call (a first attempt) was made. */
  deposit(): void {
    this.calls++;
    this.tokens = Math.min(this.config.maxTokens, this.tokens + this.config.share);
  }

  /** Takes a token for one retry; false (and nothing taken) when the budget is spent. */
  withdraw(now = Date.now()): boolean {
    this.refill(now);
    if (this.tokens < 1) {
      this.refused++;
      return false;
    }
    this.tokens -= 1;
    this.retries++;
    return true;
  }

  /** Tokens left now (a retry needs one). */
  balance(now = Date.now()): number {
    this.refill(now);
    return this.tokens;
  }
}

const named = new Map<string, RetryBudget>();
/** Every budget made, for the metrics (weakly: a policy that is dropped takes its budget with it). */
const all = new Set<WeakRef<RetryBudget>>();

export function allBudgets(): RetryBudget[] {
  const out: RetryBudget[] = [];
  for (const ref of all) {
    const budget = ref.deref();
    if (budget === undefined) all.delete(ref);
    else out.push(budget);
  }
  return out;
}

function configure(check: OptionChecker, options: Record<string, unknown>): BudgetConfig {
  const share = options.share;
  if (share !== undefined && !(typeof share === 'number' && share >= 0 && share <= 1)) {
    check.fail('retryBudget.share', 'a number from 0 to 1', share);
  }
  const minPerSecond = options.minPerSecond;
  if (
    minPerSecond !== undefined &&
    !(typeof minPerSecond === 'number' && minPerSecond >= 0 && minPerSecond <= 100_000)
  ) {
    check.fail('retryBudget.minPerSecond', 'a number from 0 to 100000', minPerSecond);
  }
  return {
    share: (share as number | undefined) ?? 0.2,
    minPerSecond: (minPerSecond as number | undefined) ?? 1,
    maxTokens: check.int('retryBudget.maxTokens', options.maxTokens, 10, 1, 1_000_000),
  };
}

function make(name: string, config: BudgetConfig): RetryBudget {
  const budget = new RetryBudget(name, Object.freeze(config));
  all.add(new WeakRef(budget));
  return budget;
}

/**
 * The budget a retry policy uses: its own (named after the policy) unless `options` names a
 * shared one or is a RetryBudget. `false` turns the budget off.
 */
export function budgetFor(check: OptionChecker, value: unknown, policyName: string): RetryBudget | undefined {
  if (value === false) return undefined;
  if (value instanceof RetryBudget) return value;
  const o = value === undefined ? {} : check.object('retryBudget', value);
  const config = configure(check, o);
  if (o.name === undefined) return make(policyName, config);
  const name = check.name(o.name, 'budget');
  const existing = named.get(name);
  if (existing === undefined) {
    const budget = make(name, config);
    named.set(name, budget);
    return budget;
  }
  const same =
    existing.config.share === config.share &&
    existing.config.minPerSecond === config.minPerSecond &&
    existing.config.maxTokens === config.maxTokens;
  if (!same) {
    check.fail(
      'retryBudget',
      `the limits of the existing budget '${name}' (share ${existing.config.share}, minPerSecond ${existing.config.minPerSecond}, maxTokens ${existing.config.maxTokens}) or another name`,
      value,
    );
  }
  return existing;
}

/**
 * A retry budget to share between retry policies (`retry({ retryBudget: budget })`): retries stay
 * within `share` of the calls plus `minPerSecond`, with at most `maxTokens` saved up.
 */
export function retryBudget(options: RetryBudgetOptions = {}): RetryBudget {
  const check = new OptionChecker('FAULTLINE_ERR_INVALID_RETRY_OPTION', 'retryBudget()');
  const o = check.object('options', options);
  const config = configure(check, o);
  const name = check.name(o.name, 'retry-budget');
  return make(name, config);
}
