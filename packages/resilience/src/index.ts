export { JITTERS, type Jitter } from './backoff.js';
export { RetryBudget, type RetryBudgetOptions, retryBudget } from './budget.js';
export { BulkheadFaultlinePolicy, type BulkheadOptions, bulkhead } from './bulkhead.js';
export {
  type BreakerSpec,
  CIRCUIT_STATE_VALUES,
  CircuitBreakerFaultlinePolicy,
  type CircuitBreakerOptions,
  type CircuitStateName,
  circuitBreaker,
  defaultIsFailure,
} from './circuit-breaker.js';
export { FallbackFaultlinePolicy, type FallbackOptions, fallback } from './fallback.js';
export {
  type BreakerHealth,
  HEALTH_STATUS_VALUES,
  type HealthOptions,
  type HealthReport,
  type HealthStatus,
  health,
  healthStatusCode,
  watchHealth,
} from './health.js';
export { isIdempotent, type MethodLike, notSent } from './idempotency.js';
export type { ExecutionContext, Policy, PolicyFunction, PolicyKind } from './policy.js';
export { fastifyReadyHandler, type ReplyLike, readyHandler } from './ready.js';
export {
  GIVE_UP_REASONS,
  type GiveUpReason,
  RetryFaultlinePolicy,
  type RetryHistory,
  type RetryOptions,
  retry,
  retryHistory,
} from './retry.js';
export { METRICS, RETRY_OUTCOMES, type RetryOutcome, SPAN } from './telemetry.js';
export {
  TIMEOUT_STRATEGIES,
  TimeoutFaultlinePolicy,
  type TimeoutOptions,
  type TimeoutStrategyName,
  timeout,
} from './timeout.js';
export { LIBRARY_ERROR_CODES, type ResilienceErrorCode, ResilienceUsageError } from './usage-error.js';
export { type Wrappable, WrappedPolicy, wrap } from './wrap.js';
