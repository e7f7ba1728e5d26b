import { packageBuild } from '../../tsup.shared';

export default packageBuild({ index: 'src/index.ts', cli: 'src/cli.ts', explain: 'src/explain.ts' });
