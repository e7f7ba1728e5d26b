// `faultline explain`, the tree: spans into a parent/child tree per trace, each failed span marked
// as where its error started (`origin`) or where it was only passed on (`passed`). Attribute names
// are the recorder's (ATTR of @faultline/errors).
import { ATTR } from '@faultline/errors';
import {
  type AttrValue,
  attributes,
  type CauseLink,
  causesOf,
  type OtlpResourceSpans,
  type OtlpSpan,
} from './explain-parse.js';

/** The HTTP status a span answered or received (semantic conventions; @faultline/errors writes none). */
export const HTTP_STATUS = 'http.response.status_code';
/** The gRPC status attribute of older instrumentations. */
const LEGACY_GRPC_STATUS = 'rpc.grpc.status_code';

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

const KINDS = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];

function toNode(span: OtlpSpan, service: string): SpanNode {
  const attrs = attributes(span.attributes);
  const start = BigInt(span.startTimeUnixNano ?? '0');
  const end = BigInt(span.endTimeUnixNano ?? span.startTimeUnixNano ?? '0');
  const exceptions: ExceptionEvent[] = [];
  for (const event of span.events ?? []) {
    if (event.name !== 'exception') continue;
    const e = attributes(event.attributes);
    const str = (k: string) => (e[k] === undefined ? undefined : String(e[k]));
    const type = str(ATTR.EXCEPTION_TYPE);
    const message = str(ATTR.EXCEPTION_MESSAGE);
    exceptions.push({
      ...(type !== undefined ? { type } : {}),
      ...(message !== undefined ? { message } : {}),
      causes: causesOf(str(ATTR.EXCEPTION_STACKTRACE)),
    });
  }
  const code = span.status?.code ?? 0;
  const status = code === 2 ? 'ERROR' : code === 1 ? 'OK' : 'UNSET';
  // The Faultline code says more than error.type, which an HTTP server span sets to the status.
  const errorType = attrs[ATTR.CODE] ?? attrs[ATTR.ERROR_TYPE];
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
  for (const key of [ATTR.CODE, ATTR.ERROR_TYPE]) {
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
  const type = node.attributes[ATTR.ERROR_TYPE];
  if (type !== undefined) codes.add(String(type));
  for (const key of [HTTP_STATUS, ATTR.RPC_RESPONSE_STATUS_CODE, LEGACY_GRPC_STATUS]) {
    const v = node.attributes[key];
    if (v !== undefined) codes.add(String(v));
  }
  return codes;
}

export function subtreeFailed(node: SpanNode): boolean {
  return node.failed || node.children.some(subtreeFailed);
}

export function anyBelow(node: SpanNode, test: (n: SpanNode) => boolean): boolean {
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
