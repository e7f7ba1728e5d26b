import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const pkg = (name: string) => fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url));

// Tests import sibling packages from source, so a test run never depends on a stale build.
// Tests that spawn processes (register, demo) use the built dist, which scripts/test.sh builds first.
// Subpath entries come first: an alias matches by prefix, so `@faultline/errors` would otherwise
// take `@faultline/errors/internal` too.
const alias = Object.fromEntries([
  [
    '@faultline/errors/internal',
    fileURLToPath(new URL('./packages/errors/src/internal.ts', import.meta.url)),
  ],
  ...['errors', 'node', 'grpc', 'http', 'resilience', 'stack']
    .filter((name) => existsSync(pkg(name)))
    .map((name) => [`@faultline/${name}`, pkg(name)]),
]);

const stackSetup = fileURLToPath(new URL('./packages/stack/test/global-setup.ts', import.meta.url));

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'unit',
          include: [
            'packages/*/test/**/*.test.ts',
            'test/**/*.test.ts',
            'grafana/**/*.test.ts',
            'prometheus/**/*.test.ts',
          ],
          exclude: ['**/node_modules/**', '**/*.e2e.test.ts', 'test/e2e/**'],
          testTimeout: 30_000,
        },
      },
      ...(existsSync(stackSetup)
        ? [
            {
              resolve: { alias },
              test: {
                name: 'e2e',
                include: ['packages/*/test/**/*.e2e.test.ts', 'test/e2e/**/*.e2e.test.ts'],
                globalSetup: [stackSetup],
                testTimeout: 120_000,
                hookTimeout: 180_000,
                fileParallelism: false,
              },
            },
          ]
        : []),
    ],
  },
});
