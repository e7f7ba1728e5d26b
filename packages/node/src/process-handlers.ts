import { ATTR, type FaultlineError, faultlineConfig, recordError, toFaultlineError } from '@faultline/errors';
import {
  errorAttributes,
  exceptionAttributes,
  isIgnored,
  linkCounted,
  statusMessage,
} from '@faultline/errors/internal';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { printRejectionHeader, rethrow } from './crash-header.js';
import type { CrashMetrics } from './crash-metrics.js';
import { emitExceptionLog, wasLogged } from './exception-logs.js';
import type { OpenServerSpans } from './open-spans.js';

/**
 * Process-level failures: uncaught exceptions, unhandled rejections and termination signals are
 * recorded and every signal is flushed (bounded by FAULTLINE_FLUSH_TIMEOUT_MS) before the process
 * goes on exactly as it would have without us.
 *
 * Node exits synchronously after an uncaught exception when nobody listens for it, so observing
 * with `uncaughtExceptionMonitor` alone leaves no time to flush. We therefore listen to
 * `uncaughtException` too; when ours is the only listener we flush, remove ourselves and throw the
 * same value again from a fresh macrotask, so Node's own handler prints it and exits with its own
 * code (1). When the app has its own listeners, those decide, and we flush in the background.
 * crash-header.ts says what becomes of the source-line header Node prints above the stack.
 */
interface Handlers {
  flush(timeoutMs?: number): Promise<void>;
  timeoutMs: number;
  /** SERVER spans still open; a fatal exception ends them with the error before the flush. */
  openSpans?: OpenServerSpans;
  /** Set when metrics are pulled: a fatal failure's count is pushed before exit (crash-metrics.ts). */
  crashMetrics?: CrashMetrics;
}

type RejectionMode = 'throw' | 'strict' | 'warn' | 'none' | 'warn-with-error-code';

let state:
  | {
      handlers: Handlers;
      exiting: boolean;
      signalled: boolean;
      flushedBeforeExit: boolean;
      rejectionListenerAttached: boolean;
      mode: RejectionMode;
    }
  | undefined;
let rethrowing = false;

/** The --unhandled-rejections mode Node runs with (from execArgv or NODE_OPTIONS; default throw). */
export function unhandledRejectionsMode(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions = process.env.NODE_OPTIONS ?? '',
): RejectionMode {
  let mode: RejectionMode = 'throw';
  for (const arg of [...nodeOptions.split(/\s+/), ...execArgv]) {
    const m = /^--unhandled-rejections=(throw|strict|warn|none|warn-with-error-code)$/.exec(arg);
    if (m) mode = m[1] as RejectionMode;
  }
  return mode;
}

// biome-ignore lint/suspicious/noExplicitAny: process.on is overloaded per event; the table pairs them.
type AnyListener = (...args: any[]) => void;

function listeners(): Array<[string, AnyListener]> {
  return [
    ['uncaughtExceptionMonitor', onMonitor],
    ['uncaughtException', onUncaught],
    ['SIGTERM', onSignal],
    ['SIGINT', onSignal],
    ['beforeExit', onBeforeExit],
    ['warning', onWarning],
    ['newListener', onNewListener],
    ['removeListener', onRemoveListener],
  ];
}

export function installProcessHandlers(handlers: Handlers): void {
  if (state) return;
  state = {
    handlers,
    exiting: false,
    signalled: false,
    flushedBeforeExit: false,
    rejectionListenerAttached: false,
    mode: unhandledRejectionsMode(),
  };
  for (const [event, listener] of listeners()) process.on(event, listener);
  syncRejectionListener();
}

export function uninstallProcessHandlers(): void {
  if (!state) return;
  for (const [event, listener] of listeners()) process.off(event, listener);
  process.off('unhandledRejection', onUserHandledRejection);
  state = undefined;
}

function othersListening(event: string, ours: unknown): number {
  return process.listeners(event as 'uncaughtException').filter((l) => l !== ours).length;
}

/**
 * Records a process-level failure: on the active span if any (Node reports an exception thrown in a
 * callback within that callback's async context, so the request's span is usually still active),
 * in the counter, and as a log record. A fatal failure also ends the spans it cuts short, or they
 * would never be exported: the active one, and every SERVER span still open (the requests in
 * flight), each with the error and status ERROR. With no active span the log record is linked to
 * the open SERVER span when there is exactly one.
 */
function recordProcessFailure(value: unknown, origin: string, fatal: boolean): void {
  try {
    const active = trace.getActiveSpan();
    const span = active?.isRecording() ? active : undefined;
    // A failure that ends the process is critical, whatever the thrown value says; its code and
    // category stay its own. One the app survives keeps its own severity.
    const classified = fatal ? critical(toFaultlineError(value)) : value;
    // With no recording span this only counts it (after the ignore lists and beforeRecord).
    const err = recordError(span, classified, { operation: origin });
    // The thrown value stands for this count: a request that ended with it counts nothing more.
    linkCounted(err, value);
    if (fatal && !isIgnored(err)) state?.handlers.crashMetrics?.record(err, origin);
    const attributes = {
      ...exceptionAttributes(err, faultlineConfig().maxAttributeLength),
      ...(errorAttributes(err) as Record<string, string | number | boolean>),
      [ATTR.ORIGIN]: origin,
    };
    const openSpans = fatal ? state?.handlers.openSpans : undefined;
    const linked = span ?? openSpans?.single();
    if (!(span && wasLogged(span, attributes)))
      emitExceptionLog(attributes, linked, fatal ? 'FATAL' : 'ERROR');
    if (!fatal) return;
    if (span) {
      // The crash failed this operation whatever its own status rule says (a 4xx-class error included).
      span.setAttribute(ATTR.ORIGIN, origin);
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: statusMessage(err, origin),
      });
      span.end();
    }
    openSpans?.endAll(err, origin, linked);
  } catch {
    // Telemetry never throws into the app, least of all while it is failing.
  }
}

function onMonitor(error: unknown, origin: string): void {
  if (rethrowing) return;
  const fatal = othersListening('uncaughtException', onUncaught) === 0;
  recordProcessFailure(error, origin, fatal);
}

function onUncaught(error: unknown, origin: string): void {
  if (!state) return;
  if (othersListening('uncaughtException', onUncaught) > 0) {
    // The app handles it and keeps running; we only make sure the record leaves the process.
    void state.handlers.flush().catch(() => {});
    return;
  }
  if (state.exiting) return; // A second failure while we flush: the first one decides the exit.
  state.exiting = true;
  const { handlers } = state;
  // Both bounded by FAULTLINE_FLUSH_TIMEOUT_MS, side by side: the crash count is pushed while the
  // spans and log records are flushed.
  Promise.allSettled([
    handlers.flush(handlers.timeoutMs),
    handlers.crashMetrics?.push(handlers.timeoutMs),
  ]).finally(() => reraise(error, origin));
}

/** The failure that ends the process, as a critical error (FaultlineError.with keeps every other field). */
function critical(err: FaultlineError): FaultlineError {
  return err.severity === 'critical' ? err : err.with({ severity: 'critical' });
}

function reraise(error: unknown, origin: string): void {
  uninstallProcessHandlers();
  rethrowing = true;
  // The app's uncaughtExceptionMonitor listeners have seen this exception; Node would call them again
  // for the re-raised one. They step aside for it and are back as soon as it is reported, should the
  // process survive after all (a listener added while we flushed).
  const monitors = process.rawListeners('uncaughtExceptionMonitor') as AnyListener[];
  for (const monitor of monitors) process.off('uncaughtExceptionMonitor', monitor);
  process.prependOnceListener('uncaughtExceptionMonitor', () => {
    for (const monitor of monitors) process.on('uncaughtExceptionMonitor', monitor);
  });
  // With no uncaughtException listener left, Node prints this the way it always does and exits 1.
  setImmediate(() => {
    if (origin === 'unhandledRejection' && process.listenerCount('uncaughtException') === 0)
      printRejectionHeader(error);
    rethrow(error);
  });
}

function onSignal(signal: NodeJS.Signals): void {
  if (!state) return;
  if (state.signalled) {
    // A second signal while flushing: stop waiting.
    if (othersListening(signal, onSignal) === 0) kill(signal);
    return;
  }
  state.signalled = true;
  const { handlers } = state;
  const alone = othersListening(signal, onSignal) === 0;
  handlers
    .flush(handlers.timeoutMs)
    .catch(() => {})
    .finally(() => {
      if (state) state.signalled = false;
      if (alone && othersListening(signal, onSignal) === 0) kill(signal);
    });
}

function kill(signal: NodeJS.Signals): void {
  uninstallProcessHandlers();
  // Node's default action for the signal: the process ends by that signal (exit status 128+n).
  process.kill(process.pid, signal);
}

function onBeforeExit(): void {
  if (!state || state.flushedBeforeExit) return;
  state.flushedBeforeExit = true;
  void state.handlers.flush().catch(() => {});
}

/**
 * Unhandled rejections. In Node's default `throw` mode (and `strict`) they reach the uncaught-exception
 * path above. An `unhandledRejection` listener of our own would change that (the process would no
 * longer crash), so we listen only while the app has its own listener. In `warn` modes Node reports
 * them as an UnhandledPromiseRejectionWarning, which we read without changing anything.
 */
function onUserHandledRejection(reason: unknown): void {
  recordProcessFailure(reason, 'unhandledRejection', false);
}

function syncRejectionListener(): void {
  if (!state || state.mode === 'strict') return;
  const others = process.listeners('unhandledRejection').filter((l) => l !== onUserHandledRejection).length;
  if (others > 0 && !state.rejectionListenerAttached) {
    state.rejectionListenerAttached = true;
    process.prependListener('unhandledRejection', onUserHandledRejection);
  } else if (others === 0 && state.rejectionListenerAttached) {
    state.rejectionListenerAttached = false;
    process.off('unhandledRejection', onUserHandledRejection);
  }
}

function onNewListener(event: string | symbol, listener: unknown): void {
  if (event !== 'unhandledRejection' || listener === onUserHandledRejection) return;
  // newListener fires before the listener is added: look again once it is there.
  queueMicrotask(syncRejectionListener);
}

function onRemoveListener(event: string | symbol, listener: unknown): void {
  if (event !== 'unhandledRejection' || listener === onUserHandledRejection) return;
  syncRejectionListener();
}

function onWarning(warning: Error): void {
  if (!state || warning?.name !== 'UnhandledPromiseRejectionWarning') return;
  if (state.rejectionListenerAttached) return; // recorded by the listener already
  const err = new Error(String(warning.stack ?? warning.message).split('\n', 1)[0]);
  err.name = 'UnhandledPromiseRejection';
  if (typeof warning.stack === 'string') err.stack = warning.stack;
  recordProcessFailure(err, 'unhandledRejection', false);
}
