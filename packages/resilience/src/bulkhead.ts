import { FaultlineError } from '@faultline/errors';
import {
  type BulkheadPolicy,
  bulkhead as cockatielBulkhead,
  isBulkheadRejectedError,
  isTaskCancelledError,
} from 'cockatiel';
import { cancelledError } from './errors.js';
import { OptionChecker } from './options.js';
import { type ExecutionContext, type Layer, LayeredPolicy, type Operation } from './policy.js';
import { SPAN } from './telemetry.js';

export interface BulkheadOptions {
  /** Names the policy on spans and errors. Default 'bulkhead'. */
  name?: string;
  /** Calls allowed to run at once. Required. */
  limit: number;
  /** Calls allowed to wait for a slot. Default 0 (reject at once when full). */
  queue?: number;
}

interface BulkheadConfig {
  name: string;
  limit: number;
  queue: number;
}

function configure(options: BulkheadOptions): BulkheadConfig {
  const check = new OptionChecker('FAULTLINE_ERR_INVALID_BULKHEAD_OPTION', 'bulkhead()');
  const o = check.object('options', options);
  check.required('limit', o.limit, 'an integer >= 1');
  return {
    name: check.name(o.name, 'bulkhead'),
    limit: check.int('limit', o.limit, 1, 1),
    queue: check.int('queue', o.queue, 0, 0),
  };
}

class BulkheadLayer implements Layer {
  readonly label: string;
  readonly policy: BulkheadPolicy;

  constructor(private readonly config: BulkheadConfig) {
    this.label = `bulkhead:${config.name}`;
    this.policy = cockatielBulkhead(config.limit, config.queue);
  }

  run<T>(next: (ctx: ExecutionContext) => Promise<T>, ctx: ExecutionContext, op: Operation): Promise<T> {
    return this.policy
      .execute(() => next(ctx), ctx.signal)
      .then(undefined, (thrown: unknown) => {
        if (isBulkheadRejectedError(thrown)) throw this.rejected(op);
        if (isTaskCancelledError(thrown)) throw cancelledError(ctx.signal, thrown);
        throw thrown;
      });
  }

  private rejected(op: Operation): FaultlineError {
    const { name, limit, queue } = this.config;
    if (op.recording) op.event(SPAN.EVENT_BULKHEAD_REJECTED, { [SPAN.POLICY]: name });
    return new FaultlineError({
      code: 'pool_saturated',
      message: `bulkhead '${name}' is full (${limit} running, ${queue} queued)`,
      details: { policy: name, limit, queue },
    });
  }
}

export class BulkheadFaultlinePolicy extends LayeredPolicy {
  private readonly layer: BulkheadLayer;
  constructor(config: BulkheadConfig) {
    const layer = new BulkheadLayer(config);
    super(config.name, 'bulkhead', [layer]);
    this.layer = layer;
  }

  /** Free execution slots right now. */
  get executionSlots(): number {
    return this.layer.policy.executionSlots;
  }

  /** Free queue slots right now. */
  get queueSlots(): number {
    return this.layer.policy.queueSlots;
  }
}

/** Limits concurrent calls (cockatiel's bulkhead); a call that finds it full fails with `pool_saturated`. */
export function bulkhead(options: BulkheadOptions): BulkheadFaultlinePolicy {
  return new BulkheadFaultlinePolicy(configure(options));
}
