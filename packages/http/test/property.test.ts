import {
  ERROR_CATEGORIES,
  FaultlineError,
  type FaultlineErrorOptions,
  listErrorCodes,
  SEVERITIES,
} from '@faultline/errors';
import { safeMessage } from '@faultline/errors/internal';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorFromResponse, problemAnswer, withProblemDetails } from '../src/index.js';
import { type Listening, listenNode } from './support/servers.js';

/** Any structured error a service may raise, as constructor options. */
const errorOptions: fc.Arbitrary<FaultlineErrorOptions> = fc
  .tuple(
    fc.oneof(
      fc.constantFrom(...listErrorCodes().map((c) => c.code)),
      fc.stringMatching(/^[a-z][a-z0-9]{0,12}(?:_[a-z0-9]{1,6}){0,3}$/),
    ),
    fc.constantFrom(...ERROR_CATEGORIES),
    fc.constantFrom(...SEVERITIES),
    fc.boolean(),
    fc.option(fc.nat({ max: 86_400_000 }), { nil: undefined }),
    fc.option(fc.stringMatching(/^[0-9a-f]{32}$/), { nil: undefined }),
    fc.option(fc.stringMatching(/^[a-z][a-z0-9.-]{0,30}$/), { nil: undefined }),
    fc.string({ maxLength: 400, unit: 'grapheme' }),
  )
  .map(([code, category, severity, retryable, retryAfterMs, correlationId, service, message]) => ({
    code,
    category,
    severity,
    retryable,
    retryAfterMs,
    correlationId,
    service,
    message,
  }));

function expectArrived(got: FaultlineError | undefined, sent: FaultlineError, origin: string) {
  const view = (e: FaultlineError | undefined, service: string | undefined, message: string | undefined) => ({
    code: e?.code,
    category: e?.category,
    severity: e?.severity,
    retryable: e?.retryable,
    retryAfterMs: e?.retryAfterMs,
    correlationId: e?.correlationId,
    service,
    message,
  });
  expect(view(got, got?.service, got?.message)).toEqual(
    view(sent, sent.service ?? origin, safeMessage(sent, false)),
  );
  expect(got?.remote).toBe(true);
}

describe('problem+json: structured errors survive server -> wire -> client', () => {
  it('codec: problemAnswer -> Response -> errorFromResponse', async () => {
    await fc.assert(
      fc.asyncProperty(errorOptions, async (options) => {
        const sent = new FaultlineError(options);
        const answer = problemAnswer(sent);
        const res = new Response(answer.body, { status: answer.status, headers: answer.headers });
        expectArrived(await errorFromResponse(res, { service: 'origin' }), sent, 'origin');
      }),
      { numRuns: 400 },
    );
  });

  describe('over the network (bounded number of real round trips)', () => {
    let next: FaultlineError;
    let server: Listening;
    beforeAll(async () => {
      server = await listenNode(
        withProblemDetails(() => {
          throw next;
        }),
      );
    });
    afterAll(() => server?.close());

    it('node:http + fetch', async () => {
      await fc.assert(
        fc.asyncProperty(errorOptions, async (options) => {
          next = new FaultlineError(options);
          const res = await fetch(`${server.url}/p`);
          expectArrived(await errorFromResponse(res), next, new URL(server.url).host);
        }),
        { numRuns: 40 },
      );
    });
  });
});
