// Reading the demo's knobs: numbers are bounded, a bad value is reported once and replaced by the
// default (the same rule the register follows: a demo must not die of a typo).

type Env = Record<string, string | undefined>;

function warn(message: string): void {
  process.stderr.write(`[demo] ${message}\n`);
}

export function intFrom(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    warn(`${name}=${JSON.stringify(raw)} is not an integer from ${min} to ${max}; using ${fallback}`);
    return fallback;
  }
  return value;
}

export function rateFrom(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || value > 1) {
    warn(`${name}=${JSON.stringify(raw)} is not a number from 0 to 1; using ${fallback}`);
    return fallback;
  }
  return value;
}

export function stringFrom(env: Env, name: string, fallback: string): string {
  const raw = env[name];
  return raw === undefined || raw.trim() === '' ? fallback : raw.trim();
}
