// The fleet's two collector tiers against the single-collector config they are merged over
// (collector/fleet/*.yaml over collector/otelcol.yaml): an overlay adds components and redefines
// pipelines, but never defines a receiver or processor and never changes a base component beyond
// its sending queue, so the scrubbing and sampling rules cannot drift between the shapes. The merged
// configs are the real collector's (`print-config`), and each must validate.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configArgs, type FleetTier, fleetConfigFiles, type GatewayResolver } from '../src/fleet-config.js';
import { StackError } from '../src/index.js';
import { repoRoot, requireTool } from '../src/tools.js';

const run = promisify(execFile);
const repo = repoRoot();
const collector = requireTool('collector');

type Section = Record<string, Record<string, unknown> | null>;
interface Pipeline {
  receivers: string[];
  processors?: string[];
  exporters: string[];
}
interface CollectorConfig {
  receivers?: Section;
  processors?: Section;
  exporters?: Section;
  connectors?: Section;
  extensions?: Section;
  service: { extensions?: string[]; pipelines: Record<string, Pipeline> };
}

const yamlFile = (path: string) => parse(readFileSync(path, 'utf8')) as CollectorConfig;
const base = yamlFile(join(repo, 'collector', 'otelcol.yaml'));
const overlays: Record<string, CollectorConfig> = Object.fromEntries(
  ['agent', 'gateway', 'resolver-static', 'resolver-dns', 'resolver-k8s'].map((name) => [
    name,
    yamlFile(join(repo, 'collector', 'fleet', `${name}.yaml`)),
  ]),
);

/** What a base component may gain in an overlay: queueing and routing, never behaviour. */
const ALLOWED_ON_BASE_COMPONENTS = new Set(['sending_queue']);

async function merged(files: string[]): Promise<CollectorConfig> {
  const { stdout } = await run(
    collector,
    ['print-config', '--mode', 'unredacted', '--format', 'json', ...configArgs(files)],
    {
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  return JSON.parse(stdout) as CollectorConfig;
}

async function validate(files: string[]): Promise<void> {
  await run(collector, ['validate', ...configArgs(files)]);
}

const processorsOf = (config: CollectorConfig) =>
  Object.values(config.service.pipelines).flatMap((p) => p.processors ?? []);

describe('fleet overlays (collector/fleet/*.yaml)', () => {
  it.each(Object.keys(overlays))(
    '%s defines no receiver or processor and changes base components only in their queue',
    (name) => {
      const overlay = overlays[name]!;
      expect(overlay.receivers, 'receivers are otelcol.yaml’s').toBeUndefined();
      expect(overlay.processors, 'processors (scrubbing, sampling) are otelcol.yaml’s').toBeUndefined();
      for (const kind of ['exporters', 'connectors', 'extensions'] as const) {
        for (const [id, body] of Object.entries(overlay[kind] ?? {})) {
          if (base[kind]?.[id] === undefined) continue; // a component of the fleet only
          const keys = Object.keys(body ?? {});
          expect(
            keys.filter((k) => !ALLOWED_ON_BASE_COMPONENTS.has(k)),
            `${name}: ${kind}.${id}`,
          ).toEqual([]);
        }
      }
    },
  );

  it('resolvers set only the load_balancing exporter’s resolver', () => {
    for (const name of ['resolver-static', 'resolver-dns', 'resolver-k8s']) {
      const overlay = overlays[name]!;
      expect(Object.keys(overlay)).toEqual(['exporters']);
      expect(Object.keys(overlay.exporters ?? {})).toEqual(['load_balancing']);
      expect(Object.keys(overlay.exporters?.load_balancing ?? {})).toEqual(['resolver']);
    }
  });

  it('keep every extension of otelcol.yaml (the service list is replaced, not appended)', () => {
    for (const name of ['agent', 'gateway']) {
      expect(overlays[name]!.service.extensions).toEqual(
        expect.arrayContaining(base.service.extensions ?? []),
      );
    }
  });
});

describe('merged tiers (the collector’s own merge)', () => {
  const shapes: Array<[FleetTier, GatewayResolver]> = [
    ['agent', 'static'],
    ['agent', 'dns'],
    ['agent', 'k8s'],
    ['gateway', 'static'],
  ];

  it.each(shapes)('%s (resolver %s) validates', async (tier, resolver) => {
    await expect(validate(fleetConfigFiles(repo, tier, resolver))).resolves.toBeUndefined();
  });

  it('share every receiver, processor and connector definition with otelcol.yaml', async () => {
    const one = await merged([join(repo, 'collector', 'otelcol.yaml')]);
    for (const tier of ['agent', 'gateway'] as const) {
      const config = await merged(fleetConfigFiles(repo, tier));
      expect(config.receivers, tier).toEqual(one.receivers);
      expect(config.processors, tier).toEqual(one.processors);
      for (const [id, body] of Object.entries(one.connectors ?? {}))
        expect(config.connectors?.[id], `${tier} ${id}`).toEqual(body);
    }
  }, 60_000);

  it('agent: scrubs, counts every span before sampling, routes traces by trace ID, samples nothing', async () => {
    const one = (await merged([join(repo, 'collector', 'otelcol.yaml')])).service.pipelines;
    const agent = await merged(fleetConfigFiles(repo, 'agent'));
    const { pipelines } = agent.service;
    expect(pipelines['traces/in']).toEqual(one['traces/in']);
    expect(pipelines['traces/in']!.exporters).toEqual(
      expect.arrayContaining(['span_metrics', 'forward/sample']),
    );
    expect(pipelines['traces/sampled']!.exporters).toEqual(['load_balancing']);
    expect(processorsOf(agent)).not.toContain('tail_sampling');
    const lb = agent.exporters?.load_balancing as { routing_key: string; sending_queue: { storage: string } };
    expect(lb.routing_key).toBe('traceID');
    expect(agent.service.extensions).toContain(lb.sending_queue.storage);
    // Logs and metrics: exactly as the single collector (logs straight to the log store).
    expect(pipelines.logs).toEqual(one.logs);
    expect(pipelines.metrics).toEqual(one.metrics);
    expect(pipelines['metrics/spanmetrics']).toEqual(one['metrics/spanmetrics']);
  }, 30_000);

  it('gateway: tail-samples to Jaeger through a disk queue, neither counts nor re-scrubs spans', async () => {
    const gateway = await merged(fleetConfigFiles(repo, 'gateway'));
    const { pipelines } = gateway.service;
    const traceProcessors = Object.entries(pipelines)
      .filter(([id]) => id.startsWith('traces'))
      .flatMap(([, p]) => p.processors ?? []);
    expect(traceProcessors).toContain('tail_sampling');
    expect(traceProcessors).not.toEqual(expect.arrayContaining(['transform/scrub']));
    expect(traceProcessors).not.toContain('redaction');
    expect(Object.values(pipelines).flatMap((p) => [...p.receivers, ...p.exporters])).not.toContain(
      'span_metrics',
    );
    expect(pipelines['traces/sampled']).toEqual(base.service.pipelines['traces/sampled']);
    const jaeger = gateway.exporters?.['otlp_grpc/jaeger'] as {
      sending_queue: { storage: string };
    };
    expect(jaeger.sending_queue.storage).toBe('file_storage/queue');
    expect(gateway.service.extensions).toContain(jaeger.sending_queue.storage);
  }, 30_000);

  it('a tier that forgets a base pipeline does not validate (the check above can fail)', async () => {
    // The gateway without its metrics redefinitions: span_metrics would be a receiver nothing feeds.
    const text = readFileSync(join(repo, 'collector', 'fleet', 'gateway.yaml'), 'utf8');
    const dir = mkdtempSync(join(tmpdir(), 'faultline-fleet-config-'));
    const broken = join(dir, 'gateway.yaml');
    writeFileSync(broken, text.replace(/\n {4}metrics:[\s\S]*$/, '\n'));
    try {
      await expect(validate([join(repo, 'collector', 'otelcol.yaml'), broken])).rejects.toThrow(
        /span_metrics/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses an unknown tier or resolver with a usage error', () => {
    expect(() => fleetConfigFiles(repo, 'edge' as FleetTier)).toThrow(StackError);
    expect(() => fleetConfigFiles(repo, 'agent', 'consul' as GatewayResolver)).toThrow(
      /FAULTLINE_ERR_STACK_BAD_OPTION/,
    );
  });
});
