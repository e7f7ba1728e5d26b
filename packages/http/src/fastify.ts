import { type ProblemHandlerOptions, pathOf, problemAnswer } from './answer.js';

/** What the handler uses of a Fastify request and reply (Fastify itself is not required at run time). */
export interface FastifyRequestLike {
  url: string;
}
export interface FastifyReplyLike {
  code(statusCode: number): unknown;
  header(key: string, value: string): unknown;
  send(payload?: unknown): unknown;
}

/**
 * A Fastify (v4/v5) error handler answering problem+json: `app.setErrorHandler(fastifyProblemHandler())`.
 * Fastify's own errors (validation → 400, body too large → 413, …) carry a statusCode the
 * classifier reads.
 */
export function fastifyProblemHandler(options: ProblemHandlerOptions = {}) {
  return function faultlineProblemHandler(
    error: unknown,
    request: FastifyRequestLike,
    reply: FastifyReplyLike,
  ) {
    const instance = pathOf(request.url);
    const answer = problemAnswer(error, { ...options, ...(instance !== undefined ? { instance } : {}) });
    reply.code(answer.status);
    for (const [key, value] of Object.entries(answer.headers)) reply.header(key, value);
    return reply.send(answer.body);
  };
}
