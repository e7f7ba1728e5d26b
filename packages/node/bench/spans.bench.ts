// What keeping the open SERVER spans costs (the slots a fatal exception ends, see src/open-spans.ts):
// SERVER spans/s through start() with the process handlers on vs off, nothing else differing per
// span (fixtures/server-spans.cjs), in interleaved child-process pairs. A loop that does nothing but
// start and end SERVER spans is the worst case: a real request spends tens of microseconds around its
// span. So the verdict is on the added cost per SERVER span (target <= 100 ns), and the throughput
// ratio of this synthetic loop is reported against a looser 0.95x.
import { fileURLToPath } from 'node:url';
import { median, reportMeasured } from '../../../scripts/bench-lib.mjs';
import { comparePairs, runChild } from './pairs.mjs';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const fixture = fileURLToPath(new URL('./fixtures/server-spans.cjs', import.meta.url));
const spans = (track: '0' | '1') => () =>
  runChild([fixture], { ...process.env, TRACK: track, SPANS: process.env.BENCH_SPANS ?? '200000' }, pkg);

const { baseline, candidate } = comparePairs({
  title: 'SERVER spans/s (100 open at a time), open-span tracking on vs off',
  unit: 'spans/s',
  baseline: ['no tracking (processHandlers: false)', spans('0')],
  candidate: ['tracking (default)', spans('1')],
  target: 0.95,
  rounds: Number(process.env.BENCH_ROUNDS ?? 15),
});
const nsPerSpan = (rates: number[]) => rates.map((r) => 1e9 / r);
const added = nsPerSpan(candidate).map((ns, i) => ns - nsPerSpan(baseline)[i]!);
reportMeasured(
  '  added cost per SERVER span, median of the per-pair differences',
  'ns per span, no tracking',
  median(nsPerSpan(baseline)),
  'ns per span, tracking',
  median(nsPerSpan(baseline)) + median(added),
  { kind: 'delta-max', value: 100 },
  'ns',
);
