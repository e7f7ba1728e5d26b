export interface Target {
  kind: 'time-ratio-max' | 'speedup-min' | 'throughput-ratio-min' | 'delta-max';
  value: number;
}
export function sideBySide(
  title: string,
  spec: {
    baseline: [string, () => unknown];
    candidate: [string, () => unknown];
    target: Target;
    time?: number;
    rounds?: number;
    /** Odd rounds measure the candidate first (default: the baseline always first). */
    alternate?: boolean;
  },
): Promise<void>;
export function reportMeasured(
  title: string,
  baselineName: string,
  baselineValue: number,
  candidateName: string,
  candidateValue: number,
  target: Target,
  unit: string,
): { ok: boolean; ratio: number };
export function median(values: number[]): number;
export function benchResults(): Array<Record<string, unknown>>;
