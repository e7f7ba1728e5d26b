// Interleaved pairs of child-process runs, for benchmarks whose children print one throughput figure.
// The order within a pair alternates (ABBA) and the verdict is on the median of the per-pair ratios,
// so that a change in machine load hits both sides of a pair alike; the medians of each side and the
// interquartile range of the ratios are printed too.
import { spawnSync } from 'node:child_process';
import { median, reportMeasured } from '../../../scripts/bench-lib.mjs';

/**
 * Runs `node [args...]` with `env` and returns the number it prints on stdout.
 * @param {string[]} args
 * @param {NodeJS.ProcessEnv} env
 * @param {string} cwd
 * @returns {number}
 */
export function runChild(args, env, cwd) {
  const r = spawnSync(process.execPath, args, { env, cwd, encoding: 'utf8' });
  const n = Number(r.stdout.trim());
  if (r.status !== 0 || !Number.isFinite(n)) throw new Error(`node ${args.join(' ')} failed: ${r.stderr}`);
  return n;
}

/**
 * @param {import('./pairs.d.mts').PairSpec} spec
 * @returns {{ baseline: number[], candidate: number[] }}
 */
export function comparePairs(spec) {
  const [baseName, runBase] = spec.baseline;
  const [candName, runCand] = spec.candidate;
  // One discarded pair: the first children also warm the file cache for the module loads.
  runCand();
  runBase();
  const a = [];
  const b = [];
  const ratios = [];
  for (let i = 0; i < spec.rounds; i++) {
    let base;
    let cand;
    if (i % 2) {
      base = runBase();
      cand = runCand();
    } else {
      cand = runCand();
      base = runBase();
    }
    a.push(base);
    b.push(cand);
    ratios.push(cand / base);
  }
  const sorted = [...ratios].sort((x, y) => x - y);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))].toFixed(3);
  const target = { kind: 'throughput-ratio-min', value: spec.target };
  reportMeasured(
    `${spec.title}; medians of ${spec.rounds} interleaved pairs`,
    baseName,
    median(a),
    candName,
    median(b),
    target,
    spec.unit,
  );
  reportMeasured(
    `  the same, as the median of the per-pair ratios (interquartile ${at(0.25)}–${at(0.75)})`,
    'ratio of a pair, baseline',
    1,
    `ratio of a pair, ${candName}`,
    median(ratios),
    target,
    'x',
  );
  return { baseline: a, candidate: b };
}
