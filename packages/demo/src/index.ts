// The demo's pieces, for its tests and benchmark (the services themselves are entry points).
export { DEMO_CODES, INVENTORY_FAILED, INVENTORY_UNAVAILABLE, registerDemoCodes } from './codes.js';
export { FAULT_NAMES, type FaultName, parseFaultRequest } from './faults.js';
export { formatSummary, LIMITS, type LoadOptions, type LoadSummary, runLoad, sendOne } from './loadgen.js';
export { DEFAULT_MIX, draw, parseMix } from './mix.js';
export { type RunningServices, type ServiceName, startServices } from './services.js';
