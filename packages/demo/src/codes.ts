import { defineErrorCode, type ErrorCategory } from '@faultline/errors';

/**
 * The demo's own error codes, one per category, registered in every demo process (a code is
 * defined where it is raised and known where it is decoded). Each says what a real service
 * would: what broke and what the caller can do.
 */
export const DEMO_CODES: Readonly<Record<ErrorCategory, string>> = Object.freeze({
  validation: 'order_id_invalid',
  authentication: 'token_expired',
  authorization: 'order_forbidden',
  not_found: 'order_not_found',
  conflict: 'order_version_conflict',
  rate_limit: 'worker_rate_limited',
  timeout: 'pricing_timeout',
  network: 'ledger_unreachable',
  resource: 'worker_overloaded',
  dependency: 'ledger_failed',
  execution: 'pricing_failed',
  configuration: 'tax_table_missing',
  system: 'storage_corrupt',
  cancelled: 'job_cancelled',
});

const DESCRIPTIONS: Readonly<Record<ErrorCategory, string>> = {
  validation: 'The order ID is malformed; fix the request.',
  authentication: 'The caller token has expired; sign in again.',
  authorization: 'The caller may not read this order.',
  not_found: 'No such order.',
  conflict: 'The order changed meanwhile; re-read it and retry.',
  rate_limit: 'The worker sheds load; retry after the hinted delay.',
  timeout: 'Pricing did not finish in its time budget.',
  network: 'The worker could not reach the ledger.',
  resource: 'The worker is overloaded; retry later.',
  dependency: 'The ledger answered with an error.',
  execution: 'Pricing failed on a bug (see the cause).',
  configuration: 'The worker has no tax table for the region.',
  system: 'The worker read corrupt data from storage.',
  cancelled: 'The job was cancelled before it finished.',
};

/** The gateway's own codes for failures of its dependency calls. */
export const INVENTORY_FAILED = 'inventory_failed';
export const INVENTORY_UNAVAILABLE = 'inventory_unavailable';

let registered = false;

/** Registers the demo codes once per process (idempotent, so tests may call it too). */
export function registerDemoCodes(): void {
  if (registered) return;
  registered = true;
  for (const [category, code] of Object.entries(DEMO_CODES) as [ErrorCategory, string][]) {
    defineErrorCode(code, {
      category,
      description: DESCRIPTIONS[category],
      // Corrupt storage pages someone (FaultlineCriticalError fires at once).
      ...(category === 'system' ? { severity: 'critical' as const } : {}),
    });
  }
  defineErrorCode(INVENTORY_FAILED, {
    category: 'dependency',
    description: 'The inventory service failed; the gateway could not check stock.',
  });
  defineErrorCode(INVENTORY_UNAVAILABLE, {
    category: 'resource',
    description: 'The inventory service is temporarily unable to serve.',
  });
}
