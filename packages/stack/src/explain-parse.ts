// `faultline explain`, parsing: Jaeger's API v3 answer (OTLP-JSON shaped) into resource spans,
// attribute values, and the cause sections of a Faultline exception.stacktrace (the format
// @faultline/errors writes, read back with its own parseCauseHeader).
import { parseCauseHeader } from '@faultline/errors/internal';

export type AttrValue = string | number | boolean;

export interface CauseLink {
  via: 'caused by' | 'aggregated';
  /** The Faultline code of the cause, when it was one (`[code]` in the stacktrace). */
  code?: string;
  /** The cause's header line: `Type: message`. */
  text: string;
}

export interface OtlpAnyValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: OtlpAnyValue[] };
}
export interface OtlpKeyValue {
  key: string;
  value?: OtlpAnyValue;
}
export interface OtlpSpan {
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
export interface OtlpResourceSpans {
  resource?: { attributes?: OtlpKeyValue[] };
  scopeSpans?: { spans?: OtlpSpan[] }[];
}

function value(v: OtlpAnyValue | undefined): AttrValue {
  if (v === undefined) return '';
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map((x) => String(value(x))).join(',');
  return '';
}

export function attributes(list: OtlpKeyValue[] | undefined): Record<string, AttrValue> {
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
    const section = parseCauseHeader(line);
    if (!section) continue;
    out.push({
      via: section.via === 'aggregate' ? 'aggregated' : 'caused by',
      ...(section.code !== undefined ? { code: section.code } : {}),
      text: section.rest.trim(),
    });
  }
  return out;
}
