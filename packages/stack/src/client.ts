// Small clients for the APIs the tests, the demo and `faultline explain` read.

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** Instant query against Prometheus' HTTP API; throws with Prometheus' own error text. */
export async function promQuery(prometheusUrl: string, expr: string): Promise<PromSample[]> {
  const url = `${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`;
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  const body = (await res.json()) as {
    status: string;
    error?: string;
    data?: { resultType: string; result: unknown };
  };
  if (body.status !== 'success') throw new Error(`Prometheus rejected ${expr}: ${body.error ?? res.status}`);
  const result = body.data?.result;
  if (body.data?.resultType === 'scalar' && Array.isArray(result))
    return [{ metric: {}, value: result as [number, string] }];
  return (result as PromSample[]) ?? [];
}

/** Polls until `check` returns a value (not undefined) or the time is up. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 60_000,
  everyMs = 1_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (e) {
      lastError = e;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`,
  );
}
