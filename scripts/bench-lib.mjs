// Side-by-side benchmark helper: a candidate and its baseline are measured in the same process,
// interleaved in rounds, so machine noise hits both alike; we print the ratio, never absolute claims.
import { Bench } from 'tinybench';

const results = [];

/**
 * @param {string} title what is compared
 * @param {{ baseline: [string, () => unknown], candidate: [string, () => unknown],
 *           target: { kind: 'time-ratio-max' | 'speedup-min' | 'throughput-ratio-min', value: number },
 *           time?: number, rounds?: number, alternate?: boolean }} spec
 *  time-ratio-max: candidate time / baseline time must be <= value (e.g. 1.2x).
 *  speedup-min: baseline time / candidate time must be >= value (candidate is faster).
 *  throughput-ratio-min: candidate ops/s / baseline ops/s must be >= value.
 */
export async function sideBySide(title, spec) {
  const rounds = spec.rounds ?? 3;
  const time = spec.time ?? 300;
  const base = [];
  const cand = [];
  for (let round = 0; round < rounds; round++) {
    const bench = new Bench({ time, warmupTime: 50 });
    // alternate: odd rounds measure the candidate first, so whatever one task leaves behind (GC
    // debt, pooled connections) does not always land on the same side.
    const candidateFirst = spec.alternate === true && round % 2 === 1;
    if (candidateFirst) bench.add(spec.candidate[0], spec.candidate[1]);
    bench.add(spec.baseline[0], spec.baseline[1]);
    if (!candidateFirst) bench.add(spec.candidate[0], spec.candidate[1]);
    await bench.run();
    const [b, c] = candidateFirst ? [bench.tasks[1], bench.tasks[0]] : bench.tasks;
    base.push(meanNs(b));
    cand.push(meanNs(c));
  }
  const b = median(base);
  const c = median(cand);
  if (spec.target.kind === 'throughput-ratio-min') {
    // Measured as time per op: throughput is its inverse, so compare ops/s.
    reportMeasured(title, spec.baseline[0], 1e9 / b, spec.candidate[0], 1e9 / c, spec.target, 'ops/s');
    return;
  }
  report(title, spec.baseline[0], b, spec.candidate[0], c, spec.target);
}

/** Report two already-measured numbers (e.g. startup ms or lines/s measured by the caller, interleaved). */
export function reportMeasured(
  title,
  baselineName,
  baselineValue,
  candidateName,
  candidateValue,
  target,
  unit,
) {
  const { kind, value } = target;
  let ratio;
  if (kind === 'throughput-ratio-min') ratio = candidateValue / baselineValue;
  else if (kind === 'speedup-min') ratio = baselineValue / candidateValue;
  else if (kind === 'delta-max') ratio = candidateValue - baselineValue;
  else ratio = candidateValue / baselineValue;
  const ok = kind === 'time-ratio-max' || kind === 'delta-max' ? ratio <= value : ratio >= value;
  const row = {
    title,
    baselineName,
    baselineValue,
    candidateName,
    candidateValue,
    unit,
    kind,
    ratio,
    target: value,
    ok,
  };
  results.push(row);
  print(row);
  return row;
}

function report(title, baselineName, b, candidateName, c, target) {
  return reportMeasured(title, baselineName, b, candidateName, c, target, 'ns/op');
}

function print(r) {
  const fmt = (v) => (v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toPrecision(3));
  const sym =
    r.kind === 'delta-max' ? `${r.ratio >= 0 ? '+' : ''}${fmt(r.ratio)} ${r.unit}` : `${fmt(r.ratio)}x`;
  const want =
    r.kind === 'time-ratio-max'
      ? `<= ${r.target}x`
      : r.kind === 'delta-max'
        ? `<= +${r.target} ${r.unit}`
        : `>= ${r.target}x`;
  const what =
    r.kind === 'speedup-min'
      ? 'speed-up'
      : r.kind === 'throughput-ratio-min'
        ? 'throughput ratio'
        : r.kind === 'delta-max'
          ? 'delta'
          : 'time ratio';
  console.log(
    `${r.ok ? 'PASS' : 'MISS'}  ${r.title}\n      ${r.baselineName}: ${fmt(r.baselineValue)} ${r.unit}   ${r.candidateName}: ${fmt(r.candidateValue)} ${r.unit}   ${what}: ${sym} (target ${want})`,
  );
}

function meanNs(task) {
  const result = task.result;
  // tinybench reports latency in milliseconds.
  const mean = result?.latency?.mean ?? result?.mean;
  if (typeof mean !== 'number')
    throw new Error(`benchmark ${task.name} produced no result: ${result?.error ?? 'unknown'}`);
  return mean * 1e6;
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function benchResults() {
  return results;
}
