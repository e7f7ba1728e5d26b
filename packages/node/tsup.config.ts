import type { Options } from 'tsup';
import { packageBuild } from '../../tsup.shared';

// register-esm awaits the loader hook's acknowledgement at top level, which only ESM allows, so it is
// built in its own ESM-only pass; register.cjs (for --require) and the API come from the usual recipe.
// The two passes run in parallel, so neither cleans dist: the build script does.
export default [
  packageBuild({ index: 'src/index.ts', register: 'src/register.ts' }, { clean: false }),
  packageBuild({ 'register-esm': 'src/register-esm.ts' }, { format: ['esm'], clean: false }),
] as Options[];
