export { eventually, type PromSample, promQuery } from './client.js';
export { buildTree, explainTrace, parseJaegerBody, renderTree, type TraceTree } from './explain.js';
export { freePort } from './ports.js';
export { type ManagedProcess, startProcess, waitHealthy } from './process.js';
export { renderAlertmanagerConfig, renderPrometheusConfig } from './render.js';
export {
  appEnv,
  type ReceivedAlert,
  type RunningStack,
  type StackOptions,
  type StackPorts,
  startStack,
} from './stack.js';
export { cacheDir, findTool, missingTools, repoRoot, requireTool, type ToolName } from './tools.js';
export { LIBRARY_ERROR_CODES, StackError, type StackErrorCode } from './usage-error.js';
