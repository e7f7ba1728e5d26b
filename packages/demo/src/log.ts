import pino from 'pino';

/**
 * The services' logger: plain pino. Under the register, instrumentation-pino adds trace_id/span_id
 * and ships each line to the Logs SDK, and @faultline/node serializes `err` (code, category, causes).
 */
export function logger(service: string): pino.Logger {
  return pino({ name: service, level: process.env.LOG_LEVEL ?? 'info' });
}
