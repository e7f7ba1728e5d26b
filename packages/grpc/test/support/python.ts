import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { FIXTURES } from './echo.js';

const run = promisify(execFile);
const PYTHON_DIR = fileURLToPath(new URL('../python', import.meta.url));

/** The venv (setup.sh: idempotent, fast when warm) and the Echo stubs generated into a temp dir. */
export async function preparePython(): Promise<{
  python: string;
  generated: string;
  cleanup(): Promise<void>;
}> {
  const { stdout } = await run('bash', [join(PYTHON_DIR, 'setup.sh')], { maxBuffer: 16 * 1024 * 1024 });
  const python = stdout.trim().split('\n').at(-1) ?? '';
  const generated = await mkdtemp(join(tmpdir(), 'faultline-echo-py-'));
  await run(python, [
    '-m',
    'grpc_tools.protoc',
    `-I${FIXTURES}`,
    `--python_out=${generated}`,
    `--grpc_python_out=${generated}`,
    join(FIXTURES, 'echo.proto'),
  ]);
  return { python, generated, cleanup: () => rm(generated, { recursive: true, force: true }) };
}

/** echo_server.py as a real process on a free loopback port (it binds 127.0.0.1:0 and says which). */
export async function startPythonServer(
  python: string,
  generated: string,
): Promise<{ address: string; stop(): Promise<void> }> {
  const child: ChildProcess = spawn(python, [join(PYTHON_DIR, 'echo_server.py'), generated], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`echo_server.py did not start: ${stderr}`)), 60_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /PORT (\d+)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`echo_server.py exited with ${code}: ${stderr}`));
    });
  });
  return {
    address: `127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** echo_client.py against `target`; one parsed JSON object per case. */
export async function runPythonClient(
  python: string,
  generated: string,
  target: string,
  cases: string[],
): Promise<Array<Record<string, unknown>>> {
  const { stdout } = await run(python, [join(PYTHON_DIR, 'echo_client.py'), generated, target, ...cases], {
    timeout: 120_000,
  });
  return stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
