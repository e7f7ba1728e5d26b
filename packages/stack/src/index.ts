export { eventually, type PromSample, promQuery } from './client.js';
export { explainTrace } from './explain.js';
export { fetchTraceLogs, type LogLine, logsUiLink, parseLogsBody } from './explain-logs.js';
export { parseJaegerBody } from './explain-parse.js';
export { renderTree } from './explain-render.js';
export { buildTree, type TraceTree } from './explain-tree.js';
export * from './fleet.js';
export {
  type CollectorPorts,
  collectorPortEnv,
  freeCollectorPorts,
  freeJaegerPorts,
  type JaegerPorts,
  jaegerPortEnv,
} from './port-env.js';
export { freePort } from './ports.js';
export { type ManagedProcess, startProcess, waitHealthy } from './process.js';
export { renderAlertmanagerConfig, renderPrometheusConfig } from './render.js';
export {
  appEnv,
  type ProgramName,
  type ReceivedAlert,
  type RunningStack,
  type StackOptions,
  type StackPorts,
  type StackRetention,
  startStack,
} from './stack.js';
export { cacheDir, findTool, missingTools, repoRoot, requireTool, type ToolName } from './tools.js';
export { LIBRARY_ERROR_CODES, StackError, type StackErrorCode } from './usage-error.js';
