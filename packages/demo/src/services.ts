import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, type ManagedProcess, startProcess, waitHealthy } from '@faultline/stack';
import { sleep } from './sleep.js';

export type ServiceName = 'inventory' | 'worker' | 'gateway';
export const SERVICE_NAMES: readonly ServiceName[] = ['inventory', 'worker', 'gateway'];

/** packages/demo: its dist/ holds the services; `--require` modules resolve from its package.json. */
export const DEMO_DIR = fileURLToPath(new URL('..', import.meta.url));
export const DEFAULT_PRELOAD = '@faultline/node/register';

export function serviceFile(name: ServiceName): string {
  return join(DEMO_DIR, 'dist', `${name}.cjs`);
}

/** The knobs a user's environment may set for the services (fault injection, resilience, logs). */
const PASSTHROUGH =
  /^(GATEWAY_|WORKER_|INVENTORY_|LOG_LEVEL$|FAULTLINE_ENVIRONMENT$|FAULTLINE_FLUSH_TIMEOUT_MS$)/;

export interface StartServicesOptions {
  /** Telemetry environment for one service (the stack's appEnv, console exporters, a bench sink). */
  telemetryEnv: (service: ServiceName, metricsPort: number) => Record<string, string>;
  /** Where each service's stdout/stderr goes (`<name>.log`). */
  logDir: string;
  /** The module given to `--require`; empty for none. Default @faultline/node/register. */
  preload?: string;
  /** Extra environment per service (wins over the passthrough of the caller's environment). */
  env?: Partial<Record<ServiceName, Record<string, string>>>;
  /** Restart a worker that exits by itself after this many ms (0: leave it dead). Default 3000. */
  restartWorkerAfterMs?: number;
  /** Told about crashes and restarts. */
  onEvent?: (message: string) => void;
  startTimeoutMs?: number;
}

export interface RunningServices {
  gatewayUrl: string;
  inventoryUrl: string;
  workerAddress: string;
  /** host:port of each service's Prometheus /metrics. */
  metricsTargets: Record<ServiceName, string>;
  logFiles: Record<ServiceName, string>;
  /** How many times the worker exited by itself (and was restarted, if configured). */
  workerExits(): number;
  /** Resolves when the worker answers again (after a restart). */
  workerReady(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(1_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Starts inventory, worker and gateway as child processes, each under `--require <preload>` with
 * its telemetry environment, on free loopback ports, and waits until they answer. A worker that
 * exits by itself (the `crash` fault) is restarted on the same port after a delay.
 */
export async function startServices(options: StartServicesOptions): Promise<RunningServices> {
  mkdirSync(options.logDir, { recursive: true });
  // Resolved from this package (which depends on it), so the services need no particular cwd.
  const preload = options.preload ?? DEFAULT_PRELOAD;
  const preloadPath = preload === '' ? '' : createRequire(join(DEMO_DIR, 'package.json')).resolve(preload);
  const restartAfter = options.restartWorkerAfterMs ?? 3_000;
  const startTimeout = options.startTimeoutMs ?? 60_000;
  const notify = options.onEvent ?? (() => {});
  const ports = {
    gateway: await freePort(),
    worker: await freePort(),
    inventory: await freePort(),
  };
  const metrics = {
    gateway: await freePort(),
    worker: await freePort(),
    inventory: await freePort(),
  };
  const inventoryUrl = `http://127.0.0.1:${ports.inventory}`;
  const workerAddress = `127.0.0.1:${ports.worker}`;
  const gatewayUrl = `http://127.0.0.1:${ports.gateway}`;
  const wiring: Record<ServiceName, Record<string, string>> = {
    inventory: { INVENTORY_PORT: String(ports.inventory) },
    worker: { WORKER_PORT: String(ports.worker) },
    gateway: {
      GATEWAY_PORT: String(ports.gateway),
      WORKER_ADDRESS: workerAddress,
      INVENTORY_URL: inventoryUrl,
    },
  };
  const passthrough: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && PASSTHROUGH.test(key)) passthrough[key] = value;
  }
  const logFiles = Object.fromEntries(
    SERVICE_NAMES.map((name) => [name, join(options.logDir, `${name}.log`)]),
  ) as Record<ServiceName, string>;

  const procs = new Map<ServiceName, ManagedProcess>();
  let stopping = false;
  let workerExits = 0;
  let restartTimer: NodeJS.Timeout | undefined;

  const spawnService = (name: ServiceName): ManagedProcess => {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      ...passthrough,
      ...options.telemetryEnv(name, metrics[name]),
      ...options.env?.[name],
      ...wiring[name],
    };
    const args = preloadPath === '' ? [serviceFile(name)] : ['--require', preloadPath, serviceFile(name)];
    // startProcess appends output to the log file and SIGKILLs the child if this process exits.
    const proc = startProcess(name, process.execPath, args, env, logFiles[name]);
    procs.set(name, proc);
    proc.child.once('exit', (code, signal) => {
      if (stopping) return;
      if (name !== 'worker') {
        notify(`${name} exited (${code ?? signal}); see ${logFiles[name]}`);
        return;
      }
      workerExits++;
      if (restartAfter <= 0) {
        notify(`worker exited (${code ?? signal}); not restarting`);
        return;
      }
      notify(`worker exited (${code ?? signal}); restarting it in ${(restartAfter / 1000).toFixed(1)} s`);
      restartTimer = setTimeout(() => {
        restartTimer = undefined;
        if (stopping) return;
        spawnService('worker');
        notify('worker restarted');
      }, restartAfter);
    });
    return proc;
  };

  const workerReady = async (timeoutMs = startTimeout) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const child = procs.get('worker')?.child;
      if (child && !exited(child) && (await tcpOpen(ports.worker))) return;
      await sleep(100);
    }
    throw new Error(`the worker did not answer on ${workerAddress} within ${timeoutMs} ms`);
  };

  const stop = async () => {
    stopping = true;
    if (restartTimer) clearTimeout(restartTimer);
    await Promise.all([...procs.values()].map((proc) => proc.stop()));
  };

  try {
    const inventory = spawnService('inventory');
    spawnService('worker');
    const gateway = spawnService('gateway');
    await waitHealthy(inventory, `${inventoryUrl}/healthz`, startTimeout);
    await workerReady(startTimeout);
    await waitHealthy(gateway, `${gatewayUrl}/healthz`, startTimeout);
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}; logs in ${options.logDir}`);
  }

  return {
    gatewayUrl,
    inventoryUrl,
    workerAddress,
    metricsTargets: {
      gateway: `127.0.0.1:${metrics.gateway}`,
      worker: `127.0.0.1:${metrics.worker}`,
      inventory: `127.0.0.1:${metrics.inventory}`,
    },
    logFiles,
    workerExits: () => workerExits,
    workerReady,
    stop,
  };
}
