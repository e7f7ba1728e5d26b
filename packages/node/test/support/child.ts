import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const PKG_DIR = fileURLToPath(new URL('../..', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
export const REGISTER_CJS = `${PKG_DIR}dist/register.cjs`;

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunningChild {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first stdout line matching the pattern. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<ChildResult>;
}

const running = new Set<ChildProcess>();

/** Starts `node ...args` with a clean OTEL_/FAULTLINE_ environment plus `env`. */
export function spawnNode(args: string[], env: Record<string, string> = {}): RunningChild {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('OTEL_') && !k.startsWith('FAULTLINE_') && k !== 'NODE_OPTIONS')
      base[k] = v;
  }
  const child = spawn(process.execPath, args, { cwd: FIXTURES, env: { ...base, ...env }, stdio: 'pipe' });
  running.add(child);
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
    for (const l of listeners) l();
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<ChildResult>((resolve) => {
    child.on('exit', (code, signal) => {
      running.delete(child);
      // Let the pipes drain.
      setTimeout(() => resolve({ code, signal, stdout: out, stderr: err }), 50);
    });
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForLine(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = out.match(pattern);
          if (!m) return;
          listeners.delete(check);
          clearTimeout(timer);
          resolve(m);
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(
            new Error(`no line matching ${pattern} within ${timeoutMs} ms; stdout:\n${out}\nstderr:\n${err}`),
          );
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
  };
}

export async function runNode(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 60_000,
): Promise<ChildResult> {
  const c = spawnNode(args, env);
  const timer = setTimeout(() => c.child.kill('SIGKILL'), timeoutMs);
  const result = await c.exited;
  clearTimeout(timer);
  return result;
}

export function killAll(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

/** The built package must exist: spawned apps load dist, never src. */
export async function ensureBuilt(): Promise<void> {
  if (existsSync(REGISTER_CJS) && existsSync(`${PKG_DIR}dist/register-esm.js`)) return;
  const r = await new Promise<number | null>((resolve) => {
    const p = spawn('pnpm', ['run', 'build'], { cwd: PKG_DIR, stdio: 'ignore' });
    p.on('exit', resolve);
  });
  if (r !== 0) throw new Error('building @faultline/node failed');
}

/** Every span/log from a child is exported promptly; the tests wait on the receiver, never on time. */
export function otlpEnv(url: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: url,
    OTEL_BSP_SCHEDULE_DELAY: '100',
    OTEL_BLRP_SCHEDULE_DELAY: '100',
    OTEL_METRIC_EXPORT_INTERVAL: '60000',
    ...extra,
  };
}

/** A port that was free a moment ago (the Prometheus exporter cannot be given port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
