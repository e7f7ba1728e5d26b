import { readFileSync } from 'node:fs';
import type { FaultlineError } from '@faultline/errors';
import { describe, expect, it } from 'vitest';
import { main } from './readme-example.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('shows the example file verbatim, and the example does what its comments say', async () => {
    expect(readme).toContain(readFileSync(new URL('./readme-example.ts', import.meta.url), 'utf8'));
    const { answer, down, fastFail, ready } = await main();
    expect(answer).toBe('42');
    expect(down).toMatchObject({
      policy: 'worker-call',
      attempts: 3,
      codes: ['connection_failed', 'connection_failed', 'connection_failed'],
      gaveUpBecause: 'exhausted',
    });
    expect(fastFail.history).toMatchObject({
      attempts: 1,
      codes: ['circuit_open'],
      gaveUpBecause: 'circuit_open',
    });
    expect((fastFail.error as FaultlineError).retryAfterMs).toBeGreaterThan(9_000);
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({
      status: 'unhealthy',
      reasons: [expect.stringMatching(/^circuit breaker 'worker' \(critical\) is open \(next probe in/)],
    });
  });
});
