// The loopback database servers of test/support/servers.ts, checked with each server's own CLI.
// No server binary means a failing test naming scripts/setup-databases.sh, never a skip.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BINARIES,
  databaseBinaries,
  type MariaDbServer,
  mariadbSql,
  type PostgresServer,
  psql,
  type RedisServer,
  redisCli,
  startMariaDb,
  startPostgres,
  startRedis,
} from './support/servers.js';

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});
function later<T extends { stop(): Promise<void> }>(server: T): T {
  cleanups.push(() => server.stop());
  return server;
}

/**
 * pids of the processes whose command line mentions `dir` or whose working directory is in it
 * (PostgreSQL backends rewrite their title but run in the data dir).
 */
function processesUsing(dir: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (
        readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(dir) ||
        readlinkSync(`/proc/${entry}/cwd`).startsWith(dir)
      )
        out.push(Number(entry));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return out;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A killed child not reaped yet is a zombie: not running.
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

function uidOf(pid: number): number {
  return Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
}

function expectGone(server: { pid: number; dataDir: string }): void {
  expect(isAlive(server.pid)).toBe(false);
  expect(processesUsing(server.dataDir)).toEqual([]);
  expect(existsSync(server.dataDir)).toBe(false);
}

/** Starts a client that holds its connection until killed; resolves once it has exited. */
function hold(command: string, args: string[]): { child: ChildProcess; done: Promise<string> } {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return { child, done: new Promise((resolve) => child.once('close', () => resolve(out))) };
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('database binaries', () => {
  it('are installed (scripts/setup-databases.sh)', () => {
    expect(databaseBinaries()).toEqual({ postgres: true, mariadb: true, redis: true });
  });
});

describe('startPostgres', () => {
  it('runs PostgreSQL 15 as postgres on 127.0.0.1 with a SCRAM app user and its database', async () => {
    const pg: PostgresServer = later(await startPostgres());
    expect(pg.url).toBe(`postgres://${pg.user}:${pg.password}@127.0.0.1:${pg.port}/${pg.database}`);
    expect(uidOf(pg.pid)).toBe(Number(/^postgres:x:(\d+):/m.exec(readFileSync('/etc/passwd', 'utf8'))?.[1]));

    const created = await psql(
      pg.url,
      "CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items VALUES (1, 'one'), (2, 'two');",
    );
    expect(created.stderr).toBe('');
    const read = await psql(pg.url, 'SELECT name FROM items ORDER BY id');
    expect(read.stdout.trim().split('\n')).toEqual(['one', 'two']);

    const who = await psql(
      pg.url,
      'SELECT current_user, rolsuper, inet_server_addr() FROM pg_roles WHERE rolname = current_user',
    );
    expect(who.stdout.trim()).toBe(`${pg.user}|f|127.0.0.1`);
    const auth = await psql(
      pg.adminUrl,
      "SELECT auth_method FROM pg_hba_file_rules WHERE type = 'host' LIMIT 1",
    );
    expect(auth.stdout.trim()).toBe('scram-sha-256');
    const admin = await psql(pg.adminUrl, 'SELECT rolsuper FROM pg_roles WHERE rolname = current_user');
    expect(admin.stdout.trim()).toBe('t');

    const wrong = await psql(pg.url.replace(pg.password, 'wrong'), 'SELECT 1');
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain(`password authentication failed for user "${pg.user}"`);

    await pg.stop();
    expectGone(pg);
    await pg.stop(); // idempotent
  });

  it('honours maxConnections: the extra app connection is refused (53300), the admin still gets in', async () => {
    const pg = later(await startPostgres({ maxConnections: 2 }));
    const holders = [0, 1].map(() => hold(BINARIES.psql, ['-X', '-d', pg.url, '-c', 'SELECT pg_sleep(60)']));
    const count = "SELECT count(*) FROM pg_stat_activity WHERE usename = 'faultline'";
    await until('two app sessions', async () => (await psql(pg.adminUrl, count)).stdout.trim() === '2');

    const refused = await psql(pg.url, 'SELECT 1');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('too many connections for role "faultline"');

    const terminated = await psql(
      pg.adminUrl,
      "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'faultline') t",
    );
    expect(terminated.stdout.trim()).toBe('2');
    for (const h of holders)
      expect(await h.done).toContain('terminating connection due to administrator command');
    await until('a free slot', async () => (await psql(pg.url, 'SELECT 42')).stdout.trim() === '42');
    await pg.stop();
    expectGone(pg);
  });

  it('kill() SIGKILLs the server and its backends mid-query, and removes the data dir', async () => {
    const pg = later(await startPostgres());
    const query = hold(BINARIES.psql, ['-X', '-d', pg.url, '-c', 'SELECT pg_sleep(60)']);
    await until('the running query', async () => {
      const r = await psql(
        pg.adminUrl,
        "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%'",
      );
      return r.stdout.trim() === '1';
    });
    expect(processesUsing(pg.dataDir).length).toBeGreaterThan(1);
    await pg.kill();
    expect(await query.done).toMatch(/server closed the connection unexpectedly/);
    expectGone(pg);
    expect((await psql(pg.url, 'SELECT 1')).code).not.toBe(0);
  });
});

describe('startMariaDb', () => {
  it('runs MariaDB as mysql on 127.0.0.1 with a password app user and its database', async () => {
    const db: MariaDbServer = later(await startMariaDb());
    expect(db.url).toBe(`mysql://${db.user}:${db.password}@127.0.0.1:${db.port}/${db.database}`);
    expect(uidOf(db.pid)).toBe(Number(/^mysql:x:(\d+):/m.exec(readFileSync('/etc/passwd', 'utf8'))?.[1]));

    const created = await mariadbSql(
      db,
      "CREATE TABLE items (id INT PRIMARY KEY, name TEXT); INSERT INTO items VALUES (1, 'one'), (2, 'two');",
    );
    expect(created.stderr).toBe('');
    const read = await mariadbSql(db, 'SELECT name FROM items ORDER BY id');
    expect(read.stdout.trim().split('\n')).toEqual(['one', 'two']);
    const who = await mariadbSql(db, 'SELECT CURRENT_USER(), DATABASE()');
    expect(who.stdout.trim()).toBe(`${db.user}@%\t${db.database}`);
    const other = await mariadbSql(db, 'SELECT COUNT(*) FROM mysql.user');
    expect(other.stderr).toMatch(/ERROR 1142 .*SELECT command denied/);

    const wrong = await mariadbSql({ ...db, password: 'wrong' }, 'SELECT 1');
    expect(wrong.stderr).toMatch(/ERROR 1045 .*Access denied for user 'faultline'/);

    await db.stop();
    expectGone(db);
  });

  it('honours maxConnections: the extra app connection gets "Too many connections" (1040)', async () => {
    const db = later(await startMariaDb({ maxConnections: 10 }));
    const holders = Array.from({ length: 10 }, () =>
      hold(BINARIES.mariadb, [
        ...['--no-defaults', '--protocol=tcp', '-h', '127.0.0.1', '-P', String(db.port)],
        ...['-u', db.user, `--password=${db.password}`, '-e', 'SELECT SLEEP(60)'],
      ]),
    );
    const count = "SELECT COUNT(*) FROM information_schema.processlist WHERE user = 'faultline'";
    await until(
      'ten app sessions',
      async () => (await mariadbSql(db, count, { admin: true })).stdout.trim() === '10',
    );
    const refused = await mariadbSql(db, 'SELECT 1');
    expect(refused.stderr).toMatch(/ERROR 1040 .*Too many connections/);
    await db.kill();
    for (const h of holders) expect(await h.done).toMatch(/ERROR 2013|Lost connection/);
    expectGone(db);
  });

  it('refuses a maxConnections below MariaDB minimum of 10 instead of silently raising it', async () => {
    await expect(startMariaDb({ maxConnections: 2 })).rejects.toThrow(
      /maxConnections must be an integer >= 10/,
    );
  });
});

describe('startRedis', () => {
  it('runs a primary and a read-only replica that answers READONLY to writes', async () => {
    const primary: RedisServer = later(await startRedis());
    expect(primary.url).toBe(`redis://127.0.0.1:${primary.port}`);
    expect((await redisCli(primary, 'SET', 'greeting', 'hello')).stdout.trim()).toBe('OK');
    expect((await redisCli(primary, 'CONFIG', 'GET', 'save')).stdout.trim()).toBe('save');

    const replica = later(await startRedis({ replicaOf: { host: primary.host, port: primary.port } }));
    await until(
      'replication',
      async () => (await redisCli(replica, 'GET', 'greeting')).stdout.trim() === 'hello',
    );
    const write = await redisCli(replica, 'SET', 'greeting', 'bye');
    expect(`${write.stdout}${write.stderr}`).toMatch(
      /^READONLY You can't write against a read only replica/m,
    );

    await replica.stop();
    expectGone(replica);
    await primary.kill();
    expectGone(primary);
    expect((await redisCli(primary, 'PING')).stdout.trim()).not.toBe('PONG');
  });
});
