import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStack } from './stack.js';
import { missingTools, repoRoot, type ToolName } from './tools.js';
import { StackError } from './usage-error.js';

const USAGE = `faultline-stack <command>
  install   build/install the collector, Jaeger, Prometheus and Alertmanager (scripts/setup-tools.sh)
  up        start them on loopback (free ports), print the URLs, run until Ctrl-C
  down      stop a stack started by \`up\`
  status    show whether the programs of a running stack answer
Environment: FAULTLINE_STACK_DIR (run folder, default <repo>/.run/stack), FAULTLINE_CACHE (tools cache).`;

const TOOLS: ToolName[] = ['collector', 'jaeger', 'prometheus', 'promtool', 'alertmanager', 'amtool'];

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
