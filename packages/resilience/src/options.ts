// Checking the options a policy is created with: each check names the policy and the option
// in the usage error it raises.
import { integerIn, numberIn, oneOf } from '@faultline/errors/internal';
import { type ResilienceErrorCode, ResilienceUsageError } from './usage-error.js';

const NAME_MAX = 128;

export function checkName(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > NAME_MAX) {
    throw new ResilienceUsageError(
      'FAULTLINE_ERR_INVALID_POLICY_NAME',
      `${what} needs a \`name\` (a non-empty string of at most ${NAME_MAX} characters) for its metrics and spans; got ${describe(value)}`,
    );
  }
  return value;
}

/** A short, safe rendering of a bad option value for an error message. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === undefined || value === null)
    return String(value);
  if (typeof value === 'function') return 'a function';
  return Array.isArray(value)
    ? 'an array'
    : `a${typeof value === 'object' ? 'n object' : ` ${typeof value}`}`;
}

/** Option checks bound to one policy's error code and name, so messages say where the mistake is. */
export class OptionChecker {
  constructor(
    private readonly code: ResilienceErrorCode,
    private readonly where: string,
  ) {}

  fail(option: string, accepted: string, got: unknown): never {
    throw new ResilienceUsageError(
      this.code,
      `${this.where}: \`${option}\` must be ${accepted}; got ${describe(got)}`,
    );
  }

  int(option: string, value: unknown, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
    if (value === undefined) return fallback;
    const check = integerIn(min, max);
    if (!check.test(value)) this.fail(option, check.accepted, value);
    return value;
  }

  /** A duration in milliseconds; `Infinity` allowed when `infinite` says so. */
  ms(option: string, value: unknown, fallback: number, min = 0, infinite = false): number {
    if (value === undefined) return fallback;
    if (infinite && value === Number.POSITIVE_INFINITY) return value;
    if (!numberIn(min, 2_147_483_647).test(value)) {
      this.fail(
        option,
        `a number of milliseconds from ${min} to 2147483647${infinite ? ' (or Infinity)' : ''}`,
        value,
      );
    }
    return value;
  }

  /** A fraction: in (0, 1] by default, [0, 1) for 'from0', (0, 1) for 'open'. */
  fraction(
    option: string,
    value: unknown,
    fallback: number,
    range: 'upTo1' | 'from0' | 'open' = 'upTo1',
  ): number {
    if (value === undefined) return fallback;
    const n = typeof value === 'number' ? value : Number.NaN;
    const ok = range === 'from0' ? n >= 0 && n < 1 : range === 'open' ? n > 0 && n < 1 : n > 0 && n <= 1;
    if (!ok) {
      const accepted = {
        upTo1: 'a number above 0 and at most 1',
        from0: 'a number from 0 up to (not including) 1',
        open: 'a number strictly between 0 and 1',
      }[range];
      this.fail(option, accepted, value);
    }
    return n;
  }

  oneOf<T extends string>(option: string, value: unknown, allowed: readonly T[], fallback: T): T {
    if (value === undefined) return fallback;
    if (!oneOf(allowed).test(value))
      this.fail(option, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, value);
    return value;
  }

  fn<F>(option: string, value: unknown): F | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'function') this.fail(option, 'a function', value);
    return value as F;
  }

  /** An optional policy name (used on spans and errors only). */
  name(value: unknown, fallback: string): string {
    if (value === undefined) return fallback;
    if (typeof value !== 'string' || value.length === 0 || value.length > NAME_MAX) {
      this.fail('name', `a non-empty string of at most ${NAME_MAX} characters`, value);
    }
    return value;
  }

  /** A required option: fails with the accepted values when missing. */
  required(option: string, value: unknown, accepted: string): void {
    if (value === undefined) this.fail(option, accepted, value);
  }

  object(option: string, value: unknown): Record<string, unknown> {
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      this.fail(option, 'an object', value);
    return value as Record<string, unknown>;
  }
}
