import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('..', import.meta.url));

describe('shipped pipeline configs', () => {
  it('pass otelcol validate (and the collector starts on it), jaeger validate, promtool check config and amtool check-config', () => {
    const r = spawnSync('bash', ['scripts/check-configs.sh'], {
      cwd: repo,
      encoding: 'utf8',
      timeout: 120_000,
    });
    const out = `${r.stdout}${r.stderr}`;
    expect(r.status, out).toBe(0);
    expect(out).toMatch(/checks: \d+ passed, 0 failed/);
    for (const what of [
      'collector config validates',
      'collector starts with its config',
      'jaeger config validates',
      'prometheus.yml (rendered for loopback) passes promtool',
      'alertmanager.yml passes amtool',
    ]) {
      expect(out).toContain(`ok   ${what}`);
    }
  });
});
