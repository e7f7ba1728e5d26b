import { accessSync, constants, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StackError } from './usage-error.js';

export type ToolName =
  | 'collector'
  | 'jaeger'
  | 'prometheus'
  | 'promtool'
  | 'alertmanager'
  | 'amtool'
  | 'victoria-logs'
  | 'victoria-metrics'
  | 'telemetrygen'
  | 'compose-check';

const BINARIES: Record<ToolName, string[]> = {
  collector: ['otelcol-faultline'],
  jaeger: ['jaeger'],
  prometheus: ['prometheus'],
  promtool: ['promtool'],
  alertmanager: ['alertmanager', 'prometheus-alertmanager'],
  amtool: ['amtool'],
  'victoria-logs': ['victoria-logs'],
  'victoria-metrics': ['victoria-metrics'],
  telemetrygen: ['telemetrygen'],
  'compose-check': ['compose-check'],
};

export function cacheDir(): string {
  return process.env.FAULTLINE_CACHE ?? join(homedir(), '.cache', 'faultline');
}

/** The repository root: configs (collector/, prometheus/) live there. FAULTLINE_REPO overrides. */
export function repoRoot(): string {
  if (process.env.FAULTLINE_REPO) return resolve(process.env.FAULTLINE_REPO);
  // src/ or dist/ of packages/stack, three levels below the root.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'collector', 'otelcol.yaml'))) return dir;
    dir = dirname(dir);
  }
  throw new StackError(
    'FAULTLINE_ERR_STACK_CONFIG_MISSING',
    'cannot find the repository configs (collector/otelcol.yaml); set FAULTLINE_REPO to the Faultline checkout',
  );
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Where a tool is: $FAULTLINE_CACHE/bin first (what setup-tools.sh installs), then PATH. */
export function findTool(tool: ToolName): string | undefined {
  const dirs = [join(cacheDir(), 'bin'), ...(process.env.PATH ?? '').split(delimiter).filter(Boolean)];
  for (const name of BINARIES[tool]) {
    for (const dir of dirs) {
      const candidate = join(dir, name);
      if (executable(candidate)) return candidate;
    }
  }
  return undefined;
}

export function requireTool(tool: ToolName): string {
  const found = findTool(tool);
  if (!found) {
    throw new StackError(
      'FAULTLINE_ERR_TOOL_MISSING',
      `${BINARIES[tool][0]} is not installed in ${join(cacheDir(), 'bin')} nor on PATH; run scripts/setup-tools.sh ` +
        '(or `faultline-stack install`) to build the collector and Jaeger and install Prometheus and Alertmanager',
    );
  }
  return found;
}

export function missingTools(tools: ToolName[]): ToolName[] {
  return tools.filter((t) => findTool(t) === undefined);
}
