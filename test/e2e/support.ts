import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { appEnv, freePort } from '@faultline/stack';

export const repo = fileURLToPath(new URL('../../', import.meta.url));
export const registerCjs = `${repo}packages/node/dist/register.cjs`;

export interface App {
  child: ChildProcess;
  port: number;
  metricsPort: number;
  output: () => string;
  stop(): Promise<void>;
}

/** Adds a /metrics target to the stack's file-based service discovery (its own target group). */
export function addScrapeTarget(servicesFile: string, target: string): void {
  let groups: Array<{ targets: string[]; labels?: Record<string, string> }> = [];
  try {
    groups = JSON.parse(readFileSync(servicesFile, 'utf8'));
  } catch {
    groups = [];
  }
  if (!groups.some((g) => g.targets.includes(target)))
    groups.push({ targets: [target], labels: { job: 'faultline-services' } });
  writeFileSync(servicesFile, JSON.stringify(groups));
}

/** Starts a fixture with the register, on free ports, exporting to the stack; resolves once it listens. */
export async function startApp(fixture: string, serviceName: string, otlpHttpUrl: string): Promise<App> {
  const port = await freePort();
  const metricsPort = await freePort();
  let out = '';
  const child = fork(fileURLToPath(new URL(`./fixtures/${fixture}`, import.meta.url)), [], {
    execArgv: ['--require', registerCjs],
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      ...appEnv(otlpHttpUrl, serviceName, metricsPort),
      FAULTLINE_ERRORS_DIST: `${repo}packages/errors/dist/index.cjs`,
      NODE_PATH: `${repo}packages/node/node_modules`,
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${fixture} did not start:\n${out}`)), 30_000);
    child.once('message', () => {
      clearTimeout(timer);
      resolve();
    });
    child.once('exit', (code) => reject(new Error(`${fixture} exited with ${code}:\n${out}`)));
  });
  return {
    child,
    port,
    metricsPort,
    output: () => out,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** One LogsQL query against VictoriaLogs' HTTP API: its JSON lines, parsed (every value a string). */
export async function logsQuery(
  logsUrl: string,
  query: string,
  limit = 10_000,
): Promise<Array<Record<string, string>>> {
  const res = await fetch(`${logsUrl}/select/logsql/query`, {
    method: 'POST',
    body: new URLSearchParams({ query, limit: String(limit) }),
    signal: AbortSignal.timeout(20_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`VictoriaLogs answered ${res.status} for ${query}: ${text.slice(0, 300)}`);
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, string>);
}

/** Whether Jaeger has the trace (API v3). */
export async function inJaeger(jaegerUrl: string, traceId: string): Promise<boolean> {
  const res = await fetch(`${jaegerUrl}/api/v3/traces/${traceId}`, { signal: AbortSignal.timeout(10_000) });
  const body = await res.text();
  return res.ok && body.includes('"spans"');
}

/** Runs `items` through `work` with at most `concurrency` at a time; results in order. */
export async function pool<T, R>(
  items: T[],
  concurrency: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
  return out;
}
