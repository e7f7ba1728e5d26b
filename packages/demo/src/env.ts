// Reading the demo's knobs with the shared reader of @faultline/errors/internal: numbers are
// bounded, a bad value is reported once and replaced by the default (the same rule the register
// follows: a demo must not die of a typo).
import { type Check, type Env, envText, integerIn, numberIn, readSetting } from '@faultline/errors/internal';

function warn(message: string): void {
  process.stderr.write(`[demo] ${message}\n`);
}

function numberFrom(env: Env, name: string, check: Check<number>, fallback: number): number {
  return readSetting(
    check,
    envText(env, name),
    fallback,
    (_text, accepted) => warn(`${name}=${JSON.stringify(env[name])} is not ${accepted}; using ${fallback}`),
    true,
  );
}

export function intFrom(env: Env, name: string, fallback: number, min: number, max: number): number {
  return numberFrom(env, name, integerIn(min, max), fallback);
}

export function rateFrom(env: Env, name: string, fallback: number): number {
  return numberFrom(env, name, numberIn(0, 1), fallback);
}

export function stringFrom(env: Env, name: string, fallback: string): string {
  return envText(env, name) ?? fallback;
}
