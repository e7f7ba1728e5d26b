// faultline.health.status: each ready handler's check as a gauge (0 healthy, 1 degraded, 2 unhealthy).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { circuitBreaker, METRICS, readyHandler, watchHealth } from '../src/index.js';
import { resetOutcomes } from '../src/outcomes.js';
import { refused, uniqueName } from './support/faults.js';
import { installSdk, type Telemetry } from './support/sdk.js';

let otel: Telemetry;
beforeEach(() => {
  resetOutcomes();
  otel = installSdk();
});
afterEach(async () => {
  await otel.shutdown();
});

describe('faultline.health.status', () => {
  it('follows the check of each ready handler: healthy, degraded, unhealthy, per check name', async () => {
    const critical = uniqueName('dep');
    const other = uniqueName('side');
    const breaker = circuitBreaker({ name: critical, breaker: { kind: 'consecutive', threshold: 1 } });
    const side = circuitBreaker({ name: other, breaker: { kind: 'consecutive', threshold: 1 } });
    try {
      readyHandler({ name: 'ready', criticalBreakers: [critical] });
      watchHealth({ name: 'lenient' });
      const status = (check: string) => otel.value(METRICS.HEALTH_STATUS, { check });
      expect(await status('ready')).toBe(0);
      expect(await status('lenient')).toBe(0);

      await side.execute(() => Promise.reject(refused())).catch(() => undefined);
      expect(await status('ready')).toBe(1); // a non-critical breaker open: degraded

      await breaker.execute(() => Promise.reject(refused())).catch(() => undefined);
      expect(await status('ready')).toBe(2); // the critical one open: unhealthy
      expect(await status('lenient')).toBe(1); // no critical breakers there: degraded
      const points = await otel.points(METRICS.HEALTH_STATUS);
      expect(points.map((p) => p.attributes.check).sort()).toEqual(['lenient', 'ready']);
    } finally {
      breaker.dispose();
      side.dispose();
    }
  });

  it('a bad check name is a usage error', () => {
    expect(() => watchHealth({ name: '' })).toThrow(
      expect.objectContaining({ code: 'FAULTLINE_ERR_INVALID_HEALTH_OPTION' }),
    );
  });
});
