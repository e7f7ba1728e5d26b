// Resilience across real processes: the worker crashes (the process exits) and stays down until
// the supervisor restarts it; the gateway's breaker `worker` opens, which the real Prometheus sees
// as faultline_circuit_state{breaker="worker"} = 2, and closes again (0) once the worker is back.
import { eventually, promQuery } from '@faultline/stack';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { DemoUnderTest } from './support/e2e.js';
import { startDemo } from './support/e2e.js';

const stack = inject('stack');
const STATE = 'faultline_circuit_state{breaker="worker",service_name="gateway"}';
// The gateway's readiness (its /ready check treats the worker breaker as critical), as the
// faultline.health.status gauge the FaultlineServiceUnready alert watches.
const HEALTH = 'faultline_health_status{check="ready",service_name="gateway"}';

async function gauge(expr: string): Promise<number | undefined> {
  const [sample] = await promQuery(stack.urls.prometheus, expr);
  return sample === undefined ? undefined : Number(sample.value[1]);
}

describe('the circuit breaker `worker` in the real Prometheus', () => {
  let demo: DemoUnderTest;
  let traffic: Promise<void> | undefined;
  let stopTraffic = false;
  const codes = new Map<string, number>();

  /** Healthy requests every 200 ms, as a client would keep sending them (bounded by stopTraffic). */
  function startTraffic(): void {
    stopTraffic = false;
    traffic = (async () => {
      while (!stopTraffic) {
        try {
          const res = await fetch(`${demo.gatewayUrl}/orders/ord-breaker`, {
            signal: AbortSignal.timeout(10_000),
          });
          const body = (await res.json()) as { code?: string };
          const key = res.ok ? 'ok' : (body.code ?? String(res.status));
          codes.set(key, (codes.get(key) ?? 0) + 1);
        } catch {
          codes.set('client_error', (codes.get('client_error') ?? 0) + 1);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
  }

  beforeAll(async () => {
    // Fast, deterministic breaker: opens after 3 failures in a row, probes after 1 s. The worker
    // stays down 10 s after its crash: several scrapes (every 2 s) see the breaker open.
    demo = await startDemo(
      stack,
      {
        gateway: {
          GATEWAY_BREAKER_KIND: 'consecutive',
          GATEWAY_BREAKER_THRESHOLD: '3',
          GATEWAY_BREAKER_HALF_OPEN_MS: '1000',
          GATEWAY_RETRY_DELAY_MS: '10',
        },
      },
      10_000,
    );
  });

  afterAll(async () => {
    stopTraffic = true;
    await traffic;
    await demo?.close();
  });

  it('is closed (0) while the worker is healthy', async () => {
    const ok = await fetch(`${demo.gatewayUrl}/orders/ord-1`);
    expect(ok.status).toBe(200);
    const value = await eventually(
      'the breaker gauge scraped from the gateway',
      async () => gauge(STATE),
      60_000,
    );
    expect(value).toBe(0);
  });

  it('opens (2) when the worker process dies', async () => {
    const crash = await fetch(`${demo.gatewayUrl}/orders/ord-1?fault=crash`);
    expect(crash.status).toBe(503);
    startTraffic();
    // max_over_time: whichever scrape caught it open, not only the latest one.
    const worst = await eventually(
      'faultline_circuit_state = 2 in Prometheus',
      async () => {
        const v = await gauge(`max_over_time(${STATE}[1m])`);
        return v === 2 ? v : undefined;
      },
      60_000,
    );
    expect(worst).toBe(2);
    expect(demo.workerExits()).toBe(1);
    // Readiness follows: the gauge reads 2 (unhealthy) while the breaker is open.
    const unready = await eventually(
      'faultline_health_status = 2 in Prometheus',
      async () => {
        const v = await gauge(`max_over_time(${HEALTH}[1m])`);
        return v === 2 ? v : undefined;
      },
      60_000,
    );
    expect(unready).toBe(2);
    // While open, the gateway sheds calls at once instead of waiting on a dead worker.
    await eventually(
      'a circuit_open answer',
      async () => ((codes.get('circuit_open') ?? 0) > 0 ? true : undefined),
      30_000,
      200,
    );
    expect(codes.get('circuit_open')).toBeGreaterThan(0);
  });

  it('closes (0) again after the worker is back', async () => {
    await demo.workerReady(60_000);
    const okBefore = codes.get('ok') ?? 0;
    await eventually(
      'a healthy answer through the breaker',
      async () => ((codes.get('ok') ?? 0) > okBefore ? true : undefined),
      60_000,
      200,
    );
    const now = await eventually(
      'faultline_circuit_state = 0 in Prometheus after recovery',
      async () => {
        const v = await gauge(STATE);
        return v === 0 ? v : undefined;
      },
      60_000,
    );
    expect(now).toBe(0);
    // No longer unhealthy (degraded, 1, is allowed: the error rate of the recent calls still
    // counts the outage).
    const ready = await eventually(
      'faultline_health_status < 2 in Prometheus after recovery',
      async () => {
        const v = await gauge(HEALTH);
        return v !== undefined && v < 2 ? v : undefined;
      },
      60_000,
    );
    expect(ready).toBeLessThan(2);
    const transitions = await promQuery(
      stack.urls.prometheus,
      'sum by (to) (faultline_circuit_transitions_total{breaker="worker",service_name="gateway"})',
    );
    const to = Object.fromEntries(transitions.map((s) => [s.metric.to, Number(s.value[1])]));
    expect(to.open).toBeGreaterThanOrEqual(1);
    expect(to.closed).toBeGreaterThanOrEqual(1);
  });
});
