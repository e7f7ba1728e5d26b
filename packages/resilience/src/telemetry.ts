import {
  type Attributes,
  type BatchObservableCallback,
  type Counter,
  type Meter,
  type MeterProvider,
  metrics,
  type Observable,
  type ObservableCounter,
  type ObservableGauge,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';

import { allBudgets } from './budget.js';

const SCOPE = '@faultline/resilience';

/** Metric names (docs/architecture.md "Telemetry names"); Prometheus adds `_total` to the counters. */
export const METRICS = {
  RETRY_ATTEMPTS: 'faultline.retry.attempts',
  CIRCUIT_STATE: 'faultline.circuit.state',
  CIRCUIT_TRANSITIONS: 'faultline.circuit.transitions',
  CIRCUIT_REJECTIONS: 'faultline.circuit.rejections',
  RETRY_BUDGET_TOKENS: 'faultline.retry.budget.tokens',
  RETRY_BUDGET_REFUSALS: 'faultline.retry.budget.refusals',
  HEALTH_STATUS: 'faultline.health.status',
} as const;

/** Span attribute and event names this package writes. */
export const SPAN = {
  POLICIES: 'faultline.policies',
  ATTEMPT: 'faultline.retry.attempt',
  ATTEMPTS: 'faultline.retry.attempts',
  OUTCOME: 'faultline.retry.outcome',
  DELAY_MS: 'faultline.retry.delay_ms',
  GAVE_UP_BECAUSE: 'faultline.retry.gave_up_because',
  RESEND_COUNT: 'http.request.resend_count',
  FALLBACK: 'faultline.fallback',
  POLICY: 'faultline.policy',
  BREAKER: 'faultline.circuit.breaker',
  CIRCUIT_STATE: 'faultline.circuit.state',
  CIRCUIT_FROM: 'faultline.circuit.from',
  TIMEOUT_MS: 'faultline.timeout.ms',
  TIMEOUT_STRATEGY: 'faultline.timeout.strategy',
  EVENT_RETRY: 'faultline.retry',
  EVENT_FALLBACK: 'faultline.fallback',
  EVENT_REJECTED: 'faultline.circuit.rejected',
  EVENT_TRANSITION: 'faultline.circuit.transition',
  EVENT_TIMEOUT: 'faultline.timeout',
  EVENT_BULKHEAD_REJECTED: 'faultline.bulkhead.rejected',
} as const;

export const RETRY_OUTCOMES = [
  'success',
  'retry',
  'exhausted',
  'not_retryable',
  'aborted',
  'budget',
  'retry_budget',
  'not_idempotent',
  'circuit_open',
] as const;
export type RetryOutcome = (typeof RETRY_OUTCOMES)[number];

let tracerProvider: TracerProvider | undefined;
let currentTracer: Tracer | undefined;

/**
 * The tracer of the current global TracerProvider. Re-resolved when the provider changes: a tracer
 * taken once would keep feeding a provider that was replaced (trace.disable() starts a new proxy).
 */
export function tracer(): Tracer {
  const provider = trace.getTracerProvider();
  if (currentTracer === undefined || provider !== tracerProvider) {
    tracerProvider = provider;
    currentTracer = provider.getTracer(SCOPE);
  }
  return currentTracer;
}

/**
 * Per-policy-name attempt counts, kept as plain integers and reported by an asynchronous counter:
 * the success path then costs an increment instead of a synchronous `Counter.add` (which, with the
 * SDK installed, costs more than the whole cockatiel call it would measure).
 */
export type AttemptCounts = Record<RetryOutcome, number>;
const attemptCounts = new Map<string, AttemptCounts>();

export function countsFor(policy: string): AttemptCounts {
  let counts = attemptCounts.get(policy);
  if (!counts) {
    counts = {
      success: 0,
      retry: 0,
      exhausted: 0,
      not_retryable: 0,
      aborted: 0,
      budget: 0,
      retry_budget: 0,
      not_idempotent: 0,
      circuit_open: 0,
    };
    attemptCounts.set(policy, counts);
  }
  return counts;
}

/** What the state gauge reads: one source per live breaker. */
export interface StateSource {
  readonly name: string;
  /** 'closed', 'half_open' or 'open'. */
  readonly stateName: 'closed' | 'half_open' | 'open';
  /** 0 closed, 1 half-open, 2 open. */
  stateValue(): number;
  /** When open: ms until a probe is let through; undefined otherwise or when held open by hand. */
  retryAfterMs(): number | undefined;
}
const stateSources = new Map<string, StateSource>();

export function addStateSource(source: StateSource): void {
  stateSources.set(source.name, source);
}

export function removeStateSource(source: StateSource): void {
  if (stateSources.get(source.name) === source) stateSources.delete(source.name);
}

export function stateSource(name: string): StateSource | undefined {
  return stateSources.get(name);
}

export function allStateSources(): IterableIterator<StateSource> {
  return stateSources.values();
}

/** A named health check the faultline.health.status gauge reports: 0 healthy, 1 degraded, 2 unhealthy. */
const healthChecks = new Map<string, () => number>();

/** Registers (or replaces) the check `name`; the gauge reads it at each collection. */
export function addHealthCheck(name: string, status: () => number): void {
  healthChecks.set(name, status);
}

interface Instruments {
  provider: MeterProvider;
  meter: Meter;
  attempts: ObservableCounter;
  state: ObservableGauge;
  transitions: Counter;
  rejections: Counter;
  budgetTokens: ObservableGauge;
  budgetRefusals: ObservableCounter;
  health: ObservableGauge;
  /** The asynchronous instruments the callback observes. */
  observed: Observable[];
  callback: BatchObservableCallback;
}

let current: Instruments | undefined;

function build(provider: MeterProvider): Instruments {
  const meter = provider.getMeter(SCOPE);
  const attempts = meter.createObservableCounter(METRICS.RETRY_ATTEMPTS, {
    description: 'Attempts made by Faultline retry policies, by policy and what followed each attempt',
    unit: '{attempt}',
  });
  const state = meter.createObservableGauge(METRICS.CIRCUIT_STATE, {
    description: 'Circuit breaker state: 0 closed, 1 half-open, 2 open',
  });
  const transitions = meter.createCounter(METRICS.CIRCUIT_TRANSITIONS, {
    description: 'Circuit breaker state changes, by breaker and from/to state',
    unit: '{transition}',
  });
  const rejections = meter.createCounter(METRICS.CIRCUIT_REJECTIONS, {
    description: 'Calls an open circuit breaker rejected without running them',
    unit: '{call}',
  });
  const budgetTokens = meter.createObservableGauge(METRICS.RETRY_BUDGET_TOKENS, {
    description: 'Retry budget tokens left (a retry takes one; 0 to 1 means retries are refused)',
    unit: '{token}',
  });
  const budgetRefusals = meter.createObservableCounter(METRICS.RETRY_BUDGET_REFUSALS, {
    description: 'Retries a retry budget refused, by budget',
    unit: '{retry}',
  });
  const health = meter.createObservableGauge(METRICS.HEALTH_STATUS, {
    description: 'Health of this process per check: 0 healthy, 1 degraded, 2 unhealthy',
  });
  const callback: BatchObservableCallback = (result) => {
    for (const budget of allBudgets()) {
      result.observe(budgetTokens, budget.balance(), { budget: budget.name });
      result.observe(budgetRefusals, budget.refused, { budget: budget.name });
    }
    for (const [check, status] of healthChecks) {
      try {
        result.observe(health, status(), { check });
      } catch {
        // A check that fails to evaluate reports nothing this time.
      }
    }
    for (const [policy, counts] of attemptCounts) {
      for (const outcome of RETRY_OUTCOMES) result.observe(attempts, counts[outcome], { policy, outcome });
    }
    for (const source of stateSources.values()) {
      result.observe(state, source.stateValue(), { breaker: source.name });
    }
  };
  const observed = [attempts, state, budgetTokens, budgetRefusals, health] as Observable[];
  meter.addBatchObservableCallback(callback, observed);
  return {
    provider,
    meter,
    attempts,
    state,
    transitions,
    rejections,
    budgetTokens,
    budgetRefusals,
    health,
    observed,
    callback,
  };
}

/**
 * The instruments on the current global MeterProvider. Re-resolved when the provider changes: the
 * SDK may start after a module created its policies (and tests install a fresh SDK each time).
 */
export function instruments(): Instruments {
  const provider = metrics.getMeterProvider();
  if (current === undefined || current.provider !== provider) {
    if (current) {
      try {
        current.meter.removeBatchObservableCallback(current.callback, current.observed);
      } catch {
        // An old provider that is already shut down.
      }
    }
    current = build(provider);
  }
  return current;
}

export function countTransition(breaker: string, from: string, to: string): void {
  try {
    instruments().transitions.add(1, { breaker, from, to });
  } catch {
    // Telemetry never throws into the app.
  }
}

export function countRejection(attributes: Attributes): void {
  try {
    instruments().rejections.add(1, attributes);
  } catch {
    // Telemetry never throws into the app.
  }
}
