/** Runs `node [args...]` with `env` and returns the number it prints on stdout. */
export function runChild(args: string[], env: NodeJS.ProcessEnv, cwd: string): number;

export interface PairSpec {
  title: string;
  unit: string;
  baseline: [name: string, run: () => number];
  candidate: [name: string, run: () => number];
  /** Minimum candidate/baseline throughput ratio. */
  target: number;
  rounds: number;
}

/** Interleaved ABBA pairs; reports the medians of each side and the median per-pair ratio. */
export function comparePairs(spec: PairSpec): { baseline: number[]; candidate: number[] };
