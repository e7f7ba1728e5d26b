// Issue 14, item 1: the log store "can be clustered when a user outgrows one node". The same
// VictoriaLogs binary the stack runs, started as two storage nodes and one front node
// (`-storageNode=a,b`: the front takes OTLP inserts and LogsQL selects and spreads them over the
// storage nodes). The repo's collector config points at the front exactly as it points at a
// single node (FAULTLINE_VICTORIALOGS_URL); four register apps' pino lines go through it. Proven:
// every request's lines are found by trace ID through the front (with `fetchTraceLogs`, what
// `faultline explain` uses), both storage nodes hold a share, a storage node down means inserts go
// to the other one and a query says which node it could not reach, and once the node is back
// nothing is lost.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  collectorPortEnv,
  eventually,
  fetchTraceLogs,
  freeCollectorPorts,
  freePort,
  type ManagedProcess,
  repoRoot,
  requireTool,
  startProcess,
  waitHealthy,
} from '@faultline/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, logsQuery, pool, startApp } from './support.js';

// The front node places each log stream (service.name, service.namespace: the exporter's
// VL-Stream-Fields) on one storage node, so a fleet's services spread over the nodes: four
// services here.
const SERVICES = ['checkout', 'ledger', 'inventory', 'shipping'].map((s) => `logs-cluster-${s}`);
const dir = mkdtempSync(join(tmpdir(), 'fl-logs-cluster-'));
const procs: ManagedProcess[] = [];
const nodes: Record<'a' | 'b' | 'front', { port: number; proc?: ManagedProcess }> = {
  a: { port: 0 },
  b: { port: 0 },
  front: { port: 0 },
};
const apps: App[] = [];
let otlpHttp = '';

const url = (node: keyof typeof nodes) => `http://127.0.0.1:${nodes[node].port}`;

async function startNode(node: keyof typeof nodes): Promise<void> {
  const args = [`-storageDataPath=${join(dir, node)}`, `-httpListenAddr=127.0.0.1:${nodes[node].port}`];
  if (node === 'front') args.push(`-storageNode=127.0.0.1:${nodes.a.port},127.0.0.1:${nodes.b.port}`);
  const proc = startProcess(
    `victoria-logs-${node}`,
    requireTool('victoria-logs'),
    args,
    { PATH: process.env.PATH },
    join(dir, `${node}.log`),
  );
  procs.push(proc);
  nodes[node].proc = proc;
  await waitHealthy(proc, `${url(node)}/health`, 30_000);
}

/** Lines of this test's services a node holds (a storage node answers for its own share only). */
async function count(node: keyof typeof nodes): Promise<number> {
  const rows = await logsQuery(url(node), `service.name:~"^logs-cluster-" | stats count() as n`);
  return Number(rows[0]?.n ?? 0);
}

/** Waits until `node` holds `n` lines of this service (the last count is in the timeout message). */
async function until(node: keyof typeof nodes, n: number): Promise<void> {
  let last = -1;
  try {
    await eventually(
      `${n} lines on ${node}`,
      async () => {
        last = await count(node);
        return last === n ? true : undefined;
      },
      30_000,
    );
  } catch (e) {
    throw new Error(`${(e as Error).message} (last count ${last})`);
  }
}

/** n requests to /fail, the services in turn (each logs a warning and an error line); their correlation IDs. */
async function failures(n: number): Promise<string[]> {
  return pool(
    Array.from({ length: n }, (_, i) => i),
    8,
    async (i) => {
      const app = apps[i % apps.length]!;
      const res = await fetch(`http://127.0.0.1:${app.port}/fail?code=dependency_failed`);
      await res.arrayBuffer();
      return res.headers.get('x-correlation-id') ?? '';
    },
  );
}

beforeAll(async () => {
  for (const node of Object.keys(nodes) as (keyof typeof nodes)[]) nodes[node].port = await freePort();
  await startNode('a');
  await startNode('b');
  await startNode('front');
  const ports = await freeCollectorPorts();
  const jaegerAbsent = await freePort();
  const collector = startProcess(
    'collector',
    requireTool('collector'),
    ['--config', `file:${join(repoRoot(), 'collector', 'otelcol.yaml')}`],
    {
      PATH: process.env.PATH,
      FAULTLINE_BIND_HOST: '127.0.0.1',
      ...collectorPortEnv(ports),
      FAULTLINE_COLLECTOR_LOG_LEVEL: 'warn',
      // No Jaeger here: traces are not what this test is about (the exporter retries quietly).
      FAULTLINE_JAEGER_OTLP_ENDPOINT: `127.0.0.1:${jaegerAbsent}`,
      // The cluster's front node, where a single node would be.
      FAULTLINE_VICTORIALOGS_URL: url('front'),
    },
    join(dir, 'collector.log'),
  );
  procs.push(collector);
  await waitHealthy(collector, `http://127.0.0.1:${ports.health}/`, 60_000);
  otlpHttp = `http://127.0.0.1:${ports.otlpHttp}`;
  for (const service of SERVICES) apps.push(await startApp('logging-app.cjs', service, otlpHttp));
}, 120_000);

afterAll(async () => {
  for (const app of apps) await app.stop();
  for (const p of procs.reverse()) await p.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the log store as a cluster (two storage nodes behind a front node)', () => {
  let first: string[] = [];

  it('finds every request’s lines by trace ID through the front; both storage nodes hold a share', async () => {
    first = await failures(60);
    expect(new Set(first).size).toBe(60);
    // Two lines per request (the warning and the error).
    await until('front', 120);
    const a = await count('a');
    const b = await count('b');
    console.log(`[logs-cluster] 120 lines: storage a ${a}, storage b ${b}`);
    expect(a + b).toBe(120);
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(0);
    // What `faultline explain` does for a trace, against the front: each ID has its two lines,
    // scrubbed on the way (the warning's password is gone).
    const answers = await pool(first, 8, (id) => fetchTraceLogs(url('front'), id));
    for (const [i, answer] of answers.entries()) {
      expect(answer.ok, `trace ${first[i]}`).toBe(true);
      if (!answer.ok) continue;
      expect(answer.lines).toHaveLength(2);
      expect(answer.lines.some((l) => l.code === 'dependency_failed')).toBe(true);
      expect(JSON.stringify(answer.lines)).not.toContain('hunter2');
    }
  });

  it('with a storage node down, inserts go to the other node, a query names the missing node, and nothing is lost once it is back', async () => {
    // VictoriaLogs flushes its in-memory rows on SIGTERM, after up to 7 s of graceful HTTP
    // shutdown (the front keeps connections open): give it that time, as restartProgram does, and
    // make sure it was not the SIGKILL fallback that ended it (that would lose unflushed rows).
    const b = nodes.b.proc!;
    await b.stop(20_000);
    expect(b.child.signalCode, 'storage b ended by SIGKILL, not by its own SIGTERM shutdown').not.toBe(
      'SIGKILL',
    );
    const bBefore = 120 - (await count('a'));
    const aBefore = await count('a');
    const during = await failures(30);
    // The front re-routes to the node that is up: storage a gets all 60 new lines.
    await until('a', aBefore + 60);
    // A query through the front fails loudly, naming the node (no silent partial answer).
    const res = await fetch(`${url('front')}/select/logsql/query`, {
      method: 'POST',
      body: new URLSearchParams({ query: `service.name:~"^logs-cluster-" | stats count() as n` }),
    });
    const text = await res.text();
    expect(res.ok).toBe(false);
    expect(text).toContain(`127.0.0.1:${nodes.b.port}`);

    await startNode('b');
    expect(await count('b')).toBe(bBefore);
    await until('front', 180);
    for (const id of [...first.slice(0, 10), ...during.slice(0, 10)]) {
      const answer = await fetchTraceLogs(url('front'), id);
      expect(answer.ok && answer.lines.length, `trace ${id}`).toBe(2);
    }
  });
});
