// docker-compose.yml, loaded by the real Compose loader (tools/compose-check: compose-go, the
// library `docker compose` is built on, and BuildKit's Dockerfile parser) and cross-checked against
// what the loopback stack runs: the same config files, the ports those configs listen on, the
// versions scripts/setup-tools.sh installs, persistent volumes, and an Alertmanager receiver that
// exists. No Docker engine is needed: nothing is started.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireTool } from '@faultline/stack';
import { beforeAll, describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('..', import.meta.url));
const YAML = createRequire(join(repo, 'packages/stack/package.json'))('yaml') as {
  parse(text: string): unknown;
};

interface Mount {
  type: string;
  source: string;
  target: string;
  read_only?: boolean;
}
interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[] | null;
  environment?: Record<string, string | null>;
  ports?: { target: number; published?: string; host_ip?: string }[];
  volumes?: Mount[];
  network_mode?: string;
  depends_on?: Record<string, { condition: string }>;
}
interface Loaded {
  project: { services: Record<string, Service>; volumes?: Record<string, unknown> };
  dockerfiles: Record<string, { stages: { name: string; base: string }[]; instructions: string[] }>;
}

function composeCheck(
  files: string[],
  cwd = repo,
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(requireTool('compose-check'), ['-profile', '*', ...files], {
    cwd,
    encoding: 'utf8',
    timeout: 60_000,
    // Only what the file's own defaults say: no stray variable from the test's environment.
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const text = (path: string) => readFileSync(join(repo, path), 'utf8');
const shVar = (file: string, name: string) => {
  const m = text(file).match(
    new RegExp(`^${name}="?\\$\\{${name}:-([^}"]+)\\}"?|^${name}="?([^"\\s#]+)`, 'm'),
  );
  const value = m?.[1] ?? m?.[2];
  if (!value) throw new Error(`${name} not found in ${file}`);
  return value;
};

/** `${env:NAME:-default}` placeholders of a collector/Jaeger config, as NAME → default. */
function envDefaults(file: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text(file).matchAll(/\$\{env:([A-Z0-9_]+):-([^}]*)\}/g))
    out.set(m[1] as string, m[2] as string);
  return out;
}

let loaded: Loaded;
let services: Record<string, Service>;
beforeAll(() => {
  const r = composeCheck(['docker-compose.yml']);
  expect(r.status, r.stderr).toBe(0);
  loaded = JSON.parse(r.stdout) as Loaded;
  services = loaded.project.services;
});

function service(name: string): Service {
  const s = services[name];
  if (!s) throw new Error(`docker-compose.yml has no service ${name}`);
  return s;
}
const published = (name: string) => (service(name).ports ?? []).map((p) => p.target);
const mountOf = (name: string, target: string) => service(name).volumes?.find((v) => v.target === target);
const flag = (name: string, prefix: string) =>
  service(name)
    .command?.find((c) => c.startsWith(prefix))
    ?.slice(prefix.length);

describe('docker-compose.yml through the real Compose loader', () => {
  it('loads, with every profile enabled, and the loader really checks (a bad file is refused)', () => {
    expect(Object.keys(services)).toEqual(
      expect.arrayContaining([
        'otel-collector',
        'jaeger',
        'prometheus',
        'alertmanager',
        'grafana',
        'gateway',
        'loadgen',
      ]),
    );
    const dir = mkdtempSync(join(tmpdir(), 'faultline-compose-'));
    try {
      writeFileSync(
        join(dir, 'compose.yml'),
        'services:\n  a:\n    image: busybox:1.36.1\n    depends_on: [missing]\n',
      );
      const bad = composeCheck(['compose.yml'], dir);
      expect(bad.status).toBe(1);
      expect(bad.stderr).toMatch(/missing/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('pins every image to an exact version, at the versions the loopback stack runs', () => {
    for (const [name, s] of Object.entries(services)) {
      expect(s.image, name).toMatch(/^[\w./-]+:v?\d+\.\d+\.\d+(-[\w.]+)?$/);
    }
    const builder = YAML.parse(text('collector/builder-config.yaml')) as { dist: { version: string } };
    expect(service('otel-collector').image).toBe(
      `otel/opentelemetry-collector-contrib:${builder.dist.version}`,
    );
    expect(service('jaeger').image).toBe(
      `jaegertracing/jaeger:${shVar('scripts/setup-tools.sh', 'JAEGER_RELEASE').replace(/^v/, '')}`,
    );
    expect(service('prometheus').image).toBe(
      `prom/prometheus:v${shVar('scripts/setup-tools.sh', 'PROMETHEUS_UPSTREAM')}`,
    );
    expect(service('alertmanager').image).toBe(
      `prom/alertmanager:v${shVar('scripts/setup-tools.sh', 'ALERTMANAGER_UPSTREAM')}`,
    );
  });

  it('builds the demo services from the repository Dockerfile, on the Node and pnpm the tests use', () => {
    const demo = ['gateway', 'worker', 'inventory', 'loadgen', 'alert-receiver'];
    for (const name of demo) {
      const s = service(name);
      expect(s.build, name).toBeDefined();
      expect(relative(repo, join(s.build?.context ?? '', s.build?.dockerfile ?? ''))).toBe('Dockerfile');
      // No host build mounted into the container.
      expect(s.volumes ?? [], name).toEqual([]);
      expect(loaded.dockerfiles[name]?.stages.length, name).toBeGreaterThan(0);
    }
    const dockerfile = loaded.dockerfiles.gateway;
    const node = shVar('scripts/env.sh', 'FAULTLINE_NODE_VERSION');
    const stageNames = new Set(dockerfile?.stages.map((s) => s.name));
    for (const stage of dockerfile?.stages ?? []) {
      if (!stageNames.has(stage.base)) expect(stage.base).toBe(`node:${node}-bookworm-slim`);
    }
    const instructions = dockerfile?.instructions ?? [];
    expect(
      instructions.some((i) => i.includes(`pnpm@${shVar('scripts/env.sh', 'FAULTLINE_PNPM_VERSION')}`)),
    ).toBe(true);
    // Every workspace manifest is copied before the install (a new package must be added there).
    const workspace = ['grafana', ...readdirSync(join(repo, 'packages')).map((p) => `packages/${p}`)].filter(
      (p) => existsSync(join(repo, p, 'package.json')),
    );
    for (const pkg of workspace) expect(instructions, pkg).toContain(`COPY ${pkg}/package.json ${pkg}/`);
    // Every COPY from the build context names something that exists.
    for (const i of instructions.filter((i) => /^COPY (?!--from)/i.test(i))) {
      const sources = i.split(/\s+/).slice(1, -1);
      for (const src of sources) expect(existsSync(join(repo, src)), i).toBe(true);
    }
    // The commands compose runs are files the demo build writes.
    const entries = text('packages/demo/tsup.config.ts');
    for (const name of demo) {
      const file = service(name).command?.find((c) => c.startsWith('dist/'));
      expect(file, name).toBeDefined();
      const entry = file?.replace(/^dist\//, '').replace(/\.(c?js)$/, '');
      expect(entries, `${name}: ${file}`).toMatch(new RegExp(`['"]?${entry}['"]?: 'src/`));
    }
  });

  it('mounts the configs the loopback stack runs, read-only, where the commands read them', () => {
    const expectMount = (name: string, source: string, target: string) => {
      const m = mountOf(name, target);
      expect(m, `${name} mounts ${target}`).toBeDefined();
      expect(relative(repo, m?.source ?? '')).toBe(source);
      expect(m?.read_only, `${name} ${target}`).toBe(true);
      expect(existsSync(join(repo, source))).toBe(true);
    };
    expectMount('otel-collector', 'collector/otelcol.yaml', '/etc/faultline/otelcol.yaml');
    expect(service('otel-collector').command).toContain('--config=/etc/faultline/otelcol.yaml');
    expectMount('jaeger', 'collector/jaeger.yaml', '/etc/faultline/jaeger.yaml');
    expect(service('jaeger').command?.join(' ')).toContain('/etc/faultline/jaeger.yaml');
    expectMount('prometheus', 'prometheus/prometheus.yml', '/etc/prometheus/prometheus.yml');
    expectMount('prometheus', 'prometheus/rules', '/etc/prometheus/rules');
    expect(flag('prometheus', '--config.file=')).toBe('/etc/prometheus/prometheus.yml');
    expectMount('alertmanager', 'prometheus/alertmanager.yml', '/etc/alertmanager/alertmanager.yml');
    expect(flag('alertmanager', '--config.file=')).toBe('/etc/alertmanager/alertmanager.yml');
    expectMount('grafana', 'grafana/provisioning', '/etc/grafana/provisioning');
    expectMount('grafana', 'grafana/dashboards', '/var/lib/grafana/dashboards');
    // prometheus.yml's rule_files are inside the mounted rules directory.
    const prom = YAML.parse(text('prometheus/prometheus.yml')) as { rule_files: string[] };
    for (const file of prom.rule_files) {
      expect(posix.resolve('/etc/prometheus', file).startsWith('/etc/prometheus/rules/'), file).toBe(true);
    }
  });

  it('publishes, on the host loopback only, the ports the collector and Jaeger configs listen on', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const p of s.ports ?? []) expect(p.host_ip, `${name}:${p.target}`).toBe('127.0.0.1');
    }
    const collector = envDefaults('collector/otelcol.yaml');
    const collectorPorts = [...collector]
      .filter(([k]) => /^FAULTLINE_COLLECTOR_.*_PORT$/.test(k))
      .map(([, v]) => Number(v));
    expect(collectorPorts.length).toBeGreaterThanOrEqual(6);
    expect(published('otel-collector').sort()).toEqual(collectorPorts.sort());
    const jaeger = envDefaults('collector/jaeger.yaml');
    expect(published('jaeger').sort()).toEqual(
      [
        Number(jaeger.get('FAULTLINE_JAEGER_QUERY_HTTP_PORT')),
        Number(jaeger.get('FAULTLINE_JAEGER_QUERY_GRPC_PORT')),
      ].sort(),
    );
    // The collector exports to Jaeger's OTLP port, by compose service name.
    expect(service('otel-collector').environment?.FAULTLINE_JAEGER_OTLP_ENDPOINT).toBe(
      `jaeger:${jaeger.get('FAULTLINE_JAEGER_OTLP_GRPC_PORT')}`,
    );
    // Both listen on the container network, not on the container's loopback.
    expect(service('otel-collector').environment?.FAULTLINE_BIND_HOST).toBe('0.0.0.0');
    expect(service('jaeger').environment?.FAULTLINE_BIND_HOST).toBe('0.0.0.0');
  });

  it('scrapes, in prometheus.yml, only service:port pairs that compose runs and that listen there', () => {
    const collector = envDefaults('collector/otelcol.yaml');
    const jaeger = envDefaults('collector/jaeger.yaml');
    const listens: Record<string, number[]> = {
      'otel-collector': [
        Number(collector.get('FAULTLINE_COLLECTOR_PROMETHEUS_PORT')),
        Number(collector.get('FAULTLINE_COLLECTOR_TELEMETRY_PORT')),
      ],
      jaeger: [Number(jaeger.get('FAULTLINE_JAEGER_METRICS_PORT'))],
      alertmanager: [9093],
    };
    for (const name of ['gateway', 'worker', 'inventory']) {
      listens[name] = [Number(service(name).environment?.OTEL_EXPORTER_PROMETHEUS_PORT)];
    }
    const prom = YAML.parse(text('prometheus/prometheus.yml')) as {
      alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
      scrape_configs: { job_name: string; static_configs?: { targets: string[] }[] }[];
    };
    const targets = [
      ...prom.alerting.alertmanagers.flatMap((a) => a.static_configs.flatMap((c) => c.targets)),
      ...prom.scrape_configs.flatMap((j) => (j.static_configs ?? []).flatMap((c) => c.targets)),
    ].filter((t) => !t.startsWith('localhost:'));
    expect(targets.length).toBeGreaterThanOrEqual(7);
    for (const target of targets) {
      const [host, port] = target.split(':');
      expect(services[host as string], `${target} is a compose service`).toBeDefined();
      expect(listens[host as string], target).toContain(Number(port));
    }
  });

  it("delivers Alertmanager's notifications to a receiver inside the compose network", () => {
    const am = YAML.parse(text('prometheus/alertmanager.yml')) as {
      receivers: { name: string; webhook_configs?: { url: string }[] }[];
    };
    const urls = am.receivers.flatMap((r) => (r.webhook_configs ?? []).map((w) => new URL(w.url)));
    expect(urls.length).toBeGreaterThanOrEqual(3);
    const receiver = service('alert-receiver');
    // Sharing Alertmanager's network namespace, its 127.0.0.1 is the receiver's.
    expect(receiver.network_mode).toBe('service:alertmanager');
    for (const url of urls) {
      expect(url.hostname).toBe('127.0.0.1');
      expect(url.port).toBe(receiver.environment?.ALERT_RECEIVER_PORT);
    }
    expect(published('alertmanager')).toContain(Number(receiver.environment?.ALERT_RECEIVER_PORT));
    // The receiver listens on the container network, so the published port reaches it too.
    expect(receiver.environment?.ALERT_RECEIVER_HOST).toBe('0.0.0.0');
  });

  it('keeps the data of Prometheus and Alertmanager in named volumes across restarts', () => {
    const named = (name: string, target: string | undefined) => {
      expect(target, `${name} has a data path`).toBeDefined();
      const m = mountOf(name, target as string);
      expect(m?.type, `${name} ${target}`).toBe('volume');
      expect(Object.keys(loaded.project.volumes ?? {})).toContain(m?.source);
    };
    named('prometheus', flag('prometheus', '--storage.tsdb.path='));
    named('alertmanager', flag('alertmanager', '--storage.path='));
    named('victoria-logs', flag('victoria-logs', '-storageDataPath='));
    // Jaeger keeps Badger's keys and values under FAULTLINE_JAEGER_DATA_DIR (collector/jaeger.yaml).
    expect(text('collector/jaeger.yaml')).toMatch(/keys: \$\{env:FAULTLINE_JAEGER_DATA_DIR:-[^}]+\}\/keys/);
    const badger = service('jaeger').environment?.FAULTLINE_JAEGER_DATA_DIR ?? undefined;
    named('jaeger', badger);
    // Jaeger runs as uid 10001: the init service hands it the same volume first.
    const init = service('jaeger-data-init');
    expect(init.command).toEqual(['chown', '-R', '10001:10001', badger]);
    expect(init.volumes?.[0]?.source).toBe(mountOf('jaeger', badger as string)?.source);
    expect(service('jaeger').depends_on?.['jaeger-data-init']?.condition).toBe(
      'service_completed_successfully',
    );
  });

  it("ships the collector's logs to the log store compose runs, on the port it listens on", () => {
    const listen = flag('victoria-logs', '-httpListenAddr=');
    expect(listen).toMatch(/^:\d+$/);
    const port = Number(listen?.slice(1));
    expect(published('victoria-logs')).toEqual([port]);
    expect(service('otel-collector').environment?.FAULTLINE_VICTORIALOGS_URL).toBe(
      `http://victoria-logs:${port}`,
    );
    expect(envDefaults('collector/otelcol.yaml').has('FAULTLINE_VICTORIALOGS_URL')).toBe(true);
    // Grafana's log data source reads the same store, with its plugin pinned.
    expect(service('grafana').environment?.FAULTLINE_VICTORIALOGS_URL).toBe(`http://victoria-logs:${port}`);
    expect(service('grafana').environment?.GF_PLUGINS_PREINSTALL_SYNC).toMatch(
      /^victoriametrics-logs-datasource@\d+\.\d+\.\d+$/,
    );
  });
});
