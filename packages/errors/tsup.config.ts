import { packageBuild } from '../../tsup.shared';

// Two entry points sharing one copy of every module (splitting): the internal entry must see the
// same FaultlineError class and module state as the public one.
export default packageBuild({ index: 'src/index.ts', internal: 'src/internal.ts' }, { splitting: true });
