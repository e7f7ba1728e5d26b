import { type FaultlineError, faultlineConfig, toFaultlineError } from '@faultline/errors';
import { composedStack } from '@faultline/errors/internal';
import { InstrumentationBase, InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';

/** What an `err` becomes on a pino line: the structured error, redacted, with its cause chain. */
export interface SerializedError {
  type: string;
  message: string;
  code: string;
  category: string;
  severity: string;
  retryable: boolean;
  details?: Record<string, unknown>;
  retryAfterMs?: number;
  correlationId?: string;
  service?: string;
  cause?: unknown;
  stack?: string;
}

/**
 * pino serializer for `err`: classifies any value with @faultline/errors and writes code, category,
 * severity, retryable and the cause chain; the stack (causes included, redacted) is kept in
 * development only, like the wire format. Never throws (pino would drop the line).
 */
export function serializeError(value: unknown): SerializedError | unknown {
  try {
    const err: FaultlineError = toFaultlineError(value);
    // The error's own serializer (toJSON), with pino's `type` for the class and no empty details.
    const { name: _name, exceptionType: _type, remote: _remote, details, ...fields } = err.toJSON();
    const out: SerializedError = { type: err.exceptionType, ...fields };
    if (Object.keys(details).length > 0) out.details = details;
    if (faultlineConfig().environment === 'development') out.stack = composedStack(err);
    return out;
  } catch {
    return value;
  }
}

interface PinoModule {
  (...args: unknown[]): PinoLogger;
  symbols: { serializersSym: symbol };
  stdSerializers?: { err?: unknown };
  pino?: unknown;
  default?: unknown;
}
type PinoLogger = Record<symbol, unknown>;

/**
 * Adds what @opentelemetry/instrumentation-pino lacks: structured `err` serialisation. It patches
 * the pino factory after that instrumentation (both wrap the same export), and installs our `err`
 * serializer on each new logger unless the user gave their own.
 */
export class FaultlinePinoInstrumentation extends InstrumentationBase {
  constructor() {
    super('@faultline/node/pino', '0.1.0', {});
  }

  protected init() {
    return [
      new InstrumentationNodeModuleDefinition('pino', ['>=5.14.0 <11'], (module: unknown) => {
        const isESM = (module as Record<symbol, unknown>)[Symbol.toStringTag] === 'Module';
        const original = (isESM ? (module as { default: unknown }).default : module) as PinoModule;
        if (typeof original !== 'function' || !original.symbols) return module;
        const instrumentation = this;
        const patched = Object.assign((...args: unknown[]) => {
          const logger = original(...args);
          if (instrumentation.isEnabled()) installSerializer(logger, original, args);
          return logger;
        }, original) as PinoModule;
        if (typeof patched.pino === 'function') patched.pino = patched;
        if (typeof patched.default === 'function') patched.default = patched;
        if (isESM) {
          const m = module as { default: unknown; pino?: unknown };
          if (m.pino) m.pino = patched;
          m.default = patched;
          return module;
        }
        return patched;
      }),
    ];
  }
}

function installSerializer(logger: PinoLogger, pino: PinoModule, args: unknown[]): void {
  try {
    const options = args[0] as { serializers?: Record<string, unknown>; errorKey?: string } | undefined;
    const errorKey = typeof options?.errorKey === 'string' ? options.errorKey : 'err';
    if (options?.serializers?.[errorKey] !== undefined) return;
    const sym = pino.symbols.serializersSym;
    const current = (logger[sym] ?? {}) as Record<string, unknown>;
    logger[sym] = Object.assign(Object.create(null), current, { [errorKey]: serializeError });
  } catch {
    // A logger we cannot adjust keeps pino's own serializer.
  }
}
