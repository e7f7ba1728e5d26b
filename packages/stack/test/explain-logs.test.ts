// The log side of `faultline explain`: VictoriaLogs' answer (untrusted text) into log lines, and the
// lines in the tree under the span that wrote them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { logLineText, logsQueryUrl, logsUiLink, MAX_LOG_LINES, parseLogsBody } from '../src/explain-logs.js';
import { parseJaegerBody } from '../src/explain-parse.js';
import { renderTree } from '../src/explain-render.js';
import { buildTree } from '../src/explain-tree.js';
import { execution } from './explain-fixture.js';

const TRACE = '0123456789abcdef0123456789abcdef';

/** A line as VictoriaLogs' /select/logsql/query returns it: every value a string. */
function vlLine(fields: Record<string, string>): string {
  return JSON.stringify({
    _stream: '{service.name="worker"}',
    _stream_id: '00000000000000001',
    trace_id: TRACE,
    ...fields,
  });
}

describe('parseLogsBody (VictoriaLogs JSON lines)', () => {
  it('reads time, service, severity, message, code and span, oldest first', () => {
    const body = [
      vlLine({
        _time: '2026-12-02T10:00:02.500Z',
        _msg: 'charge failed',
        'service.name': 'worker',
        severity_text: 'ERROR',
        severity_number: '17',
        span_id: 'AAAAAAAAAAAAAAAA',
        'err.code': 'payment_declined',
      }),
      vlLine({
        _time: '2026-12-02T10:00:01.000Z',
        _msg: 'ledger down',
        'service.name': 'worker',
        severity_number: '13',
        'faultline.error.code': 'ledger_down',
        'err.code': 'other',
        'exception.type': 'FaultlineError',
      }),
    ].join('\n');
    const lines = parseLogsBody(body);
    expect(lines).toEqual([
      {
        time: '2026-12-02T10:00:01.000000000Z',
        service: 'worker',
        severity: 'WARN',
        message: 'ledger down',
        code: 'ledger_down',
        exceptionType: 'FaultlineError',
      },
      {
        time: '2026-12-02T10:00:02.500000000Z',
        service: 'worker',
        severity: 'ERROR',
        message: 'charge failed',
        code: 'payment_declined',
        spanId: 'aaaaaaaaaaaaaaaa',
      },
    ]);
    expect(logLineText(lines[0]!)).toBe(
      '10:00:01.000  WARN   worker  FaultlineError: ledger down  [ledger_down]',
    );
  });

  it("takes a pino line's code from exception.type when it is shaped like a code, not a class name", () => {
    const [coded, classed] = parseLogsBody(
      [
        vlLine({
          _time: '2026-12-02T10:00:01Z',
          _msg: 'order failed',
          'exception.type': 'dependency_failed',
        }),
        vlLine({ _time: '2026-12-02T10:00:02Z', _msg: 'boom', 'exception.type': 'TypeError' }),
      ].join('\n'),
    );
    expect(coded!.code).toBe('dependency_failed');
    expect(logLineText(coded!, false)).toBe('10:00:01.000  UNSET  order failed  [dependency_failed]');
    expect(classed!.code).toBeUndefined();
    expect(logLineText(classed!, false)).toBe('10:00:02.000  UNSET  TypeError: boom');
  });

  it('orders by time although VictoriaLogs drops the trailing zeros of the fraction', () => {
    const lines = parseLogsBody(
      [
        vlLine({ _time: '2026-12-02T10:00:00.526Z', _msg: 'second' }),
        vlLine({ _time: '2026-12-02T10:00:00.52Z', _msg: 'first' }),
        vlLine({ _time: '2026-12-02T10:00:01Z', _msg: 'third' }),
      ].join('\n'),
    );
    expect(lines.map((l) => l.message)).toEqual(['first', 'second', 'third']);
    expect(lines.map((l) => logLineText(l, false).slice(0, 12))).toEqual([
      '10:00:00.520',
      '10:00:00.526',
      '10:00:01.000',
    ]);
  });

  it('skips what is not a log object, strips control characters and escape sequences, bounds fields', () => {
    const body = [
      'not json',
      '[1,2]',
      'null',
      JSON.stringify({ _msg: 'no time' }),
      vlLine({
        _time: '2026-12-02T10:00:00Z',
        _msg: `\u001b[31mred\u001b[0m\r\nforged line\u0007${'x'.repeat(5000)}`,
      }),
    ].join('\n');
    const [line, ...rest] = parseLogsBody(body);
    expect(rest).toEqual([]);
    expect(line!.message.startsWith('red forged line x')).toBe(true);
    expect(line!.message.length).toBeLessThanOrEqual(400);
    expect(line!.service).toBe('unknown_service');
    expect(line!.severity).toBe('UNSET');
  });

  it('never throws and prints nothing a terminal would interpret, on any input (fast-check)', () => {
    const field = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
    );
    const object = fc.dictionary(
      fc.constantFrom(
        '_time',
        '_msg',
        'service.name',
        'severity_text',
        'severity_number',
        'span_id',
        'err.code',
        'x',
      ),
      field,
    );
    const body = fc.array(
      fc.oneof(
        object.map((o) => JSON.stringify(o)),
        fc.string({ unit: 'binary' }),
      ),
      {
        maxLength: 20,
      },
    );
    fc.assert(
      fc.property(body, (lines) => {
        for (const line of parseLogsBody(lines.join('\n'))) {
          const text = logLineText(line);
          // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence
          expect(text).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
          expect(line.message.length).toBeLessThanOrEqual(400);
          if (line.spanId !== undefined) expect(line.spanId).toMatch(/^[0-9a-f]{16}$/);
        }
      }),
    );
  });

  it(`keeps at most ${MAX_LOG_LINES} lines`, () => {
    const body = Array.from({ length: MAX_LOG_LINES + 50 }, (_, i) =>
      vlLine({ _time: `2026-12-02T10:00:00.${String(i).padStart(4, '0')}Z`, _msg: String(i) }),
    ).join('\n');
    expect(parseLogsBody(body)).toHaveLength(MAX_LOG_LINES);
  });
});

describe('the query and UI links', () => {
  it('asks for exactly one trace ID and links the UI to the same query', () => {
    const q = new URL(logsQueryUrl('http://127.0.0.1:9428/', TRACE));
    expect(q.pathname).toBe('/select/logsql/query');
    expect(q.searchParams.get('query')).toBe(`trace_id:="${TRACE}"`);
    const ui = logsUiLink('http://127.0.0.1:9428', TRACE, Date.parse('2026-12-02T10:00:00Z'));
    expect(ui.startsWith('http://127.0.0.1:9428/select/vmui/#/?')).toBe(true);
    const params = new URLSearchParams(ui.split('#/?')[1]);
    expect(params.get('query')).toBe(`trace_id:="${TRACE}"`);
    expect(params.get('g0.end_input')).toBe('2026-12-02T10:05:00.000Z');
    expect(params.get('g0.range_input')).toBe('1h');
    expect(new URLSearchParams(logsUiLink('http://h:1', TRACE).split('#/?')[1]).get('g0.relative_time')).toBe(
      'last_7_days',
    );
  });
});

describe('log lines in the tree', () => {
  const tree = buildTree(parseJaegerBody(execution.body), execution.traceId);
  const spans: string[] = [];
  const visit = (n: (typeof tree.roots)[number]) => {
    spans.push(n.spanId);
    n.children.forEach(visit);
  };
  tree.roots.forEach(visit);

  it('prints each line under the span that wrote it, and the rest after the tree', () => {
    const root = tree.roots[0]!;
    const logs = [
      {
        time: '2026-12-02T10:00:00.100Z',
        service: 'gateway',
        severity: 'ERROR',
        message: 'answered 500',
        spanId: root.spanId,
        code: 'internal_error',
      },
      { time: '2026-12-02T10:00:00.200Z', service: 'gateway', severity: 'INFO', message: 'no span here' },
    ];
    const text = renderTree(tree, { logs });
    const lines = text.split('\n');
    const at = lines.findIndex((l) => l.includes('log 10:00:00.100  ERROR  answered 500  [internal_error]'));
    expect(at).toBeGreaterThan(0);
    // Right under the root's own lines, before its first child.
    expect(lines.findIndex((l) => l.startsWith('├─ '))).toBeGreaterThan(at);
    expect(text).toContain('log lines of spans not shown above (1):');
    expect(text).toContain('no span\n   log 10:00:00.200  INFO   gateway  no span here');
  });
});
