import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  configureHealth,
  evaluate,
  type HealthOptions,
  type HealthReport,
  healthStatusCode,
  reportHealth,
} from './health.js';

const HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' } as const;

/**
 * A readiness handler for node:http and Express (`app.get('/ready', readyHandler())`): the
 * health() report as JSON, 200 when healthy or degraded, 503 when unhealthy.
 */
export function readyHandler(options?: HealthOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const config = configureHealth(options);
  reportHealth(config);
  return (req, res) => {
    const report = evaluate(config);
    const body = JSON.stringify(report);
    res.writeHead(healthStatusCode(report.status), {
      ...HEADERS,
      'content-length': Buffer.byteLength(body),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}

/** The part of a Fastify reply the handler uses (no runtime dependency on Fastify). */
export interface ReplyLike {
  code(statusCode: number): unknown;
  header(key: string, value: string): unknown;
  send(payload?: unknown): unknown;
}

/**
 * A readiness route handler for Fastify (`app.get('/ready', fastifyReadyHandler())`): the same
 * JSON and status codes as readyHandler().
 */
export function fastifyReadyHandler(options?: HealthOptions): (request: unknown, reply: ReplyLike) => void {
  const config = configureHealth(options);
  reportHealth(config);
  return (_request, reply) => {
    const report: HealthReport = evaluate(config);
    reply.code(healthStatusCode(report.status));
    for (const [key, value] of Object.entries(HEADERS)) reply.header(key, value);
    reply.send(JSON.stringify(report));
  };
}
