import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  DEFAULT_JAEGER_URL,
  defaultJaegerUrl,
  EXPLAIN_EXIT,
  explainTrace,
  faultlineCli,
  isTraceId,
} from '../src/explain.js';
import { causesOf, parseJaegerBody } from '../src/explain-parse.js';
import { renderTree } from '../src/explain-render.js';
import { buildTree, type SpanNode, type TraceTree } from '../src/explain-tree.js';
import { execution, healthy, inventory503 } from './explain-fixture.js';

const PROCESS = 'grpc.faultline.demo.v1.Worker/Process';

function tree(fixture: { traceId: string; body: string }): TraceTree {
  return buildTree(parseJaegerBody(fixture.body), fixture.traceId);
}

function all(t: TraceTree): SpanNode[] {
  const out: SpanNode[] = [];
  const visit = (n: SpanNode) => {
    out.push(n);
    n.children.forEach(visit);
  };
  t.roots.forEach(visit);
  return out;
}

describe('the tree builder on a recorded Jaeger v3 answer (gateway → worker, execution error)', () => {
  const t = tree(execution);
  const spans = all(t);
  const workerServer = spans.find((s) => s.service === 'worker' && s.kind === 'SERVER')!;
  const gatewayServer = t.roots[0]!;

  it('rebuilds one tree rooted at the gateway server span, children ordered by start', () => {
    expect(t.spans).toBe(7);
    expect(t.services).toEqual(['gateway', 'inventory', 'worker']);
    expect(t.roots).toHaveLength(1);
    expect(gatewayServer.service).toBe('gateway');
    expect(gatewayServer.kind).toBe('SERVER');
    expect(gatewayServer.children.map((c) => c.kind)).toEqual(['CLIENT', 'INTERNAL']);
  });

  it('reads status, duration and the error attributes of each span', () => {
    expect(gatewayServer.status).toBe('ERROR');
    expect(gatewayServer.durationMs).toBeGreaterThan(0);
    expect(gatewayServer.attributes['http.response.status_code']).toBe(500);
    expect(workerServer.errorType).toBe('pricing_failed');
    expect(workerServer.attributes['faultline.error.category']).toBe('execution');
    expect(workerServer.attributes['faultline.error.severity']).toBe('high');
    expect(workerServer.name).toBe(PROCESS);
  });

  it('reads the exception event and its cause chain', () => {
    expect(workerServer.exceptions).toHaveLength(1);
    const [event] = workerServer.exceptions;
    expect(event!.message).toBe('pricing the order failed');
    expect(event!.causes).toEqual([
      { via: 'caused by', text: "TypeError: Cannot read properties of null (reading 'reduce')" },
    ]);
  });

  it('marks the worker server span as where the error started and every span above as passing it on', () => {
    expect(t.origins).toEqual([workerServer]);
    expect(workerServer.role).toBe('origin');
    let up = spans.find((s) => s.spanId === workerServer.parentSpanId);
    let hops = 0;
    while (up) {
      expect(up.role, `${up.service} ${up.name}`).toBe('passed');
      hops++;
      up = spans.find((s) => s.spanId === up!.parentSpanId);
    }
    expect(hops).toBe(4);
  });

  it('renders the failing path, the healthy branch as a count, and one origin mark', () => {
    const text = renderTree(t);
    expect(text.split('\n')[0]).toMatch(
      /^gateway {2}GET \/orders\/ord-42 {2}SERVER {2}[\d.]+ m?s {2}ERROR {2}500 {3}\(passed on\)$/,
    );
    expect(text.match(/<== error started here/g)).toHaveLength(1);
    expect(text).toMatch(
      /worker {2}grpc\.faultline\.demo\.v1\.Worker\/Process {2}SERVER .* <== error started here/,
    );
    expect(text).toContain("caused by: TypeError: Cannot read properties of null (reading 'reduce')");
    expect(text).toContain('error pricing_failed, category execution, severity high, retryable false');
    expect(text).toContain('└─ (1 healthy: gateway GET /stock/ord-42)');
    expect(text).not.toContain('inventory  GET');
  });

  it('shows the healthy branch with --all', () => {
    const text = renderTree(t, { all: true });
    expect(text).toContain('inventory  GET /stock/ord-42  SERVER');
    expect(text).not.toContain('healthy:');
  });
});

describe('the tree builder on a recorded dependency failure (gateway → inventory 503)', () => {
  const t = tree(inventory503);
  const spans = all(t);

  it('puts the origin in the inventory, through the client span that saw the 503', () => {
    const inventory = spans.find((s) => s.service === 'inventory')!;
    expect(t.origins).toEqual([inventory]);
    expect(inventory.errorType).toBe('inventory_unavailable');
    const client = spans.find((s) => s.service === 'gateway' && s.kind === 'CLIENT')!;
    expect(client.role).toBe('passed');
    // The gateway wrapped the error under its own code; its cause chain names the inventory's.
    expect(t.roots[0]!.errorType).toBe('inventory_failed');
    expect(t.roots[0]!.exceptions[0]!.causes[0]!.code).toBe('inventory_unavailable');
    expect(t.roots[0]!.role).toBe('passed');
  });
});

describe('the tree builder on a recorded healthy trace', () => {
  it('finds no failed span and no origin', () => {
    const t = tree(healthy);
    expect(t.failed).toBe(0);
    expect(t.origins).toEqual([]);
    expect(all(t).every((s) => s.role === undefined)).toBe(true);
    expect(renderTree(t)).toBe('');
    expect(renderTree(t, { all: true }).split('\n')).toHaveLength(7);
  });
});

describe('reading Jaeger answers', () => {
  it('merges the chunks of a streamed answer', () => {
    const one = JSON.parse(execution.body) as { result: { resourceSpans: unknown[] } };
    const chunked = one.result.resourceSpans
      .map((rs) => JSON.stringify({ result: { resourceSpans: [rs] } }))
      .join('\n');
    expect(tree({ traceId: execution.traceId, body: chunked }).spans).toBe(7);
  });

  it("throws Jaeger's own message for an error object", () => {
    expect(() => parseJaegerBody('{"error":{"httpCode":500,"message":"storage down"}}')).toThrow(
      'storage down',
    );
  });

  it('keeps spans whose parent is missing (not exported, sampled away) as roots', () => {
    const rootId = tree(execution).roots[0]!.spanId;
    const one = JSON.parse(execution.body) as {
      result: { resourceSpans: { scopeSpans: { spans: { spanId: string }[] }[] }[] };
    };
    for (const rs of one.result.resourceSpans)
      for (const ss of rs.scopeSpans) ss.spans = ss.spans.filter((sp) => sp.spanId !== rootId);
    const t = tree({ traceId: execution.traceId, body: JSON.stringify(one) });
    expect(t.spans).toBe(6);
    expect(t.roots.map((r) => `${r.service} ${r.kind}`)).toEqual(['gateway CLIENT', 'gateway INTERNAL']);
    expect(t.origins.map((o) => o.service)).toEqual(['worker']);
  });

  it('parses Caused by and Aggregated sections, with and without a Faultline code', () => {
    const stack = [
      'FaultlineError: checkout failed',
      '    at handler (app.js:1:1)',
      'Caused by: [ledger_failed] FaultlineError: ledger failed',
      'Caused by: Error: connect ECONNREFUSED 10.0.0.1:5432',
      '    at connect (net.js:1:1)',
      'Aggregated: TypeError: x is not a function',
    ].join('\n');
    expect(causesOf(stack)).toEqual([
      { via: 'caused by', code: 'ledger_failed', text: 'FaultlineError: ledger failed' },
      { via: 'caused by', text: 'Error: connect ECONNREFUSED 10.0.0.1:5432' },
      { via: 'aggregated', text: 'TypeError: x is not a function' },
    ]);
    expect(causesOf(undefined)).toEqual([]);
  });

  it('accepts 32 hex characters only, not all zero', () => {
    expect(isTraceId(execution.traceId)).toBe(true);
    expect(isTraceId(execution.traceId.toUpperCase())).toBe(true);
    expect(isTraceId('0'.repeat(32))).toBe(false);
    expect(isTraceId('abc')).toBe(false);
    expect(isTraceId(`${execution.traceId}0`)).toBe(false);
    expect(isTraceId('g'.repeat(32))).toBe(false);
  });
});

describe('explainTrace against a stand-in Jaeger on loopback', () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const id = req.url?.split('/').pop();
      if (id === execution.traceId)
        res.writeHead(200, { 'content-type': 'application/json' }).end(execution.body);
      else if (id === 'b'.repeat(32)) res.writeHead(500).end('storage exploded');
      else if (id === 'c'.repeat(32)) res.writeHead(200).end('{"result":{"resourceSpans":[]}}');
      else res.writeHead(404).end('{"error":{"httpCode":404,"message":"No traces found"}}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('prints the summary, where the error started and the tree', async () => {
    const r = await explainTrace(execution.traceId.toUpperCase(), `${url}/`);
    expect(r.exitCode).toBe(EXPLAIN_EXIT.ok);
    const lines = r.output.split('\n');
    expect(lines[0]).toMatch(
      new RegExp(`^trace ${execution.traceId}: .*7 spans, services gateway, inventory, worker, 5 failed$`),
    );
    expect(lines[1]).toBe(`error started in: worker ${PROCESS} (pricing_failed)`);
    expect(r.output).toContain('<== error started here');
  });

  it('says a trace is not found (404 or empty) with exit code 3', async () => {
    for (const id of ['a'.repeat(32), 'c'.repeat(32)]) {
      const r = await explainTrace(id, url);
      expect(r.exitCode).toBe(EXPLAIN_EXIT.notFound);
      expect(r.output).toContain(`trace ${id} is not in Jaeger at ${url}`);
    }
  });

  it('refuses a malformed ID before asking Jaeger (exit code 2)', async () => {
    const r = await explainTrace('not-an-id', url);
    expect(r.exitCode).toBe(EXPLAIN_EXIT.usage);
    expect(r.output).toContain('not a correlation ID: "not-an-id"');
  });

  it('reports Jaeger errors with exit code 1', async () => {
    const r = await explainTrace('b'.repeat(32), url);
    expect(r.exitCode).toBe(EXPLAIN_EXIT.failed);
    expect(r.output).toContain('HTTP 500');
    expect(r.output).toContain('storage exploded');
  });

  it('says Jaeger is unreachable with exit code 4', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const address = closed.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const r = await explainTrace(execution.traceId, `http://127.0.0.1:${port}`);
    expect(r.exitCode).toBe(EXPLAIN_EXIT.unreachable);
    expect(r.output).toContain(`cannot reach Jaeger at http://127.0.0.1:${port} (ECONNREFUSED)`);
  });
});

describe('the faultline command line', () => {
  it('needs exactly one ID and a known command', async () => {
    const errors: string[] = [];
    const err = vi.spyOn(console, 'error').mockImplementation((m: unknown) => void errors.push(String(m)));
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    expect(await faultlineCli(['explain'])).toBe(EXPLAIN_EXIT.usage);
    expect(await faultlineCli(['explain', 'a'.repeat(32), 'b'.repeat(32)])).toBe(EXPLAIN_EXIT.usage);
    expect(await faultlineCli(['frobnicate'])).toBe(EXPLAIN_EXIT.usage);
    expect(await faultlineCli(['explain', 'nope'])).toBe(EXPLAIN_EXIT.usage);
    expect(await faultlineCli(['explain', 'a'.repeat(32), '--jaeger'])).toBe(EXPLAIN_EXIT.usage);
    expect(await faultlineCli(['--help'])).toBe(EXPLAIN_EXIT.ok);
    err.mockRestore();
    log.mockRestore();
    expect(errors[0]).toMatch(/^explain takes exactly one correlation ID/);
    expect(errors[2]).toMatch(/^unknown command "frobnicate"/);
    expect(errors[3]).toMatch(/^not a correlation ID/);
    expect(errors[4]).toMatch(/^--jaeger needs a URL/);
  });

  it('finds Jaeger from FAULTLINE_JAEGER_URL, else the stack state file, else the default', () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-explain-'));
    expect(defaultJaegerUrl({ FAULTLINE_STACK_DIR: dir })).toBe(DEFAULT_JAEGER_URL);
    writeFileSync(
      join(dir, 'state.json'),
      JSON.stringify({ urls: { jaegerQuery: 'http://127.0.0.1:5555' } }),
    );
    expect(defaultJaegerUrl({ FAULTLINE_STACK_DIR: dir })).toBe('http://127.0.0.1:5555');
    expect(defaultJaegerUrl({ FAULTLINE_STACK_DIR: dir, FAULTLINE_JAEGER_URL: 'http://j:1' })).toBe(
      'http://j:1',
    );
    writeFileSync(join(dir, 'state.json'), '{broken');
    expect(defaultJaegerUrl({ FAULTLINE_STACK_DIR: dir })).toBe(DEFAULT_JAEGER_URL);
  });
});
