import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ProblemHandlerOptions, pathOf } from './answer.js';
import { sendProblem } from './node.js';

/** What the handler reads of Express's request (an IncomingMessage with `originalUrl`). */
export type ExpressRequestLike = IncomingMessage & { originalUrl?: string };

/**
 * An Express (4 or 5) error-handling middleware answering problem+json: `app.use(expressProblemHandler())`
 * after the routes. Express itself is not required at run time. When the response has already
 * started, the error goes to Express's default handler, which closes the connection.
 */
export function expressProblemHandler(options: ProblemHandlerOptions = {}) {
  // Four parameters: that is how Express tells an error handler from a middleware.
  return function faultlineProblemHandler(
    err: unknown,
    req: ExpressRequestLike,
    res: ServerResponse,
    next: (err?: unknown) => void,
  ): void {
    if (res.headersSent) {
      next(err);
      return;
    }
    const instance = pathOf(req.originalUrl ?? req.url);
    sendProblem(res, err, { ...options, ...(instance !== undefined ? { instance } : {}) });
  };
}
