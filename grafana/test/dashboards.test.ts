// The dashboards as code against what is committed and provisioned: the JSON files are the
// generator's output, every data source a panel uses is provisioned, every PromQL expression
// parses in Prometheus 2.42 (promtool), names only recorded series that exist, and the trickiest
// expression (mean time to resolve) computes what its description says.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { requireTool, run } from '../../prometheus/tools.js';
import {
  allPanelQueries,
  buildDashboards,
  DASHBOARDS,
  dashboardJson,
  interpolate,
  JAEGER_UID,
  PROMETHEUS_UID,
  VICTORIALOGS_TYPE,
  VICTORIALOGS_UID,
} from '../src/index.js';

const grafana = fileURLToPath(new URL('..', import.meta.url));
const repo = join(grafana, '..');
const readYaml = (path: string) => parse(readFileSync(join(grafana, path), 'utf8'));

const work = mkdtempSync(join(tmpdir(), 'faultline-grafana-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('generated dashboards', () => {
  it('are the committed JSON files, one per dashboard and nothing else', () => {
    const committed = readdirSync(join(grafana, 'dashboards')).filter((f) => f.endsWith('.json'));
    expect(committed.sort()).toEqual(
      Object.keys(DASHBOARDS)
        .map((uid) => `${uid}.json`)
        .sort(),
    );
    for (const dashboard of buildDashboards()) {
      const file = readFileSync(join(grafana, 'dashboards', `${dashboard.uid}.json`), 'utf8');
      expect(file, `grafana/dashboards/${dashboard.uid}.json is stale: run pnpm generate in grafana/`).toBe(
        dashboardJson(dashboard),
      );
    }
  });

  it('have four dashboards with datasource and service variables, and panels that explain themselves', () => {
    const dashboards = buildDashboards();
    expect(dashboards.map((d) => d.title)).toEqual([
      'Faultline / Errors overview',
      'Faultline / Service RED',
      'Faultline / Resilience',
      'Faultline / Pipeline health',
    ]);
    for (const dashboard of dashboards) {
      const variables = (dashboard.templating?.list ?? []).map((v) => v.name);
      expect(variables).toContain('datasource');
      if (dashboard.uid !== 'faultline-pipeline-health') expect(variables).toContain('service');
      for (const panel of dashboard.panels ?? []) {
        expect(panel.title, `${dashboard.uid}`).toBeTruthy();
        expect(
          (panel as { description?: string }).description,
          `${dashboard.uid} / ${panel.title}`,
        ).toBeTruthy();
      }
    }
  });
});

describe('data sources', () => {
  const provisioned = readYaml('provisioning/datasources/datasources.yml').datasources as {
    uid: string;
    type: string;
    jsonData?: Record<string, unknown>;
  }[];
  const typeOf = new Map(provisioned.map((ds) => [ds.uid, ds.type]));

  it('are provisioned with the uids the code uses, exemplars linking to Jaeger', () => {
    expect(typeOf.get(PROMETHEUS_UID)).toBe('prometheus');
    expect(typeOf.get(JAEGER_UID)).toBe('jaeger');
    const prometheus = provisioned.find((ds) => ds.uid === PROMETHEUS_UID)!;
    expect(prometheus.jsonData?.exemplarTraceIdDestinations).toEqual([
      expect.objectContaining({ name: 'trace_id', datasourceUid: JAEGER_UID }),
    ]);
    const jaeger = provisioned.find((ds) => ds.uid === JAEGER_UID)!;
    expect(jaeger.jsonData?.tracesToMetrics).toEqual(
      expect.objectContaining({ datasourceUid: PROMETHEUS_UID }),
    );
  });

  it('link traces and log lines both ways by trace ID (Jaeger ⇄ VictoriaLogs)', () => {
    expect(typeOf.get(VICTORIALOGS_UID)).toBe(VICTORIALOGS_TYPE);
    const jaeger = provisioned.find((ds) => ds.uid === JAEGER_UID)!;
    expect(jaeger.jsonData?.tracesToLogsV2).toEqual(
      expect.objectContaining({ datasourceUid: VICTORIALOGS_UID, customQuery: true }),
    );
    const logs = provisioned.find((ds) => ds.uid === VICTORIALOGS_UID)!;
    expect(logs.jsonData?.derivedFields).toEqual([
      expect.objectContaining({
        name: 'trace_id',
        matcherType: 'label',
        matcherRegex: 'trace_id',
        datasourceUid: JAEGER_UID,
      }),
    ]);
  });

  it('expand only the FAULTLINE_* environment variables compose sets ($$ is a literal $)', () => {
    const text = readFileSync(join(grafana, 'provisioning/datasources/datasources.yml'), 'utf8');
    const names = [
      'FAULTLINE_ALERTMANAGER_URL',
      'FAULTLINE_JAEGER_URL',
      'FAULTLINE_PROMETHEUS_URL',
      'FAULTLINE_VICTORIALOGS_URL',
    ];
    const expanded = text.replaceAll('$$', '').match(/\$\{?\w+\}?/g);
    expect(expanded?.sort()).toEqual(names.map((name) => `\${${name}}`));
    expect(text).toContain('{$$__tags}');
    expect(text).toContain('\'trace_id:="$${__trace.traceId}"\'');
    expect(text).toContain("url: '$${__value.raw}'");
    const compose = readFileSync(join(repo, 'docker-compose.yml'), 'utf8');
    for (const name of names) expect(compose).toContain(`${name}: http://`);
  });

  it('used by every panel, target and variable are the provisioned ones', () => {
    const refs: { where: string; type?: string; uid?: string }[] = [];
    const collect = (value: unknown, where: string) => {
      if (Array.isArray(value)) {
        for (const [i, item] of value.entries()) collect(item, `${where}[${i}]`);
      } else if (value !== null && typeof value === 'object') {
        for (const [key, child] of Object.entries(value)) {
          if (key === 'datasource' && typeof child === 'object' && child !== null)
            refs.push({ where, ...child });
          else if (key === 'datasourceUid') refs.push({ where, uid: String(child) });
          else collect(child, `${where}.${key}`);
        }
      }
    };
    for (const dashboard of buildDashboards()) {
      collect(dashboard, dashboard.uid ?? '');
      const variable = dashboard.templating?.list?.find((v) => v.name === 'datasource');
      expect(variable?.type).toBe('datasource');
      expect(variable?.query).toBe('prometheus');
      expect((variable?.current as { value?: string } | undefined)?.value).toBe(PROMETHEUS_UID);
    }
    expect(refs.length).toBeGreaterThan(50);
    for (const ref of refs) {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the Grafana variable the panels use
      const uid = ref.uid === '${datasource}' ? PROMETHEUS_UID : ref.uid;
      expect(typeOf.has(uid ?? ''), `${ref.where} uses data source ${ref.uid}`).toBe(true);
      if (ref.type !== undefined) expect(ref.type, ref.where).toBe(typeOf.get(uid ?? ''));
    }
    expect(refs.some((ref) => ref.uid === JAEGER_UID)).toBe(true);
  });

  it('the dashboard provider reads the directory compose mounts', () => {
    const compose = readFileSync(join(repo, 'docker-compose.yml'), 'utf8');
    expect(compose).toContain('./grafana/dashboards:/var/lib/grafana/dashboards:ro');
    expect(compose).toContain('./grafana/provisioning:/etc/grafana/provisioning:ro');
    const providers = readYaml('provisioning/dashboards/dashboards.yml').providers;
    expect(providers).toEqual([
      expect.objectContaining({
        type: 'file',
        options: expect.objectContaining({ path: '/var/lib/grafana/dashboards' }),
      }),
    ]);
  });
});

describe('allPanelQueries()', () => {
  const queries = allPanelQueries();

  it('lists every PromQL target with what it needs', () => {
    expect(queries.length).toBeGreaterThan(50);
    // Log panels' LogsQL goes to VictoriaLogs, not Prometheus.
    const targets = buildDashboards().flatMap((d) =>
      (d.panels ?? [])
        .filter((p) => (p as { datasource?: { type?: string } }).datasource?.type !== VICTORIALOGS_TYPE)
        .flatMap((p) => ((p as { targets?: { expr?: string }[] }).targets ?? []).filter((t) => t.expr)),
    );
    expect(queries).toHaveLength(targets.length);
    for (const q of queries) {
      expect(['scrape', 'traffic', 'fault', 'pipeline-fault', 'alert']).toContain(q.needs);
      expect(q.refId).toMatch(/^[A-Z]$/);
    }
    const ids = queries.map((q) => `${q.dashboard}/${q.panel}/${q.refId}`);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('gives the errors overview a logs panel of the selected services, from VictoriaLogs', () => {
    const overview = buildDashboards().find((d) => d.uid === 'faultline-errors-overview')!;
    const logs = (overview.panels ?? []).filter((p) => (p as { type?: string }).type === 'logs') as Array<{
      datasource?: { type?: string; uid?: string };
      targets?: { expr?: string; queryType?: string }[];
    }>;
    expect(logs).toHaveLength(1);
    expect(logs[0]!.datasource).toEqual({ type: VICTORIALOGS_TYPE, uid: VICTORIALOGS_UID });
    expect(logs[0]!.targets).toEqual([
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a Grafana variable, interpolated by Grafana
      expect.objectContaining({ expr: 'service.name:~"${service:regex}"', queryType: 'instant' }),
    ]);
  });

  it('interpolates Grafana variables, and refuses unknown ones', () => {
    expect(interpolate('rate(x{service_name=~"$service"}[$__rate_interval])')).toBe(
      'rate(x{service_name=~".*"}[1m])',
    );
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the braced form of a Grafana variable
    expect(interpolate('increase(x[${__range}])', { __range: '3h' })).toBe('increase(x[3h])');
    expect(() => interpolate('x{a="$nope"}')).toThrow('unknown variable $nope');
    for (const q of queries) expect(interpolate(q.expr)).not.toContain('$');
  });

  it('parse in Prometheus 2.42 (promtool check rules)', { timeout: 60_000 }, async () => {
    const promtool = requireTool('promtool');
    const rules = queries.map((q, i) => ({ record: `grafana:query_${i}:check`, expr: interpolate(q.expr) }));
    const file = join(work, 'queries.yml');
    writeFileSync(file, JSON.stringify({ groups: [{ name: 'grafana-queries', rules }] }));
    const result = await run(promtool, ['check', 'rules', file]);
    expect(result.stdout + result.stderr).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(result.code).toBe(0);
  });

  it('name only recorded series that prometheus/rules/recording.yml records', () => {
    const recording = readFileSync(join(repo, 'prometheus', 'rules', 'recording.yml'), 'utf8');
    const recorded = new Set([...recording.matchAll(/- record: (\S+)/g)].map((m) => m[1]));
    const used = new Set(queries.flatMap((q) => q.expr.match(/\b[a-z_]+:[a-z_0-9]+:[a-z_0-9]+\b/g) ?? []));
    expect(used.size).toBeGreaterThan(3);
    for (const name of used) expect(recorded, `${name} is not recorded`).toContain(name);
  });

  it('mean time to resolve: 10 and 20 minutes of firing are 15 minutes (promtool test rules)', async () => {
    const promtool = requireTool('promtool');
    const mttr = queries.find((q) => q.panel === 'Mean time to resolve (alerts)');
    expect(mttr?.needs).toBe('alert');
    const labels = 'alertname="HighErrors",service_name="gateway",severity="ticket"';
    // Pending from minute 8, firing 10-19, resolved; pending from 38, firing 40-59, resolved.
    // ALERTS_FOR_STATE holds the activation time (seconds) of each episode.
    const test = {
      rule_files: ['empty.yml'],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [
            { series: `ALERTS{${labels},alertstate="firing"}`, values: '_x10 1x9 _x20 1x19 _x5' },
            { series: `ALERTS{${labels},alertstate="pending"}`, values: '_x8 1x1 _x28 1x1 _x25' },
            { series: `ALERTS_FOR_STATE{${labels}}`, values: '_x8 480x11 _x18 2280x21 _x5' },
            { series: 'ALERTS{alertname="Watchdog",alertstate="firing",severity="info"}', values: '1x65' },
            { series: 'ALERTS_FOR_STATE{alertname="Watchdog",severity="info"}', values: '0x65' },
            {
              series: 'prometheus_rule_group_interval_seconds{job="prometheus",rule_group="g"}',
              values: '60x65',
            },
          ],
          promql_expr_test: [
            {
              expr: interpolate(mttr!.expr, { __range: '1h' }),
              eval_time: '60m',
              exp_samples: [{ labels: '{}', value: 900 }],
            },
          ],
        },
      ],
    };
    writeFileSync(join(work, 'empty.yml'), 'groups: []\n');
    writeFileSync(join(work, 'mttr.test.yml'), JSON.stringify(test));
    const result = await run(promtool, ['test', 'rules', 'mttr.test.yml'], work);
    expect(result.stdout + result.stderr).toContain('SUCCESS');
    expect(result.code).toBe(0);
  });
});
