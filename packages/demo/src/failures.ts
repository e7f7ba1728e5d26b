import { type ErrorCategory, FaultlineError } from '@faultline/errors';
import { DEMO_CODES } from './codes.js';

function systemError(message: string, code: string, syscall: string): Error {
  return Object.assign(new Error(message), { code, syscall });
}

/** Runs real code that fails the way buggy code does, and returns what it threw. */
function realBug(): unknown {
  try {
    const price = JSON.parse('{"items":null}') as { items: { amount: number }[] };
    return price.items.reduce((sum, item) => sum + item.amount, 0);
  } catch (thrown) {
    return thrown;
  }
}

/**
 * The error the worker raises for an injected fault of `category`: the demo code of that category,
 * with a cause chain where a real service would have one (a system error, a bug, an abort).
 */
export function injectedFailure(category: ErrorCategory, orderId: string): FaultlineError {
  const code = DEMO_CODES[category];
  const details = { orderId, injected: true };
  switch (category) {
    case 'validation':
      return new FaultlineError({
        code,
        message: `order id ${JSON.stringify(orderId)} is malformed`,
        details,
      });
    case 'rate_limit':
      return new FaultlineError({ code, message: 'worker is shedding load', details, retryAfterMs: 50 });
    case 'timeout':
      return new FaultlineError({
        code,
        message: 'pricing did not finish within 250 ms',
        details,
        cause: new DOMException('The operation was aborted due to timeout', 'TimeoutError'),
      });
    case 'network':
      return new FaultlineError({
        code,
        message: 'cannot reach the ledger',
        details,
        cause: systemError('connect ECONNREFUSED 10.20.0.7:5432', 'ECONNREFUSED', 'connect'),
      });
    case 'dependency':
      return new FaultlineError({
        code,
        message: 'the ledger rejected the posting',
        details,
        cause: new FaultlineError({ code: 'internal_error', message: 'ledger: posting table locked' }),
      });
    case 'execution':
      return new FaultlineError({ code, message: 'pricing the order failed', details, cause: realBug() });
    case 'configuration':
      return new FaultlineError({
        code,
        message: 'no tax table for region eu-west',
        details,
        cause: systemError(
          "ENOENT: no such file or directory, open '/etc/demo/tax/eu-west.json'",
          'ENOENT',
          'open',
        ),
      });
    case 'system':
      return new FaultlineError({
        code,
        message: 'order record failed its checksum',
        details,
        cause: new Error('checksum mismatch in page 4711 (expected 9f1c, got 0000)'),
      });
    default:
      return new FaultlineError({ code, details });
  }
}
