// `faultline explain <correlation-id>`, the command: reads one trace from Jaeger's API v3 and prints
// its failing path as a tree, marking where the error started and where it was only passed on.
// The correlation ID is the trace ID, so the ID a client got is all it takes. Parsing is
// explain-parse.ts, the tree explain-tree.ts, the text explain-render.ts.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type OtlpResourceSpans, parseJaegerBody } from './explain-parse.js';
import { operation, type RenderOptions, renderTree, summaryLine } from './explain-render.js';
import { buildTree, type TraceTree } from './explain-tree.js';
import { repoRoot } from './tools.js';

export const DEFAULT_JAEGER_URL = 'http://127.0.0.1:16686';

/** Exit codes of the command: scripts can tell a typo from a missing trace from a down Jaeger. */
export const EXPLAIN_EXIT = Object.freeze({
  ok: 0,
  failed: 1,
  usage: 2,
  notFound: 3,
  unreachable: 4,
});

export function isTraceId(id: string): boolean {
  return /^[0-9a-f]{32}$/i.test(id) && !/^0+$/.test(id);
}

/** --jaeger, else FAULTLINE_JAEGER_URL, else the running stack's state file, else the default. */
export function defaultJaegerUrl(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FAULTLINE_JAEGER_URL) return env.FAULTLINE_JAEGER_URL;
  try {
    const dir = env.FAULTLINE_STACK_DIR ?? join(repoRoot(), '.run', 'stack');
    const file = join(dir, 'state.json');
    if (existsSync(file)) {
      const state = JSON.parse(readFileSync(file, 'utf8')) as { urls?: { jaegerQuery?: string } };
      if (typeof state.urls?.jaegerQuery === 'string') return state.urls.jaegerQuery;
    }
  } catch {
    // no repository or a broken state file: fall back
  }
  return DEFAULT_JAEGER_URL;
}

export interface ExplainResult {
  exitCode: number;
  /** What goes to stdout (success) or stderr (failure). */
  output: string;
  tree?: TraceTree;
}

/** Fetches the trace and renders it; never throws (a failure is an exit code and a message). */
export async function explainTrace(
  id: string,
  jaegerUrl: string,
  options: RenderOptions & { timeoutMs?: number } = {},
): Promise<ExplainResult> {
  const traceId = id.trim().toLowerCase();
  if (!isTraceId(traceId)) {
    return {
      exitCode: EXPLAIN_EXIT.usage,
      output: `not a correlation ID: ${JSON.stringify(id.slice(0, 80))}. A correlation ID is the trace ID: 32 hex characters, not all zero (the problem+json "correlationId", or the x-correlation-id header).`,
    };
  }
  const base = jaegerUrl.replace(/\/+$/, '');
  const url = `${base}/api/v3/traces/${traceId}`;
  let res: Response;
  let body: string;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 10_000) });
    body = await res.text();
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (e as Error).message;
    return {
      exitCode: EXPLAIN_EXIT.unreachable,
      output: `cannot reach Jaeger at ${base} (${why}). Is the pipeline running? Start it with \`faultline-stack up\` or \`bash scripts/demo.sh --keep\`, or point at another Jaeger with --jaeger URL or FAULTLINE_JAEGER_URL.`,
    };
  }
  const notFound: ExplainResult = {
    exitCode: EXPLAIN_EXIT.notFound,
    output: `trace ${traceId} is not in Jaeger at ${base}. Spans reach Jaeger a few seconds after the request (batching, tail-sampling decision wait): retry shortly. If it still is not there, the trace may have been sampled away (only error traces are always kept), have expired, or belong to another Jaeger (--jaeger URL).`,
  };
  if (res.status === 404) return notFound;
  if (!res.ok) {
    return {
      exitCode: EXPLAIN_EXIT.failed,
      output: `Jaeger answered HTTP ${res.status} for ${url}: ${body.slice(0, 300)}`,
    };
  }
  let resourceSpans: OtlpResourceSpans[];
  try {
    resourceSpans = parseJaegerBody(body);
  } catch (e) {
    return {
      exitCode: EXPLAIN_EXIT.failed,
      output: `Jaeger's answer for ${url} is not a trace (${(e as Error).message}): ${body.slice(0, 200)}`,
    };
  }
  const tree = buildTree(resourceSpans, traceId);
  if (tree.spans === 0) return notFound;
  const text = [summaryLine(tree)];
  if (tree.failed === 0) text.push('no span of this trace failed; the whole trace:');
  else if (tree.origins.length > 0) {
    const where = new Map<string, number>();
    for (const o of tree.origins) {
      const key = `${o.service} ${operation(o)} (${o.errorType ?? o.status})`;
      where.set(key, (where.get(key) ?? 0) + 1);
    }
    const list = [...where].map(([key, n]) => (n > 1 ? `${key} x${n}` : key));
    text.push(`error started in: ${list.join('; ')}`);
  }
  text.push('', renderTree(tree, tree.failed === 0 ? { all: true } : options));
  return { exitCode: EXPLAIN_EXIT.ok, output: text.join('\n'), tree };
}

const USAGE = `faultline explain <correlation-id> [--jaeger URL] [--all]
  Prints the failing path of one request's trace: service, operation, kind, duration, status,
  error code/category/severity, exception events and their cause chains, and where the error
  started versus where it was only passed on.
  --jaeger URL   Jaeger query base URL (default: FAULTLINE_JAEGER_URL, else the running stack's
                 <repo>/.run/stack/state.json, else ${DEFAULT_JAEGER_URL})
  --all          also show the healthy spans
Exit codes: 0 shown, 2 malformed ID or usage, 3 trace not found, 4 Jaeger unreachable, 1 other.`;

/** `faultline <command> ...`; returns the exit code. */
export async function faultlineCli(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    console.log(USAGE);
    return command === undefined ? EXPLAIN_EXIT.usage : EXPLAIN_EXIT.ok;
  }
  if (command !== 'explain') {
    console.error(`unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
    return EXPLAIN_EXIT.usage;
  }
  let jaeger: string | undefined;
  let all = false;
  const ids: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === '--jaeger') {
      jaeger = rest[++i];
      if (jaeger === undefined) {
        console.error(`--jaeger needs a URL\n\n${USAGE}`);
        return EXPLAIN_EXIT.usage;
      }
    } else if (arg.startsWith('--jaeger=')) jaeger = arg.slice('--jaeger='.length);
    else if (arg === '--all') all = true;
    else if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      return EXPLAIN_EXIT.ok;
    } else ids.push(arg);
  }
  if (ids.length !== 1) {
    console.error(`explain takes exactly one correlation ID\n\n${USAGE}`);
    return EXPLAIN_EXIT.usage;
  }
  const result = await explainTrace(ids[0]!, jaeger ?? defaultJaegerUrl(), { all });
  if (result.exitCode === EXPLAIN_EXIT.ok) console.log(result.output);
  else console.error(result.output);
  return result.exitCode;
}
