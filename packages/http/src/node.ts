import type { IncomingMessage, ServerResponse } from 'node:http';
import { type FaultlineError, recordError } from '@faultline/errors';
import { trace } from '@opentelemetry/api';
import { type ProblemAnswerOptions, type ProblemHandlerOptions, pathOf, problemAnswer } from './answer.js';

/**
 * Answers `value` on a node:http response as problem+json and returns the structured error. When
 * the headers are already sent no problem can be written: the error is recorded and the response
 * destroyed, so the client sees a failed response rather than a truncated success.
 */
export function sendProblem(
  res: ServerResponse,
  value: unknown,
  options: ProblemAnswerOptions = {},
): FaultlineError {
  if (res.headersSent) {
    const error = recordError(options.span ?? trace.getActiveSpan(), value);
    res.destroy();
    return error;
  }
  const answer = problemAnswer(value, options);
  res.writeHead(answer.status, answer.headers);
  res.end(answer.body);
  return answer.error;
}

type Listener = (req: IncomingMessage, res: ServerResponse) => unknown;

/**
 * A node:http request listener whose throws and rejections are answered as problem+json
 * (`instance` is the request path). The server span is the one active when the request arrived.
 */
export function withProblemDetails(listener: Listener, options: ProblemHandlerOptions = {}): Listener {
  return (req, res) => {
    const span = trace.getActiveSpan();
    const fail = (thrown: unknown) => {
      const instance = pathOf(req.url);
      sendProblem(res, thrown, {
        ...options,
        ...(span !== undefined ? { span } : {}),
        ...(instance !== undefined ? { instance } : {}),
      });
    };
    // A synchronous throw rejects this promise too.
    new Promise<unknown>((resolve) => resolve(listener(req, res))).catch(fail);
  };
}
