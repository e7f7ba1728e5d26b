// Records real Jaeger API v3 answers for the unit tests of `faultline explain`
// (packages/stack/test/explain-fixture.ts): the real pipeline, the demo services under the
// register, two failing requests. Run after `pnpm build`: node packages/demo/scripts/capture-explain-fixture.mjs
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually, startStack } from '@faultline/stack';
import { startServices } from '../dist/index.js';

const out = fileURLToPath(new URL('../../stack/test/explain-fixture.ts', import.meta.url));
// Keep every trace (the healthy one too): OK traces are otherwise sampled at 10%.
const stack = await startStack({
  runDir: mkdtempSync(join(tmpdir(), 'faultline-capture-')),
  samplingPercentage: 100,
});
let services;
try {
  services = await startServices({
    telemetryEnv: (name, port) => stack.appEnv(name, port),
    logDir: join(stack.runDir, 'demo-logs'),
  });
  const bodies = {};
  for (const [name, fault] of [
    ['execution', 'execution'],
    ['inventory503', 'inventory_503'],
    ['healthy', ''],
  ]) {
    const res = await fetch(`${services.gatewayUrl}/orders/ord-42${fault ? `?fault=${fault}` : ''}`);
    const id = res.headers.get('x-correlation-id');
    await res.body?.cancel();
    bodies[name] = await eventually(
      `trace ${id}`,
      async () => {
        const r = await fetch(`${stack.urls.jaegerQuery}/api/v3/traces/${id}`);
        const text = await r.text();
        // Wait for every service's spans (they are exported independently).
        return r.ok &&
          (name === 'healthy' || text.includes(name === 'execution' ? '"worker"' : '"inventory"'))
          ? { id, body: text }
          : undefined;
      },
      60_000,
    );
  }
  const lines = [
    '// Recorded from the real pipeline by packages/demo/scripts/capture-explain-fixture.mjs: the exact',
    "// bodies Jaeger's /api/v3/traces/{id} answered for demo requests. Regenerate, do not edit.",
    '',
  ];
  for (const [name, { id, body }] of Object.entries(bodies)) {
    lines.push(
      `export const ${name} = {`,
      `  traceId: '${id}',`,
      `  body: ${JSON.stringify(body)},`,
      '};',
      '',
    );
  }
  writeFileSync(out, lines.join('\n'));
  console.log(`wrote ${out}`);
} finally {
  await services?.stop();
  await stack.stop();
}
