// Shared by the demo's end-to-end tests: the demo services against the e2e project's real
// pipeline (inject('stack')), their metrics ports in Prometheus' file-SD list, and Jaeger reads.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appEnv, buildTree, eventually, parseJaegerBody, type TraceTree } from '@faultline/stack';
import type { ProvidedStack } from '../../../stack/test/global-setup.js';
import { type RunningServices, type ServiceName, startServices } from '../../src/services.js';

type TargetGroup = { targets: string[]; labels: Record<string, string> };

function readGroups(file: string): TargetGroup[] {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as TargetGroup[];
  } catch {
    return [];
  }
}

/** Adds the services' metrics targets to Prometheus' file-SD list; returns the undo. */
function addTargets(file: string, targets: string[]): () => void {
  writeFileSync(
    file,
    JSON.stringify([...readGroups(file), { targets, labels: { job: 'faultline-services' } }]),
  );
  return () => {
    const left = readGroups(file)
      .map((g) => ({ ...g, targets: g.targets.filter((t) => !targets.includes(t)) }))
      .filter((g) => g.targets.length > 0);
    writeFileSync(file, JSON.stringify(left));
  };
}

export interface DemoUnderTest extends RunningServices {
  /** Stops the services and takes their targets out of Prometheus' list (idempotent). */
  close(): Promise<void>;
}

/** The demo's three services, instrumented by the register, exporting to the test pipeline. */
export async function startDemo(
  stack: ProvidedStack,
  env: Partial<Record<ServiceName, Record<string, string>>> = {},
  restartWorkerAfterMs = 3_000,
): Promise<DemoUnderTest> {
  const services = await startServices({
    telemetryEnv: (service, metricsPort) => appEnv(stack.urls.otlpHttp, service, metricsPort),
    logDir: mkdtempSync(join(tmpdir(), 'faultline-demo-e2e-')),
    env,
    restartWorkerAfterMs,
  });
  const removeTargets = addTargets(stack.servicesFile, Object.values(services.metricsTargets));
  let closed = false;
  return {
    ...services,
    async close() {
      if (closed) return;
      closed = true;
      removeTargets();
      await services.stop();
    },
  };
}

/** The trace as Jaeger's API v3 returns it, parsed into explain's tree; waits until `ready` says so. */
export async function jaegerTree(
  stack: ProvidedStack,
  traceId: string,
  ready: (tree: TraceTree) => boolean,
  timeoutMs = 60_000,
): Promise<TraceTree> {
  return eventually(
    `trace ${traceId} in Jaeger`,
    async () => {
      const res = await fetch(`${stack.urls.jaegerQuery}/api/v3/traces/${traceId}`);
      const body = await res.text();
      if (!res.ok) return undefined;
      const tree = buildTree(parseJaegerBody(body), traceId);
      return ready(tree) ? tree : undefined;
    },
    timeoutMs,
  );
}

export type Node = TraceTree['roots'][number];

export function allSpans(tree: TraceTree): Node[] {
  const out: Node[] = [];
  const visit = (n: Node) => {
    out.push(n);
    n.children.forEach(visit);
  };
  tree.roots.forEach(visit);
  return out;
}

/** The first span below (or at) `from` matching `test`, depth first. */
export function findBelow(from: Node, test: (n: Node) => boolean): Node | undefined {
  if (test(from)) return from;
  for (const c of from.children) {
    const hit = findBelow(c, test);
    if (hit) return hit;
  }
  return undefined;
}
