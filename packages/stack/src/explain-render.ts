// `faultline explain`, rendering: the tree as text, the failing path by default, each failed span
// with its code, category, severity and exception events with their cause chains.
import { ATTR } from '@faultline/errors';
import { type LogLine, logLineText } from './explain-logs.js';
import { anyBelow, HTTP_STATUS, type SpanNode, subtreeFailed, type TraceTree } from './explain-tree.js';

export interface RenderOptions {
  /** Show healthy branches too (default: only the path to failed spans). */
  all?: boolean;
  /** The trace's log lines (oldest first): each is printed under the span that wrote it. */
  logs?: LogLine[];
}

/** Log lines by the span that wrote them. */
function bySpan(logs: LogLine[]): Map<string, LogLine[]> {
  const out = new Map<string, LogLine[]>();
  for (const line of logs) {
    if (line.spanId === undefined) continue;
    const list = out.get(line.spanId);
    if (list) list.push(line);
    else out.set(line.spanId, [line]);
  }
  return out;
}

/** Log lines with no span shown above them: grouped by span, with the service. */
export function renderLogGroups(logs: LogLine[]): string[] {
  const out: string[] = [];
  const groups = new Map<string, LogLine[]>();
  for (const line of logs) {
    const key = line.spanId ?? '';
    const list = groups.get(key);
    if (list) list.push(line);
    else groups.set(key, [line]);
  }
  for (const [spanId, lines] of groups) {
    out.push(spanId ? `span ${spanId} (${lines[0]!.service})` : 'no span');
    for (const line of lines) out.push(`   log ${logLineText(line)}`);
  }
  return out;
}

function duration(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 10) return `${ms.toFixed(0)} ms`;
  return `${ms.toFixed(1)} ms`;
}

/** `GET` → `GET /orders/7` when the span knows its path (HTTP spans are named by method only). */
export function operation(n: SpanNode): string {
  const path = n.attributes['url.path'];
  return typeof path === 'string' && !n.name.includes(path) ? `${n.name} ${path}` : n.name;
}

function spanLine(n: SpanNode): string {
  const parts = [n.service, operation(n), n.kind, duration(n.durationMs), n.status];
  const status = n.attributes[ATTR.RPC_RESPONSE_STATUS_CODE] ?? n.attributes[HTTP_STATUS];
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
      a[ATTR.ERROR_TYPE] !== undefined && String(a[ATTR.ERROR_TYPE]) !== n.errorType
        ? `error.type ${a[ATTR.ERROR_TYPE]}`
        : undefined,
      a[ATTR.CATEGORY] !== undefined ? `category ${a[ATTR.CATEGORY]}` : undefined,
      a[ATTR.SEVERITY] !== undefined ? `severity ${a[ATTR.SEVERITY]}` : undefined,
      a[ATTR.RETRYABLE] !== undefined ? `retryable ${a[ATTR.RETRYABLE]}` : undefined,
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
  const logs = bySpan(options.logs ?? []);
  const printed = new Set<string>();
  const walk = (node: SpanNode, prefix: string, last: boolean, root: boolean) => {
    const branch = root ? '' : last ? '└─ ' : '├─ ';
    lines.push(`${prefix}${branch}${spanLine(node)}`);
    const childPrefix = root ? '' : `${prefix}${last ? '   ' : '│  '}`;
    const shown = options.all ? node.children : node.children.filter(subtreeFailed);
    const hidden = node.children.length - shown.length;
    const detailPrefix = `${childPrefix}${shown.length > 0 || hidden > 0 ? '│  ' : '   '}   `;
    for (const d of detailLines(node)) lines.push(`${detailPrefix}${d}`);
    for (const line of logs.get(node.spanId) ?? [])
      lines.push(`${detailPrefix}log ${logLineText(line, false)}`);
    if (logs.has(node.spanId)) printed.add(node.spanId);
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
  const rest = (options.logs ?? []).filter((l) => l.spanId === undefined || !printed.has(l.spanId));
  if (rest.length > 0) {
    lines.push('', `log lines of spans not shown above (${rest.length}):`, ...renderLogGroups(rest));
  }
  return lines.join('\n');
}

export function summaryLine(tree: TraceTree): string {
  const root = tree.roots[0];
  const total = root ? ` ${duration(root.durationMs)},` : '';
  return `trace ${tree.traceId}:${total} ${tree.spans} spans, services ${tree.services.join(', ')}, ${tree.failed} failed`;
}
