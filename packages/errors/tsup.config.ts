import { packageBuild } from '../../tsup.shared';

// Two entry points sharing one copy of every module (splitting): the internal entry must see the
// same FaultlineError class and module state as the public one. The semantic-conventions constants
// are bundled (tree-shaken to the few strings attributes.ts uses), so they are no runtime dependency.
export default packageBuild(
  { index: 'src/index.ts', internal: 'src/internal.ts' },
  { splitting: true, noExternal: ['@opentelemetry/semantic-conventions'] },
);
