// The load generator on its own: node dist/loadgen.js --target http://127.0.0.1:8080 --rps 20 --duration 30
import { parseArgs } from 'node:util';
import { formatSummary, LIMITS, runLoad } from './loadgen.js';
import { DEFAULT_MIX, parseMix } from './mix.js';

const USAGE = `loadgen [options]   (flags win over the LOADGEN_* environment)
  --target URL          gateway base URL (LOADGEN_TARGET, default http://127.0.0.1:8080)
  --rps N               requests per second, at most ${LIMITS.maxRps} (LOADGEN_RPS, default 20)
  --duration S          seconds, at most ${LIMITS.maxDurationS} (LOADGEN_DURATION, default 30)
  --mix SPEC            name:weight,... of healthy and fault names (LOADGEN_MIX)
  --crash-at S          one worker crash this many seconds in, 0 = none (LOADGEN_CRASH_AT, default 0)
  --outage-at S         one inventory outage this many seconds in, 0 = none (LOADGEN_OUTAGE_AT, default 0)
  --progress-every S    seconds between progress lines (default 2)`;

function main(): number | Promise<number> {
  const { values } = parseArgs({
    options: {
      target: { type: 'string' },
      rps: { type: 'string' },
      duration: { type: 'string' },
      mix: { type: 'string' },
      'crash-at': { type: 'string' },
      'outage-at': { type: 'string' },
      'progress-every': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const env = process.env;
  const num = (flag: string | undefined, variable: string, fallback: number): number => {
    const raw = flag ?? env[variable];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0)
      throw new Error(`${variable.toLowerCase()}: not a non-negative number: ${raw}`);
    return n;
  };
  const mix = parseMix(values.mix ?? (env.LOADGEN_MIX || DEFAULT_MIX));
  if (!mix.ok) throw new Error(mix.message);
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  process.once('SIGTERM', () => controller.abort());
  return runLoad({
    target: values.target ?? (env.LOADGEN_TARGET || 'http://127.0.0.1:8080'),
    rps: num(values.rps, 'LOADGEN_RPS', 20),
    durationS: num(values.duration, 'LOADGEN_DURATION', 30),
    mix: mix.mix,
    crashAtS: num(values['crash-at'], 'LOADGEN_CRASH_AT', 0),
    outageAtS: num(values['outage-at'], 'LOADGEN_OUTAGE_AT', 0),
    progressEveryS: num(values['progress-every'], 'LOADGEN_PROGRESS_EVERY', 2),
    signal: controller.signal,
  }).then((summary) => {
    console.log(formatSummary(summary));
    return 0;
  });
}

Promise.resolve()
  .then(main)
  .then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(`loadgen: ${(e as Error).message}\n\n${USAGE}`);
      process.exit(2);
    },
  );
