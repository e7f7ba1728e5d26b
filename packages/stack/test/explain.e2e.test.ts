// `faultline explain` (the real bin, a child process) against the real pipeline: a two-service
// trace goes in through the collector's OTLP receiver and comes back out of Jaeger's API v3.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import { eventually, freePort } from '../src/index.js';

const stack = inject('stack');
const BIN = fileURLToPath(new URL('../bin/faultline.mjs', import.meta.url));

function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

function run(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c;
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, out, err });
    });
  });
}

const str = (key: string, value: string) => ({ key, value: { stringValue: value } });

/** checkout (server) → payments client → payments (server) failing with a wrapped system error. */
async function sendTrace(traceId: string): Promise<void> {
  const now = BigInt(Date.now()) * 1_000_000n;
  const [root, client, server] = [hex(8), hex(8), hex(8)];
  const span = (
    spanId: string,
    parentSpanId: string,
    name: string,
    kind: number,
    ms: bigint,
    attrs: unknown[],
    events: unknown[] = [],
  ) => ({
    traceId,
    spanId,
    ...(parentSpanId ? { parentSpanId } : {}),
    name,
    kind,
    startTimeUnixNano: String(now - ms * 1_000_000n),
    endTimeUnixNano: String(now),
    attributes: attrs,
    events,
    status: { code: 2, message: 'payment_ledger_down: ledger down' },
  });
  const failure = [
    str('error.type', 'payment_ledger_down'),
    str('faultline.error.code', 'payment_ledger_down'),
    str('faultline.error.category', 'dependency'),
    str('faultline.error.severity', 'high'),
  ];
  const exception = {
    name: 'exception',
    timeUnixNano: String(now - 1_000_000n),
    attributes: [
      str('exception.type', 'FaultlineError'),
      str('exception.message', 'ledger down'),
      str(
        'exception.stacktrace',
        'FaultlineError: ledger down\n    at post (ledger.js:1:1)\nCaused by: Error: connect ECONNREFUSED 10.1.2.3:5432',
      ),
    ],
  };
  const resource = (service: string, spans: unknown[]) => ({
    resource: { attributes: [str('service.name', service)] },
    scopeSpans: [{ scope: { name: 'explain-e2e' }, spans }],
  });
  const body = {
    resourceSpans: [
      resource('checkout', [
        span(root, '', 'POST /checkout', 2, 30n, [...failure, str('url.path', '/checkout')]),
        span(client, root, 'payments.Charge', 3, 20n, failure),
      ]),
      resource('payments', [span(server, client, 'payments.Charge', 2, 10n, failure, [exception])]),
    ],
  };
  const res = await fetch(`${stack.urls.otlpHttp}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
}

describe('faultline explain against the real pipeline', () => {
  it('prints the failing path and marks where the error started', async () => {
    const id = hex(16);
    await sendTrace(id);
    await eventually(`trace ${id} in Jaeger`, async () => {
      const res = await fetch(`${stack.urls.jaegerQuery}/api/v3/traces/${id}`);
      return res.ok && (await res.text()).includes('payments') ? true : undefined;
    });
    const r = await run(['explain', id, '--jaeger', stack.urls.jaegerQuery]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(
      new RegExp(`^trace ${id}: 30 ms, 3 spans, services checkout, payments, 3 failed$`),
    );
    expect(lines[1]).toBe('error started in: payments payments.Charge (payment_ledger_down)');
    expect(r.out).toMatch(/^checkout {2}POST \/checkout {2}SERVER {2}30 ms {2}ERROR {3}\(passed on\)$/m);
    expect(r.out).toMatch(/└─ checkout {2}payments\.Charge {2}CLIENT {2}20 ms {2}ERROR {3}\(passed on\)/);
    expect(r.out).toMatch(
      /└─ payments {2}payments\.Charge {2}SERVER {2}10 ms {2}ERROR {3}<== error started here/,
    );
    expect(r.out).toContain('error payment_ledger_down, category dependency, severity high');
    expect(r.out).toContain('exception FaultlineError: ledger down');
    expect(r.out).toContain('caused by: Error: connect ECONNREFUSED 10.1.2.3:5432');
  });

  it('finds the running stack through FAULTLINE_JAEGER_URL', async () => {
    const r = await run(['explain', hex(16)], { FAULTLINE_JAEGER_URL: stack.urls.jaegerQuery });
    expect(r.code).toBe(3);
    expect(r.err).toContain(`is not in Jaeger at ${stack.urls.jaegerQuery}`);
  });

  it('exits 3 for an unknown ID, 2 for a malformed one, 4 when Jaeger is unreachable', async () => {
    const unknown = await run(['explain', hex(16), '--jaeger', stack.urls.jaegerQuery]);
    expect(unknown.code).toBe(3);
    expect(unknown.out).toBe('');
    const malformed = await run(['explain', 'xyz', '--jaeger', stack.urls.jaegerQuery]);
    expect(malformed.code).toBe(2);
    expect(malformed.err).toContain('not a correlation ID: "xyz"');
    const port = await freePort();
    const down = await run(['explain', hex(16), '--jaeger', `http://127.0.0.1:${port}`]);
    expect(down.code).toBe(4);
    expect(down.err).toContain(`cannot reach Jaeger at http://127.0.0.1:${port}`);
  });
});
