import { OptionChecker } from './options.js';
import { MAX_WINDOW_MS, outcomes } from './outcomes.js';
import { addHealthCheck, allStateSources, instruments } from './telemetry.js';

export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';

export interface HealthOptions {
  /**
   * The `check` attribute of the faultline.health.status gauge a ready handler reports. Default
   * 'ready'. Two handlers with the same name: the later one's options are reported.
   */
  name?: string;
  /** The error-rate window, in ms (1000 to 600000). Default 60000. */
  windowMs?: number;
  /** Fewer operations than this in the window: the error rate is not judged. Default 20. */
  minCalls?: number;
  /** At or above this failure fraction: degraded. Default 0.1. */
  degradedErrorRate?: number;
  /** At or above this failure fraction: unhealthy. Default 0.5. */
  unhealthyErrorRate?: number;
  /**
   * Breakers without which this service cannot do its job: open, they make it unhealthy. Any other
   * breaker that is open or half-open makes it degraded (taking every replica out of rotation
   * because a shared dependency is down would only turn a partial outage into a full one).
   */
  criticalBreakers?: readonly string[];
}

export interface BreakerHealth {
  name: string;
  state: 'closed' | 'half_open' | 'open';
  critical: boolean;
  /** When open: ms until the next probe. */
  retryAfterMs?: number;
}

export interface HealthReport {
  status: HealthStatus;
  /** Why the status is not healthy, one sentence each (empty when healthy). */
  reasons: string[];
  breakers: BreakerHealth[];
  errorRate: {
    windowMs: number;
    /** Operations that ended in the window (through any policy of this package). */
    operations: number;
    /** Those that failed, not counting the caller's mistakes and cancellations. */
    failures: number;
    /** Those answered by a fallback (successes). */
    fallbacks: number;
    /** failures / operations; null below minCalls operations. */
    rate: number | null;
  };
}

interface HealthConfig {
  name: string;
  windowMs: number;
  minCalls: number;
  degradedErrorRate: number;
  unhealthyErrorRate: number;
  critical: ReadonlySet<string>;
}

export function configureHealth(options: HealthOptions | undefined): HealthConfig {
  const check = new OptionChecker('FAULTLINE_ERR_INVALID_HEALTH_OPTION', 'health()');
  const o = options === undefined ? {} : check.object('options', options);
  const degradedErrorRate = check.fraction('degradedErrorRate', o.degradedErrorRate, 0.1);
  const unhealthyErrorRate = check.fraction('unhealthyErrorRate', o.unhealthyErrorRate, 0.5);
  if (unhealthyErrorRate < degradedErrorRate) {
    check.fail('unhealthyErrorRate', `at least degradedErrorRate (${degradedErrorRate})`, unhealthyErrorRate);
  }
  const critical = o.criticalBreakers ?? [];
  if (!Array.isArray(critical) || !critical.every((n) => typeof n === 'string')) {
    check.fail('criticalBreakers', 'an array of breaker names', critical);
  }
  return {
    name: check.name(o.name, 'ready'),
    windowMs: check.int('windowMs', o.windowMs, 60_000, 1_000, MAX_WINDOW_MS),
    minCalls: check.int('minCalls', o.minCalls, 20, 1),
    degradedErrorRate,
    unhealthyErrorRate,
    critical: new Set(critical as string[]),
  };
}

const percent = (fraction: number) => `${Math.round(fraction * 1000) / 10}%`;
const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

export function evaluate(config: HealthConfig, now = Date.now()): HealthReport {
  let unhealthy = false;
  let degraded = false;
  const reasons: string[] = [];
  const breakers: BreakerHealth[] = [];
  for (const source of allStateSources()) {
    const state = source.stateName;
    const critical = config.critical.has(source.name);
    const entry: BreakerHealth = { name: source.name, state, critical };
    if (state === 'open') {
      const wait = source.retryAfterMs();
      if (wait !== undefined) entry.retryAfterMs = wait;
      if (critical) unhealthy = true;
      else degraded = true;
      reasons.push(
        `circuit breaker '${source.name}'${critical ? ' (critical)' : ''} is open (${wait === undefined ? 'held open' : `next probe in ${seconds(wait)}`})`,
      );
    } else if (state === 'half_open') {
      degraded = true;
      reasons.push(`circuit breaker '${source.name}' is half-open (probing the dependency)`);
    }
    breakers.push(entry);
  }
  const window = outcomes.snapshot(now, config.windowMs);
  let rate: number | null = null;
  if (window.calls >= config.minCalls) {
    rate = window.failures / window.calls;
    const limit = rate >= config.unhealthyErrorRate ? config.unhealthyErrorRate : config.degradedErrorRate;
    if (rate >= limit) {
      if (limit === config.unhealthyErrorRate) unhealthy = true;
      else degraded = true;
      reasons.push(
        `error rate ${percent(rate)} over the last ${seconds(window.windowMs)} (${Math.round(window.failures)} of ${window.calls} operations) is at or above ${percent(limit)}`,
      );
    }
  }
  return {
    status: unhealthy ? 'unhealthy' : degraded ? 'degraded' : 'healthy',
    reasons,
    breakers,
    errorRate: {
      windowMs: window.windowMs,
      operations: window.calls,
      failures: Math.round(window.failures),
      fallbacks: window.fallbacks,
      rate,
    },
  };
}

/**
 * This process's health from its circuit breakers and its recent operation error rate (every
 * operation run through a policy of this package counts): healthy, degraded or unhealthy, with
 * the reasons.
 */
export function health(options?: HealthOptions): HealthReport {
  return evaluate(configureHealth(options));
}

/** faultline.health.status values. */
export const HEALTH_STATUS_VALUES: Readonly<Record<HealthStatus, number>> = Object.freeze({
  healthy: 0,
  degraded: 1,
  unhealthy: 2,
});

/**
 * Reports `config`'s verdict as faultline.health.status{check=name} (0 healthy, 1 degraded,
 * 2 unhealthy), read at each metric collection. The ready handlers call it.
 */
export function reportHealth(config: HealthConfig): void {
  addHealthCheck(config.name, () => HEALTH_STATUS_VALUES[evaluate(config).status]);
  try {
    instruments();
  } catch {
    // Telemetry never throws into the app.
  }
}

/**
 * Reports this process's health as the faultline.health.status gauge, without a ready handler
 * (one `check` per name; a ready handler reports its own).
 */
export function watchHealth(options?: HealthOptions): void {
  reportHealth(configureHealth(options));
}

/** The HTTP status a readiness probe answers: 503 only when unhealthy. */
export function healthStatusCode(status: HealthStatus): 200 | 503 {
  return status === 'unhealthy' ? 503 : 200;
}
