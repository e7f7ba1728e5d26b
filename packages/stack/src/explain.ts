// `faultline explain <correlation-id>`: reads one trace from Jaeger's API v3 (OTLP-JSON shaped)
// and prints its failing path as a tree, marking where the error started and where it was only
// passed on. The correlation ID is the trace ID, so the ID a client got is all it takes.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
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

type AttrValue = string | number | boolean;

export interface CauseLink {
  via: 'caused by' | 'aggregated';
  /** The Faultline code of the cause, when it was one (`[code]` in the stacktrace). */
  code?: string;
  /** The cause's header line: `Type: message`. */
  text: string;
}

export interface ExceptionEvent {
  type?: string;
  message?: string;
  causes: CauseLink[];
}

export interface SpanNode {
  spanId: string;
  parentSpanId?: string;
  service: string;
  name: string;
  kind: string;
  startNs: bigint;
  durationMs: number;
  status: 'OK' | 'ERROR' | 'UNSET';
  statusMessage?: string;
  attributes: Record<string, AttrValue>;
  /** faultline.error.code, else error.type. */
  errorType?: string;
  exceptions: ExceptionEvent[];
  children: SpanNode[];
  /** Failed itself: status ERROR, an error.type, or an exception event. */
  failed: boolean;
  /** Where the failure sits: `origin` raised it, `passed` got it from a failed span below. */
  role?: 'origin' | 'passed';
}

export interface TraceTree {
  traceId: string;
  spans: number;
  services: string[];
  roots: SpanNode[];
  failed: number;
  /** The deepest spans where an error started (no span below them raised one). */
  origins: SpanNode[];
}

// ---------------------------------------------------------------- parsing Jaeger's answer

interface OtlpAnyValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: OtlpAnyValue[] };
}
interface OtlpKeyValue {
  key: string;
  value?: OtlpAnyValue;
}
interface OtlpSpan {
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  name?: string;
  kind?: number;
  startTimeUnixNano?: string;
  endTimeUnixNano?: string;
  attributes?: OtlpKeyValue[];
  events?: { name?: string; attributes?: OtlpKeyValue[] }[];
  status?: { code?: number; message?: string };
}
interface OtlpResourceSpans {
  resource?: { attributes?: OtlpKeyValue[] };
  scopeSpans?: { spans?: OtlpSpan[] }[];
}

const KINDS = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];

function value(v: OtlpAnyValue | undefined): AttrValue {
  if (v === undefined) return '';
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map((x) => String(value(x))).join(',');
  return '';
}

function attributes(list: OtlpKeyValue[] | undefined): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  for (const kv of list ?? []) if (typeof kv?.key === 'string') out[kv.key] = value(kv.value);
  return out;
}

/**
 * Jaeger streams GetTrace as one or more `{"result": {"resourceSpans": [...]}}` objects (one per
 * chunk, newline separated); an `{"error": ...}` object stands for a failure.
 */
export function parseJaegerBody(body: string): OtlpResourceSpans[] {
  const out: OtlpResourceSpans[] = [];
  for (const chunk of splitJsonObjects(body)) {
    const parsed = JSON.parse(chunk) as {
      result?: { resourceSpans?: OtlpResourceSpans[] };
      error?: { message?: string; httpCode?: number };
    };
    if (parsed.error) throw new Error(parsed.error.message ?? 'Jaeger returned an error');
    out.push(...(parsed.result?.resourceSpans ?? []));
  }
  return out;
}

/** Splits concatenated JSON objects (`{...}\n{...}`) at top level, respecting strings. */
function splitJsonObjects(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === '}') {
      depth--;
      if (depth === 0 && start >= 0) out.push(text.slice(start, i + 1));
    }
  }
  return out;
}

/** The `Caused by:` / `Aggregated:` sections of a Faultline exception.stacktrace, outermost first. */
export function causesOf(stacktrace: string | undefined): CauseLink[] {
  if (!stacktrace) return [];
  const out: CauseLink[] = [];
  for (const line of stacktrace.split('\n')) {
    const m = /^(Caused by|Aggregated): (?:\[([a-z0-9_]+)\] )?(.*)$/.exec(line);
    if (!m) continue;
    out.push({
      via: m[1] === 'Aggregated' ? 'aggregated' : 'caused by',
      ...(m[2] !== undefined ? { code: m[2] } : {}),
      text: m[3]!.trim(),
    });
  }
  return out;
}

function toNode(span: OtlpSpan, service: string): SpanNode {
  const attrs = attributes(span.attributes);
  const start = BigInt(span.startTimeUnixNano ?? '0');
  const end = BigInt(span.endTimeUnixNano ?? span.startTimeUnixNano ?? '0');
  const exceptions: ExceptionEvent[] = [];
  for (const event of span.events ?? []) {
    if (event.name !== 'exception') continue;
    const e = attributes(event.attributes);
    const str = (k: string) => (e[k] === undefined ? undefined : String(e[k]));
    const type = str('exception.type');
    const message = str('exception.message');
    exceptions.push({
      ...(type !== undefined ? { type } : {}),
      ...(message !== undefined ? { message } : {}),
      causes: causesOf(str('exception.stacktrace')),
    });
  }
  const code = span.status?.code ?? 0;
  const status = code === 2 ? 'ERROR' : code === 1 ? 'OK' : 'UNSET';
  // The Faultline code says more than error.type, which an HTTP server span sets to the status.
  const errorType = attrs['faultline.error.code'] ?? attrs['error.type'];
  const parent = span.parentSpanId && !/^0*$/.test(span.parentSpanId) ? span.parentSpanId : undefined;
  return {
    spanId: span.spanId ?? '',
    ...(parent !== undefined ? { parentSpanId: parent } : {}),
    service,
    name: span.name ?? '(unnamed)',
    kind: KINDS[span.kind ?? 0] ?? String(span.kind),
    startNs: start,
    durationMs: Number(end - start) / 1e6,
    status,
    ...(span.status?.message ? { statusMessage: span.status.message } : {}),
    attributes: attrs,
    ...(errorType !== undefined ? { errorType: String(errorType) } : {}),
    exceptions,
    children: [],
    failed: status === 'ERROR' || errorType !== undefined || exceptions.length > 0,
  };
}

/** The codes a span's error stands for: its own and those of the causes it wraps. */
function codesOf(node: SpanNode): Set<string> {
  const codes = new Set<string>();
  for (const key of ['faultline.error.code', 'error.type']) {
    const v = node.attributes[key];
    if (v !== undefined) codes.add(String(v));
  }
  for (const e of node.exceptions) for (const c of e.causes) if (c.code) codes.add(c.code);
  return codes;
}

/** What a failed span answered its caller: its code, and the HTTP/gRPC status it answered with. */
function answeredOf(node: SpanNode): Set<string> {
  const codes = new Set<string>();
  if (node.errorType !== undefined) codes.add(node.errorType);
  const type = node.attributes['error.type'];
  if (type !== undefined) codes.add(String(type));
  for (const key of ['http.response.status_code', 'rpc.response.status_code', 'rpc.grpc.status_code']) {
    const v = node.attributes[key];
    if (v !== undefined) codes.add(String(v));
  }
  return codes;
}

function subtreeFailed(node: SpanNode): boolean {
  return node.failed || node.children.some(subtreeFailed);
}

function anyBelow(node: SpanNode, test: (n: SpanNode) => boolean): boolean {
  return node.children.some((c) => test(c) || anyBelow(c, test));
}

/**
 * A failed span passed its error on when a failed span below it answered the same code (or one
 * its cause chain names, for an error wrapped on the way up, or the status code a client span
 * recorded); otherwise the error started there. Descendants count, not only children: a retry's
 * attempt span or a gRPC client span sits between a server span and the failed call.
 */
function classify(node: SpanNode): void {
  for (const child of node.children) classify(child);
  if (!node.failed) return;
  const mine = codesOf(node);
  const received = anyBelow(node, (d) => d.failed && [...answeredOf(d)].some((code) => mine.has(code)));
  // Without any code (a bare status ERROR) a failed span below is all we can go by.
  const bare = mine.size === 0 && anyBelow(node, (d) => d.failed);
  node.role = received || bare ? 'passed' : 'origin';
}

/** Origins with no origin below them: where the failure began. */
function firstOrigins(roots: SpanNode[]): SpanNode[] {
  const out: SpanNode[] = [];
  const visit = (n: SpanNode) => {
    if (n.role === 'origin' && !anyBelow(n, (d) => d.role === 'origin')) out.push(n);
    for (const c of n.children) visit(c);
  };
  for (const r of roots) visit(r);
  return out;
}

export function buildTree(resourceSpans: OtlpResourceSpans[], traceId: string): TraceTree {
  const nodes = new Map<string, SpanNode>();
  const services = new Set<string>();
  for (const rs of resourceSpans) {
    const service = String(attributes(rs.resource?.attributes)['service.name'] ?? 'unknown_service');
    services.add(service);
    for (const scope of rs.scopeSpans ?? []) {
      for (const span of scope.spans ?? []) {
        const node = toNode(span, service);
        if (node.spanId) nodes.set(node.spanId, node);
      }
    }
  }
  const roots: SpanNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.parentSpanId ? nodes.get(node.parentSpanId) : undefined;
    // A span whose parent is not in the trace (not exported, sampled away) is shown as a root.
    if (parent) parent.children.push(node);
    else roots.push(node);
  }
  const byStart = (a: SpanNode, b: SpanNode) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0);
  for (const node of nodes.values()) node.children.sort(byStart);
  roots.sort(byStart);
  for (const root of roots) classify(root);
  const all = [...nodes.values()];
  return {
    traceId,
    spans: nodes.size,
    services: [...services].sort(),
    roots,
    failed: all.filter((n) => n.failed).length,
    origins: firstOrigins(roots).sort(byStart),
  };
}

// ---------------------------------------------------------------- rendering

export interface RenderOptions {
  /** Show healthy branches too (default: only the path to failed spans). */
  all?: boolean;
}

function duration(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 10) return `${ms.toFixed(0)} ms`;
  return `${ms.toFixed(1)} ms`;
}

/** `GET` → `GET /orders/7` when the span knows its path (HTTP spans are named by method only). */
function operation(n: SpanNode): string {
  const path = n.attributes['url.path'];
  return typeof path === 'string' && !n.name.includes(path) ? `${n.name} ${path}` : n.name;
}

function spanLine(n: SpanNode): string {
  const parts = [n.service, operation(n), n.kind, duration(n.durationMs), n.status];
  const status = n.attributes['rpc.response.status_code'] ?? n.attributes['http.response.status_code'];
  if (status !== undefined) parts.push(String(status));
  let line = parts.join('  ');
  if (n.role === 'origin') {
    line += anyBelow(n, (d) => d.failed)
      ? '   <== raised its own error after a failure below'
      : '   <== error started here';
  } else if (n.role === 'passed') line += '   (passed on)';
  return line;
}

function detailLines(n: SpanNode): string[] {
  const out: string[] = [];
  if (n.failed) {
    const a = n.attributes;
    const facts = [
      n.errorType !== undefined ? `error ${n.errorType}` : undefined,
      a['error.type'] !== undefined && String(a['error.type']) !== n.errorType
        ? `error.type ${a['error.type']}`
        : undefined,
      a['faultline.error.category'] !== undefined ? `category ${a['faultline.error.category']}` : undefined,
      a['faultline.error.severity'] !== undefined ? `severity ${a['faultline.error.severity']}` : undefined,
      a['faultline.error.retryable'] !== undefined
        ? `retryable ${a['faultline.error.retryable']}`
        : undefined,
    ].filter((x) => x !== undefined);
    if (facts.length > 0) out.push(facts.join(', '));
    else if (n.statusMessage) out.push(`status: ${n.statusMessage}`);
  }
  for (const e of n.exceptions) {
    out.push(`exception ${e.type ?? 'Error'}: ${e.message ?? ''}`.trimEnd());
    for (const c of e.causes) out.push(`  ${c.via}: ${c.code ? `[${c.code}] ` : ''}${c.text}`);
  }
  return out;
}

/** The tree as text; by default only failed spans and their ancestors, healthy branches counted. */
export function renderTree(tree: TraceTree, options: RenderOptions = {}): string {
  const lines: string[] = [];
  const walk = (node: SpanNode, prefix: string, last: boolean, root: boolean) => {
    const branch = root ? '' : last ? '└─ ' : '├─ ';
    lines.push(`${prefix}${branch}${spanLine(node)}`);
    const childPrefix = root ? '' : `${prefix}${last ? '   ' : '│  '}`;
    const shown = options.all ? node.children : node.children.filter(subtreeFailed);
    const hidden = node.children.length - shown.length;
    const detailPrefix = `${childPrefix}${shown.length > 0 || hidden > 0 ? '│  ' : '   '}   `;
    for (const d of detailLines(node)) lines.push(`${detailPrefix}${d}`);
    shown.forEach((child, i) => {
      walk(child, childPrefix, i === shown.length - 1 && hidden === 0, false);
    });
    if (hidden > 0) {
      const names = node.children
        .filter((c) => !subtreeFailed(c))
        .map((c) => `${c.service} ${operation(c)}`)
        .slice(0, 3);
      lines.push(`${childPrefix}└─ (${hidden} healthy: ${names.join(', ')}${hidden > 3 ? ', …' : ''})`);
    }
  };
  const roots = options.all ? tree.roots : tree.roots.filter(subtreeFailed);
  for (const root of roots) walk(root, '', true, true);
  return lines.join('\n');
}

export function summaryLine(tree: TraceTree): string {
  const root = tree.roots[0];
  const total = root ? ` ${duration(root.durationMs)},` : '';
  return `trace ${tree.traceId}:${total} ${tree.spans} spans, services ${tree.services.join(', ')}, ${tree.failed} failed`;
}

// ---------------------------------------------------------------- the command

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
