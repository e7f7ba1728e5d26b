export {
  type Environment,
  type ExceptionSignal,
  type InstrumentationName,
  type LogLevel,
  type LogsExporterName,
  type MetricsExporterName,
  type ResolvedConfig,
  resolveConfig,
  type StartOptions,
  type TracesExporterName,
} from './config.js';
export { DEFAULT_INSTRUMENTATIONS, INSTRUMENTATION_NAMES } from './instrumentations.js';
export { PROMETHEUS_RESOURCE_LABELS } from './metrics.js';
export { type SerializedError, serializeError } from './pino.js';
export { FaultlineSpanProcessor } from './processor.js';
export { type FaultlineTelemetry, shutdown, start, telemetry } from './sdk.js';
export { FaultlineNodeError, LIBRARY_ERROR_CODES, type LibraryErrorCode } from './usage-error.js';
