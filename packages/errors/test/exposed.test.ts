import fc from 'fast-check';
import protobuf from 'protobufjs';
import { afterEach, describe, expect, it } from 'vitest';
import { anySecretCase, leaks, thrownWith } from '../../../test/support/secrets.js';
import {
  configureFaultline,
  fromGrpcStatus,
  resetFaultlineConfig,
  toFaultlineError,
  toGrpcStatus,
  toProblemDetails,
} from '../src/index.js';
import { googleRpcDescriptor } from '../src/proto/google-rpc.generated.js';

const root = protobuf.Root.fromJSON(googleRpcDescriptor as unknown as protobuf.INamespace);
const Status = root.lookupType('google.rpc.Status');
const DebugInfo = root.lookupType('google.rpc.DebugInfo');

/** Every string a DebugInfo / Status message carries, decoded from the trailer bytes. */
function decodedText(bin: Uint8Array): string {
  const status = Status.toObject(Status.decode(bin), { defaults: true }) as {
    message: string;
    details: Array<{ type_url: string; value: Uint8Array }>;
  };
  let out = status.message;
  for (const any of status.details) {
    out += `\n${Buffer.from(any.value).toString('latin1')}`;
    if (any.type_url.endsWith('DebugInfo')) {
      const info = DebugInfo.toObject(DebugInfo.decode(any.value), { defaults: true }) as {
        stackEntries: string[];
        detail: string;
      };
      out += `\n${info.stackEntries.join('\n')}\n${info.detail}`;
    }
  }
  return out;
}

afterEach(() => resetFaultlineConfig());

describe('exposed answers carry no secret', () => {
  for (const mode of ['production', 'development'] as const) {
    it(`problem+json and the gRPC status, ${mode} mode and with expose: true (property)`, () => {
      configureFaultline({ environment: mode });
      fc.assert(
        fc.property(anySecretCase, fc.nat(), (c, shape) => {
          const err = toFaultlineError(thrownWith(c, shape));
          for (const options of [undefined, { expose: true }]) {
            const body = JSON.stringify(toProblemDetails(err, options));
            expect(leaks(body, c.secret), `${c.kind} in problem+json: ${body}`).toBe(false);
            const status = toGrpcStatus(err, options);
            expect(leaks(status.message, c.secret), `${c.kind} in grpc-message`).toBe(false);
            expect(leaks(status.statusDetailsBin, c.secret), `${c.kind} in the trailer bytes`).toBe(false);
            expect(leaks(decodedText(status.statusDetailsBin), c.secret), `${c.kind} in DebugInfo`).toBe(
              false,
            );
          }
        }),
        { numRuns: 300 },
      );
    });
  }

  it('still exposes the redacted debug details in development (the answer is not emptied)', () => {
    const err = toFaultlineError(new Error('boom password=Hunter2Secret9', { cause: new Error('inner') }));
    const problem = toProblemDetails(err, { expose: true });
    expect(problem.stack).toMatch(/^Error: boom password=\[REDACTED\]\n {4}at /);
    expect(problem.causes).toEqual([{ type: 'Error', message: 'inner' }]);
    const debug = fromGrpcStatus(toGrpcStatus(err, { expose: true }).statusDetailsBin).details.debug as {
      stackEntries: string[];
    };
    expect(debug.stackEntries[0]).toBe('Error: boom password=[REDACTED]');
    expect(debug.stackEntries.length).toBeGreaterThan(1);
  });
});
