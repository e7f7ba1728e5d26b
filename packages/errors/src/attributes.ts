// Every span and event attribute name @faultline/errors writes, in one table. The OpenTelemetry
// semantic conventions' stable constants are used where one exists (bundled: only these strings
// are copied into dist, @opentelemetry/semantic-conventions is no runtime dependency);
// `rpc.response.status_code` is still incubating there, so it is written out, as the conventions
// advise for incubating names. record.ts writes some of them as literal keys for speed;
// test/record.test.ts holds those equal to this table.
import {
  ATTR_ERROR_TYPE,
  ATTR_EXCEPTION_MESSAGE,
  ATTR_EXCEPTION_STACKTRACE,
  ATTR_EXCEPTION_TYPE,
} from '@opentelemetry/semantic-conventions';

export const ATTR = {
  ERROR_TYPE: ATTR_ERROR_TYPE,
  EXCEPTION_TYPE: ATTR_EXCEPTION_TYPE,
  EXCEPTION_MESSAGE: ATTR_EXCEPTION_MESSAGE,
  EXCEPTION_STACKTRACE: ATTR_EXCEPTION_STACKTRACE,
  CODE: 'faultline.error.code',
  CATEGORY: 'faultline.error.category',
  SEVERITY: 'faultline.error.severity',
  RETRYABLE: 'faultline.error.retryable',
  FINGERPRINT: 'faultline.error.fingerprint',
  CAUSE_CHAIN_LENGTH: 'faultline.error.cause_chain_length',
  RPC_RESPONSE_STATUS_CODE: 'rpc.response.status_code',
  /** Set on a span and its exception event when the storm guard withheld the stacktrace (record-policy.ts). */
  SUPPRESSED: 'faultline.error.suppressed',
  /** On a span and log record a process-level failure ended or produced: uncaughtException, unhandledRejection. */
  ORIGIN: 'faultline.error.origin',
} as const;
