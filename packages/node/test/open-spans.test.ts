import { FaultlineError } from '@faultline/errors';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { OpenServerSpans } from '../src/open-spans.js';
import { FaultlineSpanProcessor } from '../src/processor.js';

function setup(max: number) {
  const open = new OpenServerSpans(max);
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    spanProcessors: [new FaultlineSpanProcessor('events', open), new SimpleSpanProcessor({ exporter })],
  });
  const tracer = provider.getTracer('test');
  const server = (name: string) => tracer.startSpan(name, { kind: SpanKind.SERVER });
  return { open, exporter, tracer, server };
}

describe('OpenServerSpans', () => {
  it('keeps only SERVER spans, forgets them when they end, and is bounded', () => {
    const { open, tracer, server } = setup(3);
    const internal = tracer.startSpan('internal');
    const a = server('a');
    const b = server('b');
    expect(open.size).toBe(2);
    a.end();
    internal.end();
    expect(open.size).toBe(1);
    expect(open.single()).toBe(b);
    const more = ['c', 'd', 'e', 'f'].map(server);
    // Bounded: four more in three slots; the ones pushed out are simply no longer tracked.
    expect(open.size).toBe(3);
    for (const span of [b, ...more]) span.end();
    expect(open.size).toBe(0);
    expect(open.single()).toBeUndefined();
  });

  it('endAll ends each open SERVER span with the error, ERROR status and one exception event', () => {
    const { open, exporter, server } = setup(10);
    const done = server('done');
    done.end();
    server('x');
    server('y');
    const err = new FaultlineError({ code: 'internal_error', message: 'crashed' });
    expect(open.endAll(err, 'uncaughtException')).toBe(2);
    expect(open.size).toBe(0);
    const ended = exporter.getFinishedSpans().filter((s) => s.name !== 'done');
    expect(ended.map((s) => s.name).sort()).toEqual(['x', 'y']);
    for (const span of ended) {
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(span.attributes['faultline.error.origin']).toBe('uncaughtException');
      expect(span.attributes['faultline.error.code']).toBe('internal_error');
      expect(span.events.filter((e) => e.name === 'exception')).toHaveLength(1);
      expect(open.wasCrashed(span)).toBe(true);
    }
    expect(exporter.getFinishedSpans().find((s) => s.name === 'done')?.status.code).toBe(
      SpanStatusCode.UNSET,
    );
    // Nothing left to end a second time.
    expect(open.endAll(err, 'uncaughtException')).toBe(0);
  });
});
