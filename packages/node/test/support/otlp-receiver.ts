/**
 * An OTLP/HTTP receiver for tests: listens on 127.0.0.1, decodes what exporters POST to /v1/traces,
 * /v1/metrics and /v1/logs with the upstream OTLP protobuf definitions (the protobufjs root that
 * @opentelemetry/otlp-transformer shipped up to 0.210, generated from opentelemetry-proto), and keeps
 * the result as plain objects. http/json payloads (the OTLP JSON mapping) are accepted too.
 *
 * Reusable from any package's tests:
 *   const receiver = await startOtlpReceiver();
 *   env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
 *   const span = await receiver.waitForSpan((s) => s.name === 'GET');
 *   await receiver.close();
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';

const require = createRequire(import.meta.url);

interface ProtoType {
  decode(bytes: Uint8Array): unknown;
  toObject(message: unknown, options: Record<string, unknown>): Record<string, unknown>;
}

function loadTypes(): { traces: ProtoType; metrics: ProtoType; logs: ProtoType } {
  // The package's exports map does not expose the generated root, so load it by path.
  const pkgDir = dirname(require.resolve('otlp-proto-root/package.json'));
  const root = require(join(pkgDir, 'build/src/generated/root.js')) as {
    opentelemetry: { proto: { collector: Record<string, Record<string, Record<string, ProtoType>>> } };
  };
  const c = root.opentelemetry.proto.collector;
  return {
    traces: c.trace!.v1!.ExportTraceServiceRequest!,
    metrics: c.metrics!.v1!.ExportMetricsServiceRequest!,
    logs: c.logs!.v1!.ExportLogsServiceRequest!,
  };
}

export type AttributeValue =
  | string
  | number
  | boolean
  | AttributeValue[]
  | { [key: string]: AttributeValue }
  | null;
export type AttributeMap = Record<string, AttributeValue>;

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  attributes: AttributeMap;
  /** OTLP StatusCode: 0 unset, 1 ok, 2 error. */
  status: { code: number; message: string };
  events: Array<{ name: string; attributes: AttributeMap }>;
  resource: AttributeMap;
  scope: string;
}

export interface ReceivedLog {
  traceId: string;
  spanId: string;
  severityNumber: number;
  severityText: string;
  eventName: string;
  body: AttributeValue;
  attributes: AttributeMap;
  resource: AttributeMap;
  scope: string;
}

export interface ReceivedMetricPoint {
  name: string;
  value: number;
  attributes: AttributeMap;
  resource: AttributeMap;
}

export interface OtlpReceiver {
  /** Base URL for OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly url: string;
  readonly spans: ReceivedSpan[];
  readonly logs: ReceivedLog[];
  readonly metrics: ReceivedMetricPoint[];
  /** Content types seen, e.g. application/x-protobuf. */
  readonly contentTypes: Set<string>;
  waitForSpan(match: (s: ReceivedSpan) => boolean, timeoutMs?: number): Promise<ReceivedSpan>;
  waitForLog(match: (l: ReceivedLog) => boolean, timeoutMs?: number): Promise<ReceivedLog>;
  waitForMetric(match: (m: ReceivedMetricPoint) => boolean, timeoutMs?: number): Promise<ReceivedMetricPoint>;
  clear(): void;
  close(): Promise<void>;
}

const toHex = (v: unknown): string =>
  v instanceof Uint8Array ? Buffer.from(v).toString('hex') : String(v ?? '');

function anyValue(v: Record<string, unknown> | undefined): AttributeValue {
  if (!v) return null;
  if ('stringValue' in v) return v.stringValue as string;
  if ('boolValue' in v) return v.boolValue as boolean;
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return Number(v.doubleValue);
  if ('arrayValue' in v)
    return ((v.arrayValue as { values?: Record<string, unknown>[] }).values ?? []).map((x) => anyValue(x));
  if ('kvlistValue' in v) return attributes((v.kvlistValue as { values?: KeyValue[] }).values);
  if ('bytesValue' in v) return toHex(v.bytesValue);
  return null;
}

type KeyValue = { key: string; value?: Record<string, unknown> };

function attributes(list: KeyValue[] | undefined): AttributeMap {
  const out: AttributeMap = {};
  for (const kv of list ?? []) out[kv.key] = anyValue(kv.value);
  return out;
}

/** The OTLP JSON mapping writes ids as hex and 64-bit ints as strings; bring it to the decoded shape. */
function fromJson(body: string): Record<string, unknown> {
  return JSON.parse(body, (key, value) => {
    if ((key === 'traceId' || key === 'spanId' || key === 'parentSpanId') && typeof value === 'string') {
      return value === '' ? new Uint8Array() : Uint8Array.from(Buffer.from(value, 'hex'));
    }
    return value;
  }) as Record<string, unknown>;
}

// biome-ignore lint/suspicious/noExplicitAny: decoded protobuf objects are walked structurally.
type Decoded = any;

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const types = loadTypes();
  const spans: ReceivedSpan[] = [];
  const logs: ReceivedLog[] = [];
  const metrics: ReceivedMetricPoint[] = [];
  const contentTypes = new Set<string>();
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const w of waiters) w();
  };

  const decode = (type: ProtoType, req: IncomingMessage, raw: Buffer): Decoded => {
    const ct = String(req.headers['content-type'] ?? '');
    contentTypes.add(ct);
    const bytes = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
    if (ct.includes('json')) return fromJson(bytes.toString('utf8'));
    return type.toObject(type.decode(bytes), { longs: String, defaults: true, arrays: true });
  };

  const ingest = (path: string, req: IncomingMessage, raw: Buffer) => {
    if (path === '/v1/traces') {
      const msg = decode(types.traces, req, raw);
      for (const rs of msg.resourceSpans ?? []) {
        const resource = attributes(rs.resource?.attributes);
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            spans.push({
              traceId: toHex(s.traceId),
              spanId: toHex(s.spanId),
              parentSpanId: toHex(s.parentSpanId),
              name: s.name,
              kind: Number(s.kind ?? 0),
              attributes: attributes(s.attributes),
              status: { code: Number(s.status?.code ?? 0), message: s.status?.message ?? '' },
              events: (s.events ?? []).map((e: Decoded) => ({
                name: e.name,
                attributes: attributes(e.attributes),
              })),
              resource,
              scope: ss.scope?.name ?? '',
            });
          }
        }
      }
    } else if (path === '/v1/logs') {
      const msg = decode(types.logs, req, raw);
      for (const rl of msg.resourceLogs ?? []) {
        const resource = attributes(rl.resource?.attributes);
        for (const sl of rl.scopeLogs ?? []) {
          for (const l of sl.logRecords ?? []) {
            logs.push({
              traceId: toHex(l.traceId),
              spanId: toHex(l.spanId),
              severityNumber: Number(l.severityNumber ?? 0),
              severityText: l.severityText ?? '',
              eventName: l.eventName ?? '',
              body: anyValue(l.body),
              attributes: attributes(l.attributes),
              resource,
              scope: sl.scope?.name ?? '',
            });
          }
        }
      }
    } else if (path === '/v1/metrics') {
      const msg = decode(types.metrics, req, raw);
      for (const rm of msg.resourceMetrics ?? []) {
        const resource = attributes(rm.resource?.attributes);
        for (const sm of rm.scopeMetrics ?? []) {
          for (const m of sm.metrics ?? []) {
            const points = m.sum?.dataPoints ?? m.gauge?.dataPoints ?? m.histogram?.dataPoints ?? [];
            for (const p of points) {
              const value = Number(p.asInt ?? p.asDouble ?? p.count ?? 0);
              metrics.push({ name: m.name, value, attributes: attributes(p.attributes), resource });
            }
          }
        }
      }
    }
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        ingest(new URL(req.url ?? '/', 'http://x').pathname, req, Buffer.concat(chunks));
        res.writeHead(200, {
          'content-type': String(req.headers['content-type'] ?? 'application/x-protobuf'),
        });
        res.end(String(req.headers['content-type']).includes('json') ? '{}' : undefined);
      } catch (error) {
        res.writeHead(400).end(String(error));
      }
      notify();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };

  function waitFor<T>(list: T[], match: (x: T) => boolean, what: string, timeoutMs = 20_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const hit = list.find(match);
        if (!hit) return false;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(hit);
        return true;
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no matching ${what} within ${timeoutMs} ms (received ${list.length})`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  }

  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    logs,
    metrics,
    contentTypes,
    waitForSpan: (m, t) => waitFor(spans, m, 'span', t),
    waitForLog: (m, t) => waitFor(logs, m, 'log record', t),
    waitForMetric: (m, t) => waitFor(metrics, m, 'metric point', t),
    clear() {
      spans.length = 0;
      logs.length = 0;
      metrics.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
