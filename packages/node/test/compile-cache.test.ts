import { describe, expect, it } from 'vitest';
import { REGISTER_CJS, runNode } from './support/child.js';

const env = { OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' };

describe("the register turns Node's compile cache on", () => {
  it('by default, under --require and --import', async () => {
    for (const flag of [
      ['--require', REGISTER_CJS],
      ['--import', '@faultline/node/register'],
    ]) {
      const r = await runNode([...flag, 'compile-cache-app.cjs'], env);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout, flag[0]).toMatch(/^CACHE \/.+node-compile-cache/m);
    }
  });

  it('not with FAULTLINE_COMPILE_CACHE=false or NODE_DISABLE_COMPILE_CACHE=1', async () => {
    const offs: Record<string, string>[] = [
      { FAULTLINE_COMPILE_CACHE: 'false' },
      { NODE_DISABLE_COMPILE_CACHE: '1' },
    ];
    for (const off of offs) {
      const r = await runNode(['--require', REGISTER_CJS, 'compile-cache-app.cjs'], { ...env, ...off });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('CACHE off');
    }
  });

  it('a bad FAULTLINE_COMPILE_CACHE is reported once and the cache stays on', async () => {
    const r = await runNode(['--require', REGISTER_CJS, 'compile-cache-app.cjs'], {
      ...env,
      FAULTLINE_COMPILE_CACHE: 'sometimes',
    });
    expect(r.code).toBe(0);
    expect(r.stderr.split('\n').filter((l) => l.includes('FAULTLINE_COMPILE_CACHE'))).toHaveLength(1);
    expect(r.stdout).toMatch(/^CACHE \//m);
  });
});
