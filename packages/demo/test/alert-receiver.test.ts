import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  eventually,
  freePort,
  type ManagedProcess,
  renderAlertmanagerConfig,
  repoRoot,
  requireTool,
  startProcess,
  waitHealthy,
} from '@faultline/stack';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AlertReceiver,
  MAX_BODY_BYTES,
  parseNotification,
  startAlertReceiver,
} from '../src/alert-receiver.js';

describe('parseNotification (untrusted webhook bodies)', () => {
  it('never throws, and what it keeps is bounded', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.anything()), (body) => {
        const parsed = parseNotification(body);
        if (parsed.ok) {
          for (const alert of parsed.value.alerts) {
            expect(Object.keys(alert.labels).length).toBeLessThanOrEqual(64);
            for (const v of Object.values(alert.labels)) expect(v.length).toBeLessThanOrEqual(1025);
          }
        } else {
          expect(parsed.reason.length).toBeGreaterThan(0);
        }
      }),
    );
  });

  it('keeps alerts of a well-formed payload and truncates huge strings', () => {
    const labels = fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }), fc.string({ maxLength: 3000 }), {
      maxKeys: 100,
    });
    const alert = fc.record({ status: fc.constantFrom('firing', 'resolved'), labels, annotations: labels });
    fc.assert(
      fc.property(
        fc.array(alert, { maxLength: 5 }),
        fc.constantFrom('firing', 'resolved'),
        (alerts, status) => {
          const parsed = parseNotification({ version: '4', status, receiver: 'webhook-page', alerts });
          expect(parsed.ok).toBe(true);
          if (!parsed.ok) return;
          expect(parsed.value.alerts.map((a) => a.status)).toEqual(alerts.map((a) => a.status));
          for (const [i, kept] of parsed.value.alerts.entries()) {
            const given = Object.entries(alerts[i]?.labels ?? {}).filter(([k]) => k !== '__proto__');
            expect(Object.keys(kept.labels).length).toBe(Math.min(given.length, 64));
            for (const v of Object.values(kept.labels)) expect(v.length).toBeLessThanOrEqual(1025);
          }
        },
      ),
    );
  });

  it('says why a payload is refused', () => {
    expect(parseNotification([])).toEqual({ ok: false, reason: 'the body is not a JSON object' });
    expect(parseNotification({ version: '3', status: 'firing', alerts: [] })).toMatchObject({ ok: false });
    expect(parseNotification({ version: '4', status: 'up', alerts: [] })).toMatchObject({ ok: false });
    expect(parseNotification({ version: '4', status: 'firing', alerts: [{ status: 1 }] })).toMatchObject({
      ok: false,
      reason: 'every alert needs status "firing" or "resolved"',
    });
  });
});

describe('the alert receiver over HTTP', () => {
  let receiver: AlertReceiver;
  const lines: string[] = [];
  beforeAll(async () => {
    receiver = await startAlertReceiver({ port: 0, write: (line) => lines.push(line) });
  });
  afterAll(() => receiver.close());

  it('answers 400 to garbage and 413 to a body over the limit, and keeps serving', async () => {
    const bad = await fetch(`${receiver.url}/alerts/page`, { method: 'POST', body: '{not json' });
    expect(bad.status).toBe(400);
    const huge = await fetch(`${receiver.url}/alerts/page`, {
      method: 'POST',
      body: 'x'.repeat(MAX_BODY_BYTES + 10),
    }).catch(() => undefined);
    // The server answers 413 and closes the request; a client may see either.
    if (huge) expect(huge.status).toBe(413);
    expect((await fetch(`${receiver.url}/healthz`)).status).toBe(200);
    expect(receiver.notifications()).toHaveLength(0);
  });
});

describe('a real Alertmanager with the repository routing notifies the receiver', () => {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-am-'));
  let receiver: AlertReceiver;
  let am: ManagedProcess;
  let amUrl: string;
  const lines: string[] = [];

  beforeAll(async () => {
    receiver = await startAlertReceiver({ port: 0, write: (line) => lines.push(line) });
    const config = join(dir, 'alertmanager.yml');
    // The same origin swap @faultline/stack does; compose needs none (the receiver shares
    // Alertmanager's network namespace and listens on the file's own 127.0.0.1:9099).
    writeFileSync(config, renderAlertmanagerConfig(repoRoot(), receiver.url));
    const port = await freePort();
    amUrl = `http://127.0.0.1:${port}`;
    am = startProcess(
      'alertmanager',
      requireTool('alertmanager'),
      [
        `--config.file=${config}`,
        `--storage.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--cluster.listen-address=',
      ],
      { PATH: process.env.PATH },
      join(dir, 'alertmanager.log'),
    );
    await waitHealthy(am, `${amUrl}/-/ready`, 60_000);
  }, 90_000);

  afterAll(async () => {
    await am?.stop();
    await receiver?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a page alert arrives on /page and is logged as one line', async () => {
    const res = await fetch(`${amUrl}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        {
          labels: { alertname: 'FaultlineReceiverTest', severity: 'page', service_name: 'gateway' },
          annotations: { summary: 'receiver test' },
        },
      ]),
    });
    expect(res.status).toBe(200);
    // The page route's group_wait is 10 s.
    const got = await eventually(
      'the page notification',
      async () => receiver.notifications().find((n) => n.path === '/alerts/page'),
      60_000,
      500,
    );
    expect(got?.receiver).toBe('webhook-page');
    expect(got?.alerts[0]?.labels).toMatchObject({
      alertname: 'FaultlineReceiverTest',
      service_name: 'gateway',
    });
    const logged = lines.map((l) => JSON.parse(l)).find((l) => l.alertname === 'FaultlineReceiverTest');
    expect(logged).toMatchObject({ msg: 'alert', path: '/alerts/page', status: 'firing', severity: 'page' });
  }, 90_000);
});
