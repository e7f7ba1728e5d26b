/**
 * `node --import @faultline/node/register app.mjs`: registers import-in-the-middle's loader hook with
 * `module.register` (no --experimental-loader), then starts telemetry, so that ESM imports of
 * http, undici, @grpc/grpc-js, pino, express and fastify are patched like their CommonJS forms.
 */
import './compile-cache.js';
import { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';
import { createAddHookMessageChannel } from 'import-in-the-middle';

if (isMainThread) {
  // Only modules an instrumentation asked for are wrapped: the channel tells the loader thread
  // which ones, and we wait for its acknowledgement before the app's own imports run.
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);
  // Loaded only now (a computed specifier, so the bundler leaves it alone): the SDK and the
  // instrumentations must be imported after the hook is in place.
  await import(new URL('./register.js', import.meta.url).href);
  await waitForAllMessagesAcknowledged();
}
