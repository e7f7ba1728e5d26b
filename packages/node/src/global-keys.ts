// Every process-wide key of @faultline/node, in the global symbol registry (like @faultline/errors'
// global-keys.ts): two copies of the register in one process (CommonJS and ESM, or two installs)
// find the same telemetry through it. A key's value changes only with a new `.vN`, never in place.

/** The running FaultlineTelemetry (sdk.ts): a second start() returns it instead of starting again. */
export const TELEMETRY_KEY = Symbol.for('faultline.node.telemetry.v1');
