// `faultline explain <correlation-id>`, the command: reads one trace from Jaeger's API v3 and its log
// lines from VictoriaLogs, and prints its failing path as a tree, marking where the error started
// and where it was only passed on, each log line under the span that wrote it. A trace the sampler
// did not keep is still answered from its log lines. The correlation ID is the trace ID, so the ID a
// client got is all it takes. Parsing is explain-parse.ts, the logs explain-logs.ts, the tree
// explain-tree.ts, the text explain-render.ts.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fetchTraceLogs, type LogLine, type LogsAnswer, logsUiLink } from './explain-logs.js';
import { type OtlpResourceSpans, parseJaegerBody } from './explain-parse.js';
import { operation, type RenderOptions, renderLogGroups, renderTree, summaryLine } from './explain-render.js';
import { buildTree, type TraceTree } from './explain-tree.js';
import { repoRoot } from './tools.js';

export const DEFAULT_JAEGER_URL = 'http://127.0.0.1:16686';
export const DEFAULT_LOGS_URL = 'http://127.0.0.1:9428';

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

function stateUrl(env: NodeJS.ProcessEnv, key: string): string | undefined {
  try {
    const dir = env.FAULTLINE_STACK_DIR ?? join(repoRoot(), '.run', 'stack');
    const file = join(dir, 'state.json');
    if (existsSync(file)) {
      const state = JSON.parse(readFileSync(file, 'utf8')) as { urls?: Record<string, unknown> };
      const url = state.urls?.[key];
      if (typeof url === 'string') return url;
    }
  } catch {
    // no repository or a broken state file: fall back
  }
  return undefined;
}

/** --jaeger, else FAULTLINE_JAEGER_URL, else the running stack's state file, else the default. */
export function defaultJaegerUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.FAULTLINE_JAEGER_URL || stateUrl(env, 'jaegerQuery') || DEFAULT_JAEGER_URL;
}

/** --logs, else FAULTLINE_LOGS_URL, else the running stack's state file, else the default. */
export function defaultLogsUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.FAULTLINE_LOGS_URL || stateUrl(env, 'logs') || DEFAULT_LOGS_URL;
}

export interface ExplainResult {
  exitCode: number;
  /** What goes to stdout (success) or stderr (failure). */
  output: string;
  tree?: TraceTree;
  /** The trace's log lines, when the log store was asked and answered. */
  logs?: LogLine[];
}

export interface ExplainOptions extends Omit<RenderOptions, 'logs'> {
  timeoutMs?: number;
  /** VictoriaLogs base URL; without it no log store is asked. */
  logsUrl?: string;
}

/** What the log store said, for the end of the output. */
function logsNote(logsUrl: string | undefined, answer: LogsAnswer | undefined, traceId: string): string[] {
  if (logsUrl === undefined || answer === undefined) return [];
  const base = logsUrl.replace(/\/+$/, '');
  if (!answer.ok)
    return ['', `(log store at ${base} not reachable: ${answer.why}; --logs URL or FAULTLINE_LOGS_URL)`];
  if (answer.lines.length === 0) return ['', `no log lines of this trace in ${base}`];
  return ['', `logs: ${logsUiLink(base, traceId)}`];
}

/** Fetches the trace and renders it; never throws (a failure is an exit code and a message). */
export async function explainTrace(
  id: string,
  jaegerUrl: string,
  options: ExplainOptions = {},
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
  const timeoutMs = options.timeoutMs ?? 10_000;
  const logsPromise =
    options.logsUrl !== undefined ? fetchTraceLogs(options.logsUrl, traceId, timeoutMs) : undefined;
  let res: Response | undefined;
  let body = '';
  let unreachable: string | undefined;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    body = await res.text();
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    unreachable = cause?.code ?? cause?.message ?? (e as Error).message;
  }
  const logs = await logsPromise;
  const lines = logs?.ok ? logs.lines : [];
  const note = logsNote(options.logsUrl, logs, traceId);
  // No trace to show: the log lines alone answer, when there are any.
  const fromLogs = (why: string, exitCode: number): ExplainResult => {
    if (lines.length === 0) return { exitCode, output: [why, ...note].join('\n') };
    const services = [...new Set(lines.map((l) => l.service))].sort();
    return {
      exitCode: EXPLAIN_EXIT.ok,
      output: [
        `trace ${traceId}: ${why}`,
        `its ${lines.length} log line${lines.length === 1 ? '' : 's'} (services ${services.join(', ')}), by span:`,
        '',
        ...renderLogGroups(lines),
        ...note,
      ].join('\n'),
      logs: lines,
    };
  };
  if (unreachable !== undefined || res === undefined) {
    return fromLogs(
      `cannot reach Jaeger at ${base} (${unreachable}). Is the pipeline running? Start it with \`faultline-stack up\` or \`bash scripts/demo.sh --keep\`, or point at another Jaeger with --jaeger URL or FAULTLINE_JAEGER_URL.`,
      EXPLAIN_EXIT.unreachable,
    );
  }
  const notFound = () =>
    lines.length > 0
      ? fromLogs(
          `not in Jaeger at ${base} (not kept by the sampler, expired, or not there yet: spans arrive a few seconds after the request)`,
          EXPLAIN_EXIT.notFound,
        )
      : fromLogs(
          `trace ${traceId} is not in Jaeger at ${base}. Spans reach Jaeger a few seconds after the request (batching, tail-sampling decision wait): retry shortly. If it still is not there, the trace may have been sampled away (every trace with a failure is kept; OK ones at the configured rate), have expired, or belong to another Jaeger (--jaeger URL).`,
          EXPLAIN_EXIT.notFound,
        );
  if (res.status === 404) return notFound();
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
  if (tree.spans === 0) return notFound();
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
  const render: RenderOptions = { ...(tree.failed === 0 ? { all: true } : options), logs: lines };
  text.push('', renderTree(tree, render), ...note);
  return { exitCode: EXPLAIN_EXIT.ok, output: text.join('\n'), tree, ...(logs?.ok ? { logs: lines } : {}) };
}

const USAGE = `faultline explain <correlation-id> [--jaeger URL] [--logs URL] [--no-logs] [--all]
  Prints the failing path of one request's trace: service, operation, kind, duration, status,
  error code/category/severity, exception events and their cause chains, where the error
  started versus where it was only passed on, and the log lines each span wrote (time, severity,
  message, error code). A trace Jaeger does not have is answered from its log lines alone.
  --jaeger URL   Jaeger query base URL (default: FAULTLINE_JAEGER_URL, else the running stack's
                 <repo>/.run/stack/state.json, else ${DEFAULT_JAEGER_URL})
  --logs URL     VictoriaLogs base URL (default: FAULTLINE_LOGS_URL, else the state file, else
                 ${DEFAULT_LOGS_URL})
  --no-logs      do not ask the log store
  --all          also show the healthy spans
Exit codes: 0 shown (from the trace, or from its log lines), 2 malformed ID or usage, 3 neither
trace nor log lines found, 4 Jaeger unreachable and no log lines, 1 other.`;

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
  let logs: string | undefined;
  let noLogs = false;
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
    else if (arg === '--logs') {
      logs = rest[++i];
      if (logs === undefined) {
        console.error(`--logs needs a URL\n\n${USAGE}`);
        return EXPLAIN_EXIT.usage;
      }
    } else if (arg.startsWith('--logs=')) logs = arg.slice('--logs='.length);
    else if (arg === '--no-logs') noLogs = true;
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
  const result = await explainTrace(ids[0]!, jaeger ?? defaultJaegerUrl(), {
    all,
    ...(noLogs ? {} : { logsUrl: logs ?? defaultLogsUrl() }),
  });
  if (result.exitCode === EXPLAIN_EXIT.ok) console.log(result.output);
  else console.error(result.output);
  return result.exitCode;
}
