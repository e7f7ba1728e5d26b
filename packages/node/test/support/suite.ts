import { afterAll, beforeAll } from 'vitest';
import { ensureBuilt, killAll } from './child.js';
import { type OtlpReceiver, startOtlpReceiver } from './otlp-receiver.js';

/** OTLP SpanKind and StatusCode numbers, as the receiver decodes them. */
export const KIND = { INTERNAL: 1, SERVER: 2, CLIENT: 3 } as const;
export const STATUS = { UNSET: 0, OK: 1, ERROR: 2 } as const;

/**
 * A test file's OTLP receiver: the package is built and the receiver started before the tests, and
 * every child process is killed and the receiver closed after them. Call at the top of the file.
 */
export function useReceiver(): () => OtlpReceiver {
  let receiver: OtlpReceiver | undefined;
  beforeAll(async () => {
    await ensureBuilt();
    receiver = await startOtlpReceiver();
  }, 120_000);
  afterAll(async () => {
    killAll();
    await receiver?.close();
  });
  return () => {
    if (!receiver) throw new Error('the OTLP receiver is not started yet');
    return receiver;
  };
}
