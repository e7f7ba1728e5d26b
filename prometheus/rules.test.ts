// Offline checks of the alerting configuration with the real tools (promtool 2.42, amtool and
// alertmanager 0.25): the rules parse, every promtool unit test passes, every alert has a test in
// which it fires and one in which it stays silent, every runbook link lands on a section, routing
// sends each severity where alertmanager.yml says, and inhibition and delivery work in a real
// Alertmanager on loopback.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTool, run } from './tools.js';

const dir = fileURLToPath(new URL('.', import.meta.url));
const read = (path: string) => readFileSync(join(dir, path), 'utf8');

const ruleFiles = ['rules/recording.yml', 'rules/alerts.yml'];
const testFiles = readdirSync(join(dir, 'tests'))
  .filter((name) => name.endsWith('.test.yml'))
  .map((name) => `tests/${name}`);

const ROUTE_BY_SEVERITY: Record<string, string> = {
  page: 'webhook-page',
  ticket: 'webhook-ticket',
  info: 'webhook-default',
};

interface AlertRule {
  name: string;
  severity: string | undefined;
  serviceName: string | undefined;
  runbookUrl: string | undefined;
}

/** The alert rules of alerts.yml, read from its (fixed) layout: one `- alert:` block each. */
function alertRules(): AlertRule[] {
  const blocks = read('rules/alerts.yml')
    .split(/^\s+- alert: /m)
    .slice(1);
  return blocks.map((block) => ({
    name: block.split('\n', 1)[0]!.trim(),
    severity: /^\s+severity: (\S+)$/m.exec(block)?.[1],
    serviceName: /^\s+service_name: (\S+)$/m.exec(block)?.[1],
    runbookUrl: /^\s+runbook_url: (\S+)$/m.exec(block)?.[1],
  }));
}

interface AlertCase {
  file: string;
  alertname: string;
  fires: boolean;
  labelBlocks: string[];
}

/** Every alert_rule_test case: the text from one `- eval_time:` to the next. */
function alertCases(): AlertCase[] {
  return testFiles.flatMap((file) =>
    read(file)
      .split(/^\s+- eval_time: /m)
      .slice(1)
      .map((chunk) => {
        const alertname = /^\s+alertname: (\S+)$/m.exec(chunk)?.[1];
        const silent = /^\s+exp_alerts: \[\]$/m.test(chunk);
        const labelBlocks = [...chunk.matchAll(/- exp_labels:\n([\s\S]*?)\n\s+exp_annotations:/g)].map(
          (m) => m[1]!,
        );
        if (alertname === undefined || silent === labelBlocks.length > 0) {
          throw new Error(`${file}: cannot read the alert_rule_test case starting "${chunk.slice(0, 60)}"`);
        }
        return { file, alertname, fires: !silent, labelBlocks };
      }),
  );
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to dashes. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

describe('promtool (Prometheus 2.42)', () => {
  it('checks the rule files and finds every rule', async () => {
    const promtool = requireTool('promtool');
    const result = await run(promtool, ['check', 'rules', ...ruleFiles], dir);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const records = read('rules/recording.yml').match(/^\s+- record: /gm)?.length ?? 0;
    const alerts = alertRules().length;
    expect(records).toBeGreaterThan(40);
    expect(alerts).toBe(20);
    expect(result.stdout).toContain(`Checking rules/recording.yml\n  SUCCESS: ${records} rules found`);
    expect(result.stdout).toContain(`Checking rules/alerts.yml\n  SUCCESS: ${alerts} rules found`);
  });

  it('passes every rule unit test', { timeout: 180_000 }, async () => {
    const promtool = requireTool('promtool');
    expect(testFiles.length).toBeGreaterThanOrEqual(5);
    const result = await run(promtool, ['test', 'rules', ...testFiles], dir);
    const output = result.stdout + result.stderr;
    expect(output).not.toContain('FAILED');
    expect(result.code).toBe(0);
    for (const file of testFiles) expect(output).toContain(`Unit Testing:  ${file}\n  SUCCESS`);
  });
});

describe('alert rules and their tests', () => {
  const rules = alertRules();
  const cases = alertCases();

  it.each(rules.map((rule) => [rule.name, rule] as const))('%s: labels and runbook', (_name, rule) => {
    expect(Object.keys(ROUTE_BY_SEVERITY)).toContain(rule.severity);
    expect(rule.runbookUrl).toBe(`docs/runbooks.md#${rule.name.toLowerCase()}`);
  });

  it.each(rules.map((rule) => [rule.name] as const))(
    '%s: fires in a test and stays silent in one',
    (name) => {
      const mine = cases.filter((c) => c.alertname === name);
      expect(
        mine.some((c) => c.fires),
        `${name} has no firing case`,
      ).toBe(true);
      // vector(1) cannot be silenced by any input: that is the point of a watchdog.
      if (name !== 'Watchdog')
        expect(
          mine.some((c) => !c.fires),
          `${name} has no silent case`,
        ).toBe(true);
    },
  );

  it('tests only alerts that exist, and every expected alert names its severity and service', () => {
    const names = new Set(rules.map((rule) => rule.name));
    for (const c of cases) {
      expect(names, `${c.file} tests unknown alert ${c.alertname}`).toContain(c.alertname);
      for (const labels of c.labelBlocks) {
        expect(labels).toMatch(/^\s+severity: (page|ticket|info)$/m);
        expect(labels).toMatch(/^\s+service_name: \S+$/m);
      }
    }
    expect(cases.filter((c) => c.fires).length).toBeGreaterThanOrEqual(rules.length);
  });

  it('links every runbook_url to a section of docs/runbooks.md', () => {
    const runbooks = readFileSync(join(dir, '..', 'docs', 'runbooks.md'), 'utf8');
    const anchors = new Set([...runbooks.matchAll(/^#{2,3} (.+)$/gm)].map((m) => slug(m[1]!)));
    for (const rule of rules)
      expect(anchors, `no section for ${rule.runbookUrl}`).toContain(rule.name.toLowerCase());
  });
});

describe('amtool (Alertmanager 0.25)', () => {
  it('accepts alertmanager.yml', async () => {
    const amtool = requireTool('amtool');
    const result = await run(amtool, ['check-config', 'alertmanager.yml'], dir);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Checking 'alertmanager.yml'  SUCCESS");
    expect(result.stdout).toContain('1 inhibit rules');
    expect(result.stdout).toContain('4 receivers');
  });

  const routeCases: [string, string[], string][] = [
    ['the watchdog goes nowhere', ['alertname=Watchdog', 'severity=info', 'service_name=prometheus'], 'null'],
    [
      'a page pages',
      ['alertname=FaultlineErrorBudgetBurnFast', 'severity=page', 'service_name=gateway'],
      'webhook-page',
    ],
    [
      'a ticket tickets',
      ['alertname=FaultlineHighErrorRatio', 'severity=ticket', 'service_name=gateway'],
      'webhook-ticket',
    ],
    [
      'info goes to the default',
      ['alertname=FaultlineNewErrorCode', 'severity=info', 'service_name=worker'],
      'webhook-default',
    ],
    [
      'no severity goes to the default',
      ['alertname=SomethingElse', 'service_name=worker'],
      'webhook-default',
    ],
    [
      'an unknown severity goes to the default',
      ['alertname=SomethingElse', 'severity=critical'],
      'webhook-default',
    ],
  ];

  /** `amtool config routes test`: prints the receivers an alert with these labels goes to. */
  const routesTest = (expected: string, labels: string[]) =>
    run(
      requireTool('amtool'),
      [
        'config',
        'routes',
        'test',
        '--config.file=alertmanager.yml',
        `--verify.receivers=${expected}`,
        ...labels,
      ],
      dir,
    );

  it.each(routeCases)('routes: %s', async (_name, labels, receiver) => {
    const result = await routesTest(receiver, labels);
    expect(result.stdout.trim()).toBe(receiver);
    expect(result.code).toBe(0);
  });

  it('routes: a wrong expectation fails, so the cases above can fail', async () => {
    const result = await routesTest('webhook-page', ['alertname=X', 'severity=ticket']);
    expect(result.stdout).toContain(
      'webhook-ticket\nWARNING: Expected receivers did not match resolved receivers.',
    );
    expect(result.code).not.toBe(0);
  });

  it.each(alertRules().map((rule) => [rule.name, rule] as const))(
    'routes every alert of alerts.yml by its severity: %s',
    async (name, rule) => {
      const expected = name === 'Watchdog' ? 'null' : ROUTE_BY_SEVERITY[rule.severity ?? '']!;
      const service = `service_name=${rule.serviceName ?? 'gateway'}`;
      const result = await routesTest(expected, [`alertname=${name}`, `severity=${rule.severity}`, service]);
      expect(result.stdout.trim()).toBe(expected);
      expect(result.code).toBe(0);
    },
  );
});

// ---------------------------------------------------------------- a real Alertmanager on loopback

interface Delivery {
  path: string;
  body: {
    receiver: string;
    status: string;
    groupLabels: Record<string, string>;
    alerts: { labels: Record<string, string> }[];
  };
}

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function readBody(request: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of request) text += chunk;
  return text;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('Alertmanager 0.25 with alertmanager.yml', () => {
  const deliveries: Delivery[] = [];
  let hooks: Server | undefined;
  let alertmanager: ChildProcess | undefined;
  let workdir = '';
  let api = '';
  let logs = '';

  // A setup failure (a missing tool above all) is rethrown by the test, so it fails, never skips.
  let setupError: unknown;

  beforeAll(async () => {
    try {
      const binary = requireTool('alertmanager', 'prometheus-alertmanager');
      hooks = createServer(async (request, response) => {
        deliveries.push({ path: request.url ?? '', body: JSON.parse(await readBody(request)) });
        response.end();
      });
      await new Promise<void>((resolve) => hooks!.listen(0, '127.0.0.1', resolve));
      const hookPort = (hooks.address() as { port: number }).port;

      // The same rendering the loopback stack does: the placeholder origin becomes the receiver's.
      const template = read('alertmanager.yml');
      expect(template.match(/http:\/\/127\.0\.0\.1:9099\//g)).toHaveLength(3);
      workdir = mkdtempSync(join(tmpdir(), 'faultline-am-'));
      writeFileSync(
        join(workdir, 'alertmanager.yml'),
        template.replaceAll('127.0.0.1:9099', `127.0.0.1:${hookPort}`),
      );

      const port = await freePort();
      api = `http://127.0.0.1:${port}`;
      alertmanager = spawn(
        binary,
        [
          `--config.file=${join(workdir, 'alertmanager.yml')}`,
          `--storage.path=${join(workdir, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
          '--cluster.listen-address=',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      alertmanager.stdout?.on('data', (chunk) => {
        logs += chunk;
      });
      alertmanager.stderr?.on('data', (chunk) => {
        logs += chunk;
      });
      await until(
        'Alertmanager to be ready',
        async () => ((await fetch(`${api}/-/ready`)).ok ? true : undefined),
        20_000,
      );
    } catch (error) {
      setupError = error;
    }
  }, 40_000);

  afterAll(async () => {
    if (alertmanager?.pid !== undefined && alertmanager.exitCode === null) {
      const exited = new Promise((resolve) => alertmanager!.once('exit', resolve));
      process.kill(alertmanager.pid, 'SIGTERM');
      await exited;
    }
    await new Promise((resolve) => (hooks ? hooks.close(resolve) : resolve(undefined)));
    if (workdir) rmSync(workdir, { recursive: true, force: true });
  });

  it('inhibits a ticket of a paged service, delivers the page to the page webhook', {
    timeout: 60_000,
  }, async () => {
    if (setupError !== undefined) throw setupError;
    const alert = (labels: Record<string, string>) => ({ labels, annotations: { summary: 'test' } });
    const posted = await fetch(`${api}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        alert({ alertname: 'FaultlineErrorBudgetBurnFast', severity: 'page', service_name: 'gateway' }),
        alert({ alertname: 'FaultlineHighErrorRatio', severity: 'ticket', service_name: 'gateway' }),
        alert({ alertname: 'FaultlineHighErrorRatio', severity: 'ticket', service_name: 'worker' }),
      ]),
    });
    expect(posted.status, logs).toBe(200);

    type ApiAlert = { labels: Record<string, string>; status: { state: string; inhibitedBy: string[] } };
    const alerts = await until(
      'three alerts with their inhibition computed',
      async () => {
        const list = (await (await fetch(`${api}/api/v2/alerts`)).json()) as ApiAlert[];
        return list.length === 3 && list.some((a) => a.status.state === 'suppressed') ? list : undefined;
      },
      15_000,
    );
    const find = (severity: string, service: string) =>
      alerts.find((a) => a.labels.severity === severity && a.labels.service_name === service)!;
    expect(find('ticket', 'gateway').status.state).toBe('suppressed');
    expect(find('ticket', 'gateway').status.inhibitedBy).toHaveLength(1);
    expect(find('ticket', 'worker').status.state).toBe('active');
    expect(find('page', 'gateway').status.state).toBe('active');

    // group_wait for pages is 10s; tickets wait a minute, so only the page can have arrived.
    const delivery = await until('the page notification', async () => deliveries[0], 40_000);
    expect(delivery.path).toBe('/alerts/page');
    expect(delivery.body.receiver).toBe('webhook-page');
    expect(delivery.body.status).toBe('firing');
    expect(delivery.body.groupLabels).toEqual({
      alertname: 'FaultlineErrorBudgetBurnFast',
      service_name: 'gateway',
    });
    expect(deliveries.every((d) => d.path === '/alerts/page')).toBe(true);
  });
});
