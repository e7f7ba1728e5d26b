import { FaultlineNodeError, type LibraryErrorCode } from './usage-error.js';

/** One configuration or runtime problem, said once, naming the variable and what it accepts. */
export interface Problem {
  code: LibraryErrorCode;
  /** The variable (or option) at fault, when there is one. */
  variable?: string;
  message: string;
}

const said = new Set<string>();
let sink: (line: string) => void = (line) => {
  try {
    process.stderr.write(`${line}\n`);
  } catch {
    // stderr closed: nothing else to tell.
  }
};

/** Prints the problem on stderr the first time it is seen (same code + message = same problem). */
export function report(problem: Problem): void {
  const key = `${problem.code}|${problem.message}`;
  if (said.has(key)) return;
  said.add(key);
  sink(`[faultline] ${problem.code}: ${problem.message}`);
}

/** Tests redirect the output and forget what was said. */
export function setReportSink(next: ((line: string) => void) | undefined): void {
  said.clear();
  sink =
    next ??
    ((line) => {
      process.stderr.write(`${line}\n`);
    });
}

export function strictError(problems: readonly Problem[]): FaultlineNodeError {
  const list = problems.map((p) => `${p.code} (${p.variable ?? 'option'})`).join(', ');
  return new FaultlineNodeError(
    'FAULTLINE_ERR_STRICT',
    `FAULTLINE_STRICT=true and the configuration has ${problems.length} problem(s): ${list}`,
  );
}
