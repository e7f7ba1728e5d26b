// Issue 15, items 2 and 3: the pipeline as a fleet — 2 agents and 3 gateways, real collectors on
// loopback (@faultline/stack startFleet) — under a bounded load whose traces are split across the
// agents the way a plain load balancer splits requests. The gateways keep only failed traces
// (sampling percentage 0), so a trace whose spans reached two gateways would show up incomplete.
//   steady: every error trace whole in Jaeger, no OK trace kept, span metrics = what was sent;
//   a gateway restarted (SIGTERM) under load: no span of a kept trace lost;
//   a gateway killed (SIGKILL) under load and started again: the loss is measured and bounded by
//   the traces in flight (sent during its decision wait before the kill).
import {
  eventually,
  jaegerSpanIds,
  type RunningFleet,
  type SentTrace,
  sendFleetLoad,
  startFleet,
  sumCounter,
} from '@faultline/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const DECISION_WAIT_S = 4;
const RATE = 20; // traces/s, 5 spans each
let fleet: RunningFleet;
const sent: Record<string, { ok: number; error: number }> = {};

function account(spansByService: Record<string, { ok: number; error: number }>) {
  for (const [service, c] of Object.entries(spansByService)) {
    const t = sent[service] ?? { ok: 0, error: 0 };
    sent[service] = t;
    t.ok += c.ok;
    t.error += c.error;
  }
}

/** Error traces not whole in Jaeger once their decision is due (polled: the last batch may lag). */
async function incomplete(traces: SentTrace[]): Promise<SentTrace[]> {
  const errors = traces.filter((t) => t.error);
  let missing: SentTrace[] = errors;
  // Bounded: 45 s at most, or 12 s without any change once the set stops shrinking (lost for good).
  const deadline = Date.now() + 45_000;
  let stableSince = Date.now();
  while (Date.now() < deadline && Date.now() - stableSince < 12_000) {
    const next: SentTrace[] = [];
    for (const t of missing) {
      const held = new Set(await jaegerSpanIds(fleet.urls.jaegerQuery, t.traceId));
      if (!t.spanIds.every((id) => held.has(id))) next.push(t);
    }
    if (next.length < missing.length) stableSince = Date.now();
    missing = next;
    if (missing.length === 0) break;
    await new Promise((r) => setTimeout(r, 2_000));
  }
  return missing;
}

beforeAll(async () => {
  fleet = await startFleet({
    agents: 2,
    gateways: 3,
    samplingPercentage: 0,
    samplingDecisionWaitSeconds: DECISION_WAIT_S,
    logs: false,
  });
}, 120_000);

afterAll(async () => {
  await fleet?.stop();
});

describe('fleet: 2 agents route by trace ID to 3 tail-sampling gateways', () => {
  it('keeps every error trace whole, no OK trace, and spreads traces over the gateways', async () => {
    const load = await sendFleetLoad({
      agents: fleet.agents.map((a) => a.otlpHttp),
      durationSeconds: 10,
      tracesPerSecond: RATE,
      prefix: 'fleet-steady',
    });
    account(load.spansByService);
    expect(load.failedRequests).toBe(0);
    const errors = load.traces.filter((t) => t.error);
    expect(errors.length).toBeGreaterThan(50);
    const broken = await incomplete(load.traces);
    console.log(`[fleet] steady: ${errors.length} error traces sent, ${broken.length} incomplete in Jaeger`);
    expect(broken.map((t) => t.traceId)).toEqual([]);
    // Sampling is on: OK traces are dropped whole (a sample of them, looked up directly).
    for (const t of load.traces.filter((x) => !x.error).slice(0, 20))
      expect(await jaegerSpanIds(fleet.urls.jaegerQuery, t.traceId)).toEqual([]);
    // Every gateway got a share (each decides on whole traces).
    const perGateway = await Promise.all(
      fleet.gateways.map(async (g) =>
        Object.values(
          await sumCounter([g.telemetryUrl], 'otelcol_receiver_accepted_spans', () => true, []),
        ).reduce((a, b) => a + b, 0),
      ),
    );
    console.log(`[fleet] spans accepted per gateway: ${perGateway.join(', ')}`);
    for (const n of perGateway) expect(n).toBeGreaterThan(load.spansAccepted / 10);
  }, 120_000);

  it('loses no span of a kept trace when a gateway restarts under load', async () => {
    const gateway = fleet.gateways[1]!.name;
    let restarted: Promise<void> | undefined;
    const load = await sendFleetLoad({
      agents: fleet.agents.map((a) => a.otlpHttp),
      durationSeconds: 12,
      tracesPerSecond: RATE,
      prefix: 'fleet-restart',
      onTick: async (s) => {
        if (s >= 4 && !restarted) {
          await fleet.stopProgram(gateway, 'graceful');
          restarted = fleet.startProgram(gateway);
        }
      },
    });
    await restarted;
    account(load.spansByService);
    const errors = load.traces.filter((t) => t.error);
    const broken = await incomplete(load.traces);
    console.log(
      `[fleet] graceful restart of ${gateway}: ${errors.length} error traces (${errors.length * 5} spans), ${broken.length} incomplete`,
    );
    expect(broken.map((t) => t.traceId)).toEqual([]);
  }, 150_000);

  it('loses at most the traces in flight when a gateway is killed and comes back', async () => {
    const gateway = fleet.gateways[2]!.name;
    let killedAt = 0;
    let restarted: Promise<void> | undefined;
    const load = await sendFleetLoad({
      agents: fleet.agents.map((a) => a.otlpHttp),
      durationSeconds: 12,
      tracesPerSecond: RATE,
      prefix: 'fleet-kill',
      onTick: async (s) => {
        if (s >= 4 && killedAt === 0) {
          await fleet.stopProgram(gateway, 'kill');
          killedAt = Date.now();
          restarted = fleet.startProgram(gateway);
        }
      },
    });
    await restarted;
    account(load.spansByService);
    const errors = load.traces.filter((t) => t.error);
    const broken = await incomplete(load.traces);
    // In flight: sent during the decision wait before the kill (buffered in its tail sampler).
    const inFlight = errors.filter(
      (t) => t.sentAt >= killedAt - (DECISION_WAIT_S + 1) * 1000 && t.sentAt <= killedAt + 1000,
    );
    console.log(
      `[fleet] SIGKILL of ${gateway}: ${broken.length} of ${errors.length} error traces lost or incomplete; ` +
        `${inFlight.length} error traces (all gateways) were in flight during the ${DECISION_WAIT_S}s decision wait`,
    );
    expect(broken.length).toBeLessThanOrEqual(inFlight.length);
    expect(broken.every((t) => inFlight.includes(t))).toBe(true);
  }, 150_000);

  it('counts every span once in the span metrics summed over the agents', async () => {
    const expected: Record<string, number> = {};
    for (const [service, c] of Object.entries(sent)) {
      expected[`${service}|STATUS_CODE_UNSET`] = c.ok;
      expected[`${service}|STATUS_CODE_ERROR`] = c.error;
    }
    for (const k of Object.keys(expected)) if (expected[k] === 0) delete expected[k];
    const counted = await eventually(
      'span metrics equal to what was sent',
      async () => {
        const got = await sumCounter(
          fleet.agents.map((a) => a.metricsUrl),
          'traces_span_metrics_calls_total',
          (l) => (l.service_name ?? '').startsWith('fleet-'),
          ['service_name', 'status_code'],
        );
        return JSON.stringify(got, Object.keys(got).sort()) ===
          JSON.stringify(expected, Object.keys(expected).sort())
          ? got
          : undefined;
      },
      30_000,
      1_000,
    ).catch(async (e: Error) => {
      const got = await sumCounter(
        fleet.agents.map((a) => a.metricsUrl),
        'traces_span_metrics_calls_total',
        (l) => (l.service_name ?? '').startsWith('fleet-'),
        ['service_name', 'status_code'],
      );
      throw new Error(`${e.message}\nexpected ${JSON.stringify(expected)}\ngot ${JSON.stringify(got)}`);
    });
    expect(counted).toEqual(expected);
  }, 60_000);
});
