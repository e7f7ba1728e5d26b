import { packageBuild } from '../../tsup.shared';

// The services run as CommonJS under `node --require @faultline/node/register`, so the require
// hooks see @grpc/grpc-js, http and pino load; the orchestrator and the load generator are plain.
export default packageBuild(
  {
    gateway: 'src/gateway.ts',
    worker: 'src/worker.ts',
    inventory: 'src/inventory.ts',
    loadgen: 'src/loadgen-cli.ts',
    'alert-receiver': 'src/alert-receiver-cli.ts',
    run: 'src/run.ts',
    index: 'src/index.ts',
  },
  { format: ['cjs', 'esm'], dts: false },
);
