import { FAULT_NAMES, type FaultName, isFaultName } from './faults.js';

/** What one load-generator request asks for: a healthy request or one fault. */
export type MixEntry = 'healthy' | FaultName;

export interface FaultMix {
  entries: readonly MixEntry[];
  /** Cumulative weights, same order as entries; the last one is the total. */
  cumulative: readonly number[];
}

/**
 * Default: mostly healthy traffic with a little of every worker fault, slow calls, deadline
 * expiries and inventory 503s. Crashes and inventory outages are scheduled events (see the load
 * generator's --crash-at / --outage-at), not random draws: one per run is enough to watch.
 */
export const DEFAULT_MIX =
  'healthy:72,latency:5,deadline:2,inventory_503:2,validation:2,authentication:1,authorization:1,' +
  'not_found:3,conflict:1,rate_limit:2,timeout:1,network:1,resource:1,dependency:1,execution:2,' +
  'configuration:1,system:1,cancelled:1';

export type ParsedMix = { ok: true; mix: FaultMix } | { ok: false; message: string };

/** Parses `name:weight,name:weight` (weights are non-negative numbers; a bare name weighs 1). */
export function parseMix(spec: string): ParsedMix {
  const entries: MixEntry[] = [];
  const cumulative: number[] = [];
  let total = 0;
  for (const part of spec.split(',').map((s) => s.trim())) {
    if (part === '') continue;
    const [name = '', rawWeight] = part.split(':').map((s) => s.trim());
    if (name !== 'healthy' && !isFaultName(name)) {
      return {
        ok: false,
        message: `unknown mix entry ${JSON.stringify(name)}; use healthy or one of ${FAULT_NAMES.join(', ')}`,
      };
    }
    const weight = rawWeight === undefined ? 1 : Number(rawWeight);
    if (!Number.isFinite(weight) || weight < 0) {
      return { ok: false, message: `weight of ${name} must be a non-negative number; got ${rawWeight}` };
    }
    if (weight === 0) continue;
    total += weight;
    entries.push(name as MixEntry);
    cumulative.push(total);
  }
  if (entries.length === 0) return { ok: false, message: 'the mix has no entry with a positive weight' };
  return { ok: true, mix: { entries, cumulative } };
}

/** Draws one entry; `random()` in [0, 1). */
export function draw(mix: FaultMix, random: () => number = Math.random): MixEntry {
  const total = mix.cumulative[mix.cumulative.length - 1] ?? 0;
  const x = random() * total;
  for (let i = 0; i < mix.entries.length; i++) {
    if (x < (mix.cumulative[i] ?? 0)) return mix.entries[i]!;
  }
  return mix.entries[mix.entries.length - 1]!;
}
