// The usage errors of @faultline/stack: its library codes and the class it raises them with.
import { FaultlineUsageError } from '@faultline/errors';

/** Codes of the errors @faultline/stack raises; the README lists them. */
export const LIBRARY_ERROR_CODES = {
  FAULTLINE_ERR_TOOL_MISSING:
    'A pipeline program is not installed; run scripts/setup-tools.sh (faultline-stack install).',
  FAULTLINE_ERR_STACK_CONFIG_MISSING:
    'The repository configs were not found; set FAULTLINE_REPO to the Faultline checkout.',
  FAULTLINE_ERR_STACK_START_FAILED:
    'A pipeline program exited or did not become healthy in time; the message names it and its log file.',
  FAULTLINE_ERR_STACK_BAD_OPTION:
    'A stack option or FAULTLINE_STACK_* variable has a value it does not accept; the message names it.',
} as const;

export type StackErrorCode = keyof typeof LIBRARY_ERROR_CODES;

/** A problem running the pipeline; a FaultlineUsageError (its name stays StackError). */
export class StackError extends FaultlineUsageError<StackErrorCode> {
  override readonly name = 'StackError';
}
