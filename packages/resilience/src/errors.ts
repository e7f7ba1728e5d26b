import { FaultlineError, toFaultlineError } from '@faultline/errors';
import { handleWhen, type Policy } from 'cockatiel';

/** The caller's signal aborted while a policy held the call (queued, waiting for a probe). */
export function cancelledError(signal: AbortSignal, thrown: unknown): FaultlineError {
  return new FaultlineError({
    code: 'cancelled',
    message: 'the operation was cancelled by its caller',
    cause: signal.aborted ? signal.reason : thrown,
  });
}

/**
 * A cockatiel error filter from a predicate over the classified error. A predicate that throws
 * answers false: a bug in user code must not replace the operation's own error.
 */
export function handleClassified(predicate: (error: FaultlineError, thrown: unknown) => boolean): Policy {
  return handleWhen((thrown) => {
    try {
      return predicate(toFaultlineError(thrown), thrown) === true;
    } catch {
      return false;
    }
  });
}
