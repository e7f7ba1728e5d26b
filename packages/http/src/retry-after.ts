/** The `Retry-After` value for a delay: delta-seconds, rounded up (a client must not come back early). */
export function retryAfterHeader(retryAfterMs: number): string {
  return String(Math.ceil(Math.max(0, retryAfterMs) / 1000));
}

const MAX_DELAY_MS = 86_400_000;

/**
 * A `Retry-After` header value as milliseconds from `now`: delta-seconds or an HTTP-date
 * (RFC 9110 §10.2.3). A date in the past is 0; anything else unreadable is undefined.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^\d{1,10}$/.test(text)) return Math.min(Number(text) * 1000, MAX_DELAY_MS);
  // HTTP-date (IMF-fixdate, or the obsolete RFC 850 / asctime forms Date.parse also reads).
  if (text.length > 64 || !/[A-Za-z]{3}/.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, at - now), MAX_DELAY_MS);
}
