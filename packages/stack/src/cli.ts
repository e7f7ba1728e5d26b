import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { renderPrometheusConfig } from './render.js';
import { startStack } from './stack.js';
import { findTool, missingTools, repoRoot, type ToolName } from './tools.js';
import { StackError } from './usage-error.js';

const USAGE = `faultline-stack <command>
  install   build/install the collector, Jaeger, Prometheus and Alertmanager (scripts/setup-tools.sh)
  up        start them on loopback (free ports), print the URLs, run until Ctrl-C
  down      stop a stack started by \`up\`
  status    show whether the programs of a running stack answer
  which TOOL            print where TOOL is (collector, jaeger, prometheus, promtool, alertmanager,
                        amtool): $FAULTLINE_CACHE/bin first, then PATH; exit 1 when missing
  render-prometheus OUT write prometheus/prometheus.yml rendered for loopback, as \`up\` renders it
                        (the compose ports; services from OUT's folder/services.json)
Environment: FAULTLINE_STACK_DIR (run folder, default <repo>/.run/stack), FAULTLINE_CACHE (tools cache).`;

const TOOLS: ToolName[] = ['collector', 'jaeger', 'prometheus', 'promtool', 'alertmanager', 'amtool'];

/** The ports prometheus/prometheus.yml names for compose, for a rendering outside a running stack. */
const COMPOSE_PORTS = {
  prometheus: 9090,
  alertmanager: 9093,
  collectorPrometheus: 8889,
  collectorTelemetry: 8888,
  jaegerMetrics: 14269,
};

function runDir(): string {
  return process.env.FAULTLINE_STACK_DIR ?? join(repoRoot(), '.run', 'stack');
}

interface State {
  pid: number;
  urls: Record<string, string>;
  runDir: string;
}

async function main(argv: string[]): Promise<number> {
  const command = argv[0];
  switch (command) {
    case 'install': {
      const r = spawnSync('bash', [join(repoRoot(), 'scripts', 'setup-tools.sh')], { stdio: 'inherit' });
      return r.status ?? 1;
    }
    case 'up': {
      const missing = missingTools(TOOLS);
      if (missing.length > 0) {
        console.error(
          `missing: ${missing.join(', ')}. Run \`faultline-stack install\` (scripts/setup-tools.sh) first.`,
        );
        return 1;
      }
      const dir = runDir();
      rmSync(dir, { recursive: true, force: true });
      console.log(`starting the pipeline on loopback (logs in ${dir}) …`);
      const stack = await startStack({ runDir: dir });
      const state: State = { pid: process.pid, urls: stack.urls, runDir: dir };
      writeFileSync(join(dir, 'state.json'), JSON.stringify(state, null, 2));
      for (const [name, url] of Object.entries(stack.urls)) console.log(`  ${name.padEnd(18)} ${url}`);
      console.log('Ctrl-C stops everything.');
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await stack.stop();
      rmSync(join(dir, 'state.json'), { force: true });
      return 0;
    }
    case 'down': {
      const state = readState();
      if (!state) {
        console.log('no stack is running');
        return 0;
      }
      try {
        process.kill(state.pid, 'SIGTERM');
      } catch {
        rmSync(join(state.runDir, 'state.json'), { force: true });
      }
      console.log(`stopping the stack (pid ${state.pid})`);
      return 0;
    }
    case 'status': {
      const state = readState();
      if (!state) {
        console.log('no stack is running');
        return 1;
      }
      let ok = true;
      for (const [name, url] of Object.entries(state.urls)) {
        const probe = name === 'prometheus' || name === 'alertmanager' ? `${url}/-/ready` : url;
        const up = await fetch(probe, { signal: AbortSignal.timeout(2_000) }).then(
          (r) => r.status < 500,
          () => false,
        );
        ok &&= up;
        console.log(`  ${up ? 'up  ' : 'DOWN'} ${name.padEnd(18)} ${url}`);
      }
      return ok ? 0 : 1;
    }
    case 'which': {
      const tool = argv[1] as ToolName;
      if (!TOOLS.includes(tool)) {
        console.error(`which needs one of ${TOOLS.join(', ')}\n\n${USAGE}`);
        return 2;
      }
      const found = findTool(tool);
      if (found === undefined) {
        console.error(`${tool} is not installed; run \`faultline-stack install\` (scripts/setup-tools.sh)`);
        return 1;
      }
      console.log(found);
      return 0;
    }
    case 'render-prometheus': {
      const out = argv[1];
      if (out === undefined) {
        console.error(`render-prometheus needs an output file\n\n${USAGE}`);
        return 2;
      }
      const text = renderPrometheusConfig({
        repo: repoRoot(),
        ports: COMPOSE_PORTS,
        servicesFile: join(dirname(out), 'services.json'),
        scrapeIntervalSeconds: 2,
        evaluationIntervalSeconds: 2,
      });
      writeFileSync(out, text);
      return 0;
    }
    default:
      console.log(USAGE);
      return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
  }
}

function readState(): State | undefined {
  const file = join(runDir(), 'state.json');
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as State;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof StackError ? e.message : e);
    process.exit(1);
  },
);
