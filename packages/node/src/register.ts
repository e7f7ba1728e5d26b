/**
 * `node --require @faultline/node/register app.js`: starts telemetry from the environment before the
 * app loads; CommonJS modules are instrumented through require hooks. (`--import` resolves to
 * register-esm, which installs the ESM loader hook first and then loads this file's ESM build.)
 */
// First, before the SDK and the instrumentations load: the compile cache serves them on the next start.
import './compile-cache.js';
import { report } from './report.js';
import { start } from './sdk.js';
import { FaultlineNodeError } from './usage-error.js';

try {
  start();
} catch (error) {
  // FAULTLINE_STRICT=true: a bad configuration stops the app before it starts.
  if (error instanceof FaultlineNodeError) throw error;
  report({ code: 'FAULTLINE_ERR_SDK_START', message: `telemetry did not start: ${String(error)}` });
}
