import { describe, expect, it } from 'vitest';
import { otlpEnv, REGISTER_CJS, runNode } from './support/child.js';
import { useReceiver } from './support/suite.js';

const receiver = useReceiver();

/** crash-app.cjs once under plain Node and once under the register, same mode. */
async function both(env: Record<string, string>) {
  const plain = await runNode(['crash-app.cjs'], env);
  const ours = await runNode(['--require', REGISTER_CJS, 'crash-app.cjs'], {
    ...otlpEnv(receiver().url),
    OTEL_SERVICE_NAME: 'svc-crash-output',
    OTEL_METRICS_EXPORTER: 'none',
    ...env,
  });
  return { plain, ours };
}

describe("a crash's output under the register, compared with plain Node", () => {
  it('unhandled rejection: the same exit code and byte-for-byte the same stderr, source-line header included', async () => {
    const { plain, ours } = await both({ CRASH_MODE: 'reject' });
    expect(plain.code).toBe(1);
    expect(ours.code).toBe(1);
    expect(plain.stderr).toMatch(/^\/.*crash-app\.cjs:\d+\n.*Promise\.reject/);
    expect(ours.stderr).toBe(plain.stderr);
  });

  it('uncaught exception: the same exit code and stderr, less the source-line header (never one pointing into @faultline/node)', async () => {
    const { plain, ours } = await both({ CRASH_MODE: 'throw' });
    expect(plain.code).toBe(1);
    expect(ours.code).toBe(1);
    // Node's header: "file:line", the source line, the caret, a blank line; then the stack.
    const [header, ...rest] = plain.stderr.split('\n\n');
    expect(header).toMatch(/crash-app\.cjs:\d+\n.*throw new Error\('boom from the app'\);\n\s*\^$/);
    expect(ours.stderr).toBe(rest.join('\n\n'));
    expect(ours.stderr).not.toContain('@faultline');
    expect(ours.stderr).not.toContain('dist/register');
  });

  it("the app's uncaughtExceptionMonitor runs once, as without the register", async () => {
    for (const mode of ['throw', 'reject']) {
      const { plain, ours } = await both({ CRASH_MODE: mode, USER_MONITOR: '1' });
      const monitorLines = (out: string) => out.split('\n').filter((l) => l.startsWith('USER MONITOR'));
      expect(monitorLines(plain.stdout)).toHaveLength(1);
      expect(monitorLines(ours.stdout)).toEqual(monitorLines(plain.stdout));
      expect(ours.code).toBe(plain.code);
    }
  });
});
