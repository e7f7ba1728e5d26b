// `faultline explain`, the logs: one trace's log lines from VictoriaLogs (LogsQL over HTTP), read
// as untrusted text (bounded, control characters stripped before they reach a terminal), and the
// links into VictoriaLogs' web UI. The collector stores every log record with its trace_id and
// span_id (collector/otelcol.yaml, exporter otlp_http/victorialogs).

/** One log record of a trace, as `faultline explain` prints it. */
export interface LogLine {
  /** RFC 3339 time (`_time`), its fraction padded to nanoseconds so that times sort as text. */
  time: string;
  service: string;
  /** severity_text, else the name of severity_number's range (INFO, WARN, ERROR…). */
  severity: string;
  message: string;
  /**
   * The Faultline code the line carries: faultline.error.code, err.code, error.type, else an
   * exception.type shaped like a code (instrumentation-pino hands pino's `err` to the logs SDK,
   * which writes its `code` as exception.type).
   */
  code?: string;
  /** The span that wrote it. */
  spanId?: string;
  /** exception.type of an exception log record. */
  exceptionType?: string;
}

/** At most this many lines are asked for and kept per trace. */
export const MAX_LOG_LINES = 1_000;
const MAX_FIELD = 400;
const MAX_BODY = 16 * 1024 * 1024;

/** Fields that say which Faultline code a log line is about, most precise first. */
const CODE_FIELDS = ['faultline.error.code', 'err.code', 'error.code', 'error.type'];
/** A Faultline code (snake case), not a class name. */
const CODE_SHAPE = /^[a-z][a-z0-9_]*$/;
const SEVERITIES: Array<[number, string]> = [
  [21, 'FATAL'],
  [17, 'ERROR'],
  [13, 'WARN'],
  [9, 'INFO'],
  [5, 'DEBUG'],
  [1, 'TRACE'],
];

/** LogsQL for every line of one trace (the ID must already be checked: 32 hex digits). */
export function traceLogsQuery(traceId: string): string {
  return `trace_id:="${traceId}"`;
}

/** The LogsQL query API URL for one trace's lines. */
export function logsQueryUrl(logsUrl: string, traceId: string, limit = MAX_LOG_LINES): string {
  const base = logsUrl.replace(/\/+$/, '');
  const params = new URLSearchParams({ query: traceLogsQuery(traceId), limit: String(limit) });
  return `${base}/select/logsql/query?${params}`;
}

/**
 * VictoriaLogs' web UI (vmui) showing one trace's lines: the hour before `atMs` (and five minutes
 * after), or the last 7 days (the default retention) when no time is given.
 */
export function logsUiLink(logsUrl: string, traceId: string, atMs?: number): string {
  const base = logsUrl.replace(/\/+$/, '');
  const params = new URLSearchParams({ query: traceLogsQuery(traceId) });
  if (atMs !== undefined && Number.isFinite(atMs)) {
    params.set('g0.end_input', new Date(atMs + 5 * 60_000).toISOString());
    params.set('g0.range_input', '1h');
    params.set('g0.relative_time', 'none');
  } else params.set('g0.relative_time', 'last_7_days');
  return `${base}/select/vmui/#/?${params}`;
}

/** Printable, one line, bounded: log content is written by anyone and read in a terminal. */
function clean(value: unknown, max = MAX_FIELD): string | undefined {
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return undefined;
  // Escape sequences first (ESC [ … final byte), then every other control character.
  const text = String(value)
    .slice(0, max * 4)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the escape character is what is removed
    .replace(/\u001b\[[0-?]*[ -/]*[@-~]/g, '')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ')
    .trim();
  if (text.length === 0) return undefined;
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function severityOf(fields: Record<string, unknown>): string {
  const text = clean(fields.severity_text, 16);
  if (text) return text.toUpperCase();
  const n = Number(fields.severity_number);
  if (Number.isInteger(n)) for (const [min, name] of SEVERITIES) if (n >= min && n <= 24) return name;
  return 'UNSET';
}

/** One JSON line of the query API's answer; undefined for anything that is not a log object. */
function toLine(text: string): LogLine | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const f = parsed as Record<string, unknown>;
  const raw = clean(f._time, 40);
  if (raw === undefined) return undefined;
  // VictoriaLogs drops trailing zeros of the fraction (10:00:00.52Z): padded, times sort as text.
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(raw);
  const time = m ? `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}Z` : raw;
  let code: string | undefined;
  for (const key of CODE_FIELDS) {
    code = clean(f[key], 120);
    if (code !== undefined) break;
  }
  const spanId = clean(f.span_id, 32);
  const exceptionType = clean(f['exception.type'], 120);
  if (code === undefined && exceptionType !== undefined && CODE_SHAPE.test(exceptionType))
    code = exceptionType;
  return {
    time,
    service: clean(f['service.name'], 120) ?? 'unknown_service',
    severity: severityOf(f),
    message: clean(f._msg) ?? '',
    ...(code !== undefined ? { code } : {}),
    ...(spanId !== undefined && /^[0-9a-f]{16}$/i.test(spanId) && !/^0+$/.test(spanId)
      ? { spanId: spanId.toLowerCase() }
      : {}),
    ...(exceptionType !== undefined ? { exceptionType } : {}),
  };
}

/**
 * The answer of `/select/logsql/query` (one JSON object a line) as log lines, oldest first. Lines
 * that are not log objects are skipped; never throws; at most MAX_LOG_LINES lines.
 */
export function parseLogsBody(body: string): LogLine[] {
  const out: LogLine[] = [];
  const text = typeof body === 'string' ? body.slice(0, MAX_BODY) : '';
  for (const raw of text.split('\n')) {
    if (out.length >= MAX_LOG_LINES) break;
    const line = raw.trim();
    if (line.length === 0) continue;
    const parsed = toLine(line);
    if (parsed) out.push(parsed);
  }
  return out.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
}

export type LogsAnswer = { ok: true; lines: LogLine[] } | { ok: false; why: string };

/** Asks VictoriaLogs for one trace's lines; never throws (a failure is `ok: false` and why). */
export async function fetchTraceLogs(
  logsUrl: string,
  traceId: string,
  timeoutMs = 10_000,
): Promise<LogsAnswer> {
  const url = logsQueryUrl(logsUrl, traceId);
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const body = await res.text();
    if (!res.ok) return { ok: false, why: `HTTP ${res.status}: ${clean(body, 200) ?? ''}` };
    return { ok: true, lines: parseLogsBody(body) };
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    return { ok: false, why: cause?.code ?? cause?.message ?? (e as Error).message };
  }
}

/** `12:03:04.567 WARN  checkout  message [code]`, the way explain prints a line. */
export function logLineText(line: LogLine, withService = true): string {
  const m = /T(\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?/.exec(line.time);
  const t = m ? `${m[1]}.${(m[2] ?? '').padEnd(3, '0').slice(0, 3)}` : line.time;
  const parts = [t, line.severity.padEnd(5)];
  if (withService) parts.push(line.service);
  let message = line.message;
  if (line.exceptionType && line.exceptionType !== line.code && !message.includes(line.exceptionType))
    message = `${line.exceptionType}: ${message}`;
  parts.push(message);
  if (line.code !== undefined) parts.push(`[${line.code}]`);
  return parts.join('  ');
}
