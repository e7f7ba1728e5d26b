// Finds and runs the Prometheus 2.42 / Alertmanager 0.25 command-line tools for the rule, routing
// and dashboard tests. scripts/setup-tools.sh links them into $FAULTLINE_CACHE/bin; a machine with
// the Debian packages installed has them on PATH too. A missing tool is an error, never a skip.
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

export const SETUP_HINT =
  'run scripts/setup-tools.sh (it links promtool, amtool and alertmanager from the Debian prometheus 2.42 ' +
  'and prometheus-alertmanager 0.25 packages into $FAULTLINE_CACHE/bin)';

function toolDirs(): string[] {
  const cache = process.env.FAULTLINE_CACHE ?? join(homedir(), '.cache', 'faultline');
  return [join(cache, 'bin'), ...(process.env.PATH ?? '').split(delimiter).filter(Boolean)];
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first of `names` found in $FAULTLINE_CACHE/bin, then on PATH. */
export function findTool(...names: string[]): string | undefined {
  for (const name of names) {
    for (const dir of toolDirs()) {
      const candidate = join(dir, name);
      if (isExecutable(candidate)) return candidate;
    }
  }
  return undefined;
}

export function requireTool(...names: string[]): string {
  const found = findTool(...names);
  if (found === undefined) {
    throw new Error(`${names.join(' / ')} not found in $FAULTLINE_CACHE/bin or on PATH: ${SETUP_HINT}`);
  }
  return found;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a tool to completion; a non-zero exit is a result to assert on, not an exception. */
export function run(file: string, args: readonly string[], cwd?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd, maxBuffer: 16 * 1024 * 1024, timeout: 180_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        reject(error);
        return;
      }
      resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
    });
  });
}
