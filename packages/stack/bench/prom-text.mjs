// For the collector benches: the sum of every sample on a Prometheus text page (the collector's own
// telemetry) whose line starts with `name` (so `otelcol_x` also takes `otelcol_x_total`) and
// contains `match` (a label value, e.g. an exporter's name).
/** @returns {Promise<number>} */
export async function metricSum(url, name, match = '') {
  const text = await (await fetch(url, { signal: AbortSignal.timeout(10_000) })).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(name) && line.includes(match)) sum += Number(line.split(' ').pop());
  }
  return sum;
}
