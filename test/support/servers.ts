// Real PostgreSQL, MariaDB and Redis servers on loopback for tests (issue 11): Debian's binaries
// (scripts/setup-databases.sh installs them), a free 127.0.0.1 port, a mkdtemp data dir, the
// server run as its service user, and a readiness wait that speaks the server's protocol through
// its own CLI (pg_isready, mariadb-admin ping, redis-cli ping). stop() / kill() remove every
// process and the dir; a process 'exit' hook does the same for servers a failed test left behind,
// and each server gets SIGKILL as parent-death signal, so even a SIGKILLed test worker leaves
// nothing listening.
//
// Import by relative path, e.g. `../../../test/support/servers.js` from packages/<pkg>/test/.
import { type ChildProcess, execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from '../../packages/stack/src/ports.js';
import { startProcess, tail } from '../../packages/stack/src/process.js';

/** What every server here has. */
export interface LoopbackServer {
  host: '127.0.0.1';
  port: number;
  /** postgres://user:password@127.0.0.1:port/database, mysql://…, redis://127.0.0.1:port */
  url: string;
  /** the temporary dir (PostgreSQL's and MariaDB's data dir lies in it); removed by stop()/kill() */
  dataDir: string;
  /** the server's main process (the postmaster, mariadbd, redis-server) */
  pid: number;
  /** the server's log (its stdout and stderr); gone after stop()/kill() */
  logFile: string;
  /** a graceful shutdown, then every process and the dir are gone (idempotent) */
  stop(): Promise<void>;
  /** SIGKILL the server and all its processes (a server killed mid-query), then remove the dir */
  kill(): Promise<void>;
}

export interface SqlServer extends LoopbackServer {
  /** the app user (no admin rights), authenticated by password over TCP */
  user: string;
  password: string;
  /** the test database, owned by (PostgreSQL) or fully granted to (MariaDB) the app user */
  database: string;
  /** the admin's connection URL; never limited by maxConnections */
  adminUrl: string;
}

/** url: postgres://user:password@127.0.0.1:port/database; adminUrl: the postgres superuser (ALTER SYSTEM, pg_terminate_backend...); SCRAM auth. */
export interface PostgresServer extends SqlServer {}

/** url: mysql://user:password@127.0.0.1:port/database; adminUrl: ALL PRIVILEGES WITH GRANT OPTION on MariaDB's extra_port (adminPort). */
export interface MariaDbServer extends SqlServer {
  adminPort: number;
  adminUser: string;
  adminPassword: string;
}

/** url: redis://127.0.0.1:port */
export interface RedisServer extends LoopbackServer {}

export interface ServerOptions {
  /**
   * Connections the app user may hold at once; the next one is refused by the server, whatever
   * the admin connections do. PostgreSQL: the app role's CONNECTION LIMIT (max_connections is 5
   * more, for adminUrl), refused with SQLSTATE 53300 'too many connections for role "faultline"'.
   * MariaDB: max_connections (its minimum is 10; the admin is on extra_port, counted apart),
   * refused with error 1040 "Too many connections". Default 20.
   */
  maxConnections?: number;
}

const PG_BIN = '/usr/lib/postgresql/15/bin';
export const BINARIES = {
  initdb: `${PG_BIN}/initdb`,
  postgres: `${PG_BIN}/postgres`,
  pgIsReady: `${PG_BIN}/pg_isready`,
  psql: `${PG_BIN}/psql`,
  mariadbInstallDb: '/usr/bin/mariadb-install-db',
  mariadbd: '/usr/sbin/mariadbd',
  mariadbAdmin: '/usr/bin/mariadb-admin',
  mariadb: '/usr/bin/mariadb',
  redisServer: '/usr/bin/redis-server',
  redisCli: '/usr/bin/redis-cli',
} as const;

const KIND_BINARIES = {
  postgres: ['initdb', 'postgres', 'pgIsReady', 'psql'],
  mariadb: ['mariadbInstallDb', 'mariadbd', 'mariadbAdmin', 'mariadb'],
  redis: ['redisServer', 'redisCli'],
} as const satisfies Record<string, ReadonlyArray<keyof typeof BINARIES>>;
type Kind = keyof typeof KIND_BINARIES;

/** Whether the server binaries are installed; when missing, start* throws an Error naming scripts/setup-databases.sh. */
export function databaseBinaries(): { postgres: boolean; mariadb: boolean; redis: boolean } {
  const has = (kind: Kind) => KIND_BINARIES[kind].every((b) => existsSync(BINARIES[b]));
  return { postgres: has('postgres'), mariadb: has('mariadb'), redis: has('redis') };
}

function requireBinaries(kind: Kind): void {
  const missing = KIND_BINARIES[kind].map((b) => BINARIES[b]).filter((path) => !existsSync(path));
  if (missing.length > 0)
    throw new Error(
      `${kind} binaries are missing (${missing.join(', ')}): run scripts/setup-databases.sh (as root) to install them`,
    );
}

const START_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 10_000;
const APP_USER = 'faultline';
const DATABASE = 'faultline_test';
/** connections the admin may hold besides the app user's maxConnections */
const ADMIN_SLOTS = 5;

// ------------------------------------------------------------------------------ processes

interface Owner {
  uid: number;
  gid: number;
}

function systemUser(name: string): Owner {
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name) return { uid: Number(uid), gid: Number(gid) };
  }
  throw new Error(`the system user ${name} is missing: run scripts/setup-databases.sh (as root)`);
}

/** argv that runs `command` as `user`, SIGKILLed if the spawning thread dies. */
function asUser(user: string, command: string, args: string[]): [string, string[]] {
  return [
    'setpriv',
    [`--reuid=${user}`, `--regid=${user}`, '--init-groups', '--pdeathsig', 'KILL', command, ...args],
  ];
}

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const CLI_ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', HOME: tmpdir() };

/** Runs a client program to completion (never throws on a non-zero exit). */
export function runCli(command: string, args: string[], timeoutMs = 30_000): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { env: CLI_ENV, timeout: timeoutMs, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({
          code,
          stdout: String(stdout),
          stderr: String(stderr) || (error && code === null ? error.message : ''),
        });
      },
    );
  });
}

async function mustRun(what: string, command: string, args: string[], logFile?: string): Promise<string> {
  const r = await runCli(command, args, START_TIMEOUT_MS);
  if (r.code !== 0)
    throw new Error(
      `${what} failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}${logFile ? `\nlog ${logFile}:\n${tail(logFile, 30)}` : ''}`,
    );
  return r.stdout;
}

/** Every live descendant of pid (children first found by /proc/<pid>/stat's ppid field). */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(entry));
    children.set(ppid, list);
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift() as number) ?? []) {
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

function signalTree(pid: number, signal: NodeJS.Signals): void {
  for (const p of [...descendants(pid), pid]) {
    try {
      process.kill(p, signal);
    } catch {
      // already gone
    }
  }
}

function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

interface Running {
  child: ChildProcess;
  dir: string;
  /** synchronous leftovers cleanup after the processes are gone (PostgreSQL's SysV segment) */
  afterKill?: () => void;
}

const live = new Set<Running>();
let exitHookInstalled = false;

function forceCleanup(r: Running): void {
  if (r.child.pid !== undefined) signalTree(r.child.pid, 'SIGKILL');
  r.afterKill?.();
  rmSync(r.dir, { recursive: true, force: true });
  live.delete(r);
}

function track(r: Running): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const running of [...live]) forceCleanup(running);
    });
  }
  live.add(r);
}

function exited(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (!alive(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function stopGracefully(r: Running, signal: NodeJS.Signals): Promise<void> {
  if (!live.has(r)) return;
  if (alive(r.child)) {
    r.child.kill(signal);
    if (!(await exited(r.child, STOP_GRACE_MS)) && r.child.pid !== undefined) {
      signalTree(r.child.pid, 'SIGKILL');
      await exited(r.child, STOP_GRACE_MS);
    }
  }
  forceCleanup(r);
}

async function killNow(r: Running): Promise<void> {
  if (!live.has(r)) return;
  if (r.child.pid !== undefined) signalTree(r.child.pid, 'SIGKILL');
  await exited(r.child, STOP_GRACE_MS);
  forceCleanup(r);
}

const BIND_FAILURE =
  /address already in use|could not bind|bind on tcp\/ip port|could not create any tcp\/ip sockets/i;

/**
 * Spawns a server, then polls `ready` until it succeeds. On failure everything is cleaned up and
 * the error carries the log's tail; a lost race for the free port is retried on another port.
 */
async function launch(
  name: string,
  dir: string,
  spawnArgs: (port: number, extraPort: number) => [string, string[]],
  ready: (port: number) => Promise<CliResult>,
  afterKill?: () => void,
): Promise<{ running: Running; port: number; extraPort: number; logFile: string }> {
  const logFile = join(dir, `${name}.log`);
  for (let attempt = 1; ; attempt++) {
    const { port, extraPort } = await freePorts(['port', 'extraPort']);
    const [command, args] = spawnArgs(port, extraPort);
    writeFileSync(logFile, '');
    const proc = startProcess(name, command, args, CLI_ENV, logFile);
    const running: Running = { child: proc.child, dir, afterKill };
    track(running);
    const deadline = Date.now() + START_TIMEOUT_MS;
    let last = '';
    while (alive(proc.child) && Date.now() < deadline) {
      const r = await ready(port);
      if (r.code === 0) return { running, port, extraPort, logFile };
      last = (r.stderr || r.stdout).trim();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const log = tail(logFile, 30);
    const why = alive(proc.child)
      ? `did not accept connections on 127.0.0.1:${port} within ${START_TIMEOUT_MS} ms (last check: ${last})`
      : `exited (${proc.child.exitCode ?? proc.child.signalCode}) before accepting connections`;
    if (!alive(proc.child) && BIND_FAILURE.test(log) && attempt < 3) {
      live.delete(running);
      continue;
    }
    forceCleanup(running);
    throw new Error(`${name} ${why}; its log:\n${log}`);
  }
}

function tempDir(prefix: string, owner: Owner): string {
  const dir = mkdtempSync(join(tmpdir(), `faultline-${prefix}-`));
  chownSync(dir, owner.uid, owner.gid);
  return dir;
}

const secret = () => randomBytes(12).toString('hex');

function connections(
  options: ServerOptions | undefined,
  fallback: number,
  min: number,
  kind: string,
): number {
  const n = options?.maxConnections ?? fallback;
  if (!Number.isInteger(n) || n < min)
    throw new RangeError(
      `${kind} maxConnections must be an integer >= ${min} (got ${options?.maxConnections})`,
    );
  return n;
}

// ------------------------------------------------------------------------------ PostgreSQL

/** Starts PostgreSQL 15 (initdb + postgres as the postgres user) on a free 127.0.0.1 port. */
export async function startPostgres(options?: ServerOptions): Promise<PostgresServer> {
  requireBinaries('postgres');
  const maxConnections = connections(options, 20, 1, 'PostgreSQL');
  const owner = systemUser('postgres');
  const dir = tempDir('pg', owner);
  const dataDir = join(dir, 'data');
  const password = secret();
  const adminPassword = secret();
  try {
    const pwfile = join(dir, 'pwfile');
    writeFileSync(pwfile, `${adminPassword}\n`, { mode: 0o600 });
    chownSync(pwfile, owner.uid, owner.gid);
    const [cmd, args] = asUser('postgres', BINARIES.initdb, [
      ...['-D', dataDir, '-U', 'postgres', `--pwfile=${pwfile}`],
      ...['--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C', '--no-sync'],
    ]);
    await mustRun('initdb', cmd, args);
    rmSync(pwfile);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  // A SIGKILLed postmaster leaves its SysV segment (postmaster.pid line 7: "key id"): remove it.
  let shmId: string | undefined;
  const afterKill = () => {
    if (shmId) spawnSync('ipcrm', ['-m', shmId], { stdio: 'ignore' });
  };
  const { running, port, logFile } = await launch(
    'postgres',
    dir,
    (p) =>
      asUser('postgres', BINARIES.postgres, [
        ...['-D', dataDir, '-p', String(p), '-h', '127.0.0.1', '-k', dir],
        ...[
          '-c',
          `max_connections=${maxConnections + ADMIN_SLOTS}`,
          '-c',
          'superuser_reserved_connections=0',
        ],
        ...['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
        ...['-c', 'shared_buffers=16MB', '-c', 'dynamic_shared_memory_type=posix'],
      ]),
    (p) => runCli(BINARIES.pgIsReady, ['-h', '127.0.0.1', '-p', String(p), '-d', 'postgres', '-t', '2']),
    () => afterKill(),
  );
  try {
    shmId = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[6]?.trim().split(/\s+/)[1];
    // The superuser reaches the server over its unix socket in `dir` (trust) for the setup.
    await mustRun(
      'creating the app user and database',
      BINARIES.psql,
      [
        ...[
          '-X',
          '-q',
          '-v',
          'ON_ERROR_STOP=1',
          '-h',
          dir,
          '-p',
          String(port),
          '-U',
          'postgres',
          '-d',
          'postgres',
        ],
        ...['-c', `CREATE ROLE ${APP_USER} LOGIN CONNECTION LIMIT ${maxConnections} PASSWORD '${password}'`],
        ...['-c', `CREATE DATABASE ${DATABASE} OWNER ${APP_USER}`],
      ],
      logFile,
    );
  } catch (e) {
    forceCleanup(running);
    throw e;
  }
  const pid = running.child.pid as number;
  return {
    host: '127.0.0.1',
    port,
    user: APP_USER,
    password,
    database: DATABASE,
    url: `postgres://${APP_USER}:${password}@127.0.0.1:${port}/${DATABASE}`,
    adminUrl: `postgres://postgres:${adminPassword}@127.0.0.1:${port}/postgres`,
    dataDir,
    pid,
    logFile,
    // SIGINT is PostgreSQL's fast shutdown: open sessions are ended instead of waited for.
    stop: () => stopGracefully(running, 'SIGINT'),
    kill: () => killNow(running),
  };
}

// ------------------------------------------------------------------------------ MariaDB

// Small InnoDB files make mariadb-install-db and the first start quick (both must agree).
const INNODB = [
  '--innodb-log-file-size=8M',
  '--innodb-buffer-pool-size=16M',
  '--innodb-data-file-path=ibdata1:4M:autoextend',
];

/** Starts MariaDB (mariadb-install-db + mariadbd --user=mysql) on a free 127.0.0.1 port. */
export async function startMariaDb(options?: ServerOptions): Promise<MariaDbServer> {
  requireBinaries('mariadb');
  const maxConnections = connections(options, 20, 10, 'MariaDB');
  const owner = systemUser('mysql');
  const dir = tempDir('mariadb', owner);
  const dataDir = join(dir, 'data');
  const password = secret();
  const adminUser = `${APP_USER}_admin`;
  const adminPassword = secret();
  const initFile = join(dir, 'init.sql');
  try {
    await mustRun('mariadb-install-db', BINARIES.mariadbInstallDb, [
      ...['--no-defaults', '--user=mysql', `--datadir=${dataDir}`, '--skip-test-db', '--skip-name-resolve'],
      ...['--auth-root-authentication-method=socket', ...INNODB],
    ]);
    // Run by the server before it accepts connections, so a successful ping means the users exist.
    writeFileSync(
      initFile,
      [
        `CREATE DATABASE ${DATABASE};`,
        `CREATE USER '${APP_USER}'@'%' IDENTIFIED BY '${password}';`,
        `GRANT ALL PRIVILEGES ON ${DATABASE}.* TO '${APP_USER}'@'%';`,
        `CREATE USER '${adminUser}'@'%' IDENTIFIED BY '${adminPassword}';`,
        `GRANT ALL PRIVILEGES ON *.* TO '${adminUser}'@'%' WITH GRANT OPTION;`,
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    chownSync(initFile, owner.uid, owner.gid);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const {
    running,
    port,
    extraPort: adminPort,
    logFile,
  } = await launch(
    'mariadbd',
    dir,
    (p, adminPort) =>
      asUser('mysql', BINARIES.mariadbd, [
        ...['--no-defaults', '--user=mysql', `--datadir=${dataDir}`, `--tmpdir=${dir}`],
        ...[`--socket=${join(dir, 'mysqld.sock')}`, `--pid-file=${join(dir, 'mysqld.pid')}`],
        ...[`--port=${p}`, '--bind-address=127.0.0.1', '--skip-networking=0', '--skip-name-resolve'],
        ...[
          `--max-connections=${maxConnections}`,
          `--extra-port=${adminPort}`,
          `--extra-max-connections=${ADMIN_SLOTS}`,
        ],
        ...[`--init-file=${initFile}`, '--skip-log-bin'],
        ...['--innodb-flush-log-at-trx-commit=0', '--performance-schema=OFF', ...INNODB],
      ]),
    // mariadb-admin ping answers 0 once the server speaks its protocol, even if access is denied.
    (p) =>
      runCli(BINARIES.mariadbAdmin, [
        ...['--no-defaults', '--protocol=tcp', '-h', '127.0.0.1', '-P', String(p), '-u', 'ping'],
        ...['--connect-timeout=2', 'ping'],
      ]),
  );
  const pid = running.child.pid as number;
  return {
    host: '127.0.0.1',
    port,
    user: APP_USER,
    password,
    database: DATABASE,
    url: `mysql://${APP_USER}:${password}@127.0.0.1:${port}/${DATABASE}`,
    adminUrl: `mysql://${adminUser}:${adminPassword}@127.0.0.1:${adminPort}/`,
    adminPort,
    adminUser,
    adminPassword,
    dataDir,
    pid,
    logFile,
    stop: () => stopGracefully(running, 'SIGTERM'),
    kill: () => killNow(running),
  };
}

// ------------------------------------------------------------------------------ Redis

export interface RedisOptions {
  /** makes it a read-only replica of that server (its writes answer READONLY) */
  replicaOf?: { host: string; port: number };
  /** with replicaOf: wait until the link to the primary is up (default true) */
  waitForSync?: boolean;
}

/** Starts redis-server (as the redis user, no persistence) on a free 127.0.0.1 port. */
export async function startRedis(options?: RedisOptions): Promise<RedisServer> {
  requireBinaries('redis');
  const owner = systemUser('redis');
  const dir = tempDir('redis', owner);
  const config = join(dir, 'redis.conf');
  const replicaOf = options?.replicaOf;
  const waitForSync = replicaOf !== undefined && options?.waitForSync !== false;
  const { running, port, logFile } = await launch(
    'redis-server',
    dir,
    (p) => {
      writeFileSync(
        config,
        [
          `port ${p}`,
          'bind 127.0.0.1',
          'protected-mode no',
          'daemonize no',
          'save ""',
          'appendonly no',
          // A replica's first sync starts at once instead of after the default 5 s batching delay.
          'repl-diskless-sync-delay 0',
          `dir ${dir}`,
          'logfile ""',
          ...(replicaOf ? [`replicaof ${replicaOf.host} ${replicaOf.port}`, 'replica-read-only yes'] : []),
          '',
        ].join('\n'),
      );
      chownSync(config, owner.uid, owner.gid);
      return asUser('redis', BINARIES.redisServer, [config]);
    },
    async (p) => {
      const ping = await runCli(BINARIES.redisCli, ['-h', '127.0.0.1', '-p', String(p), 'ping'], 2_000);
      if (ping.code !== 0 || ping.stdout.trim() !== 'PONG') return { ...ping, code: ping.code || 1 };
      if (!waitForSync) return ping;
      const info = await runCli(
        BINARIES.redisCli,
        ['-h', '127.0.0.1', '-p', String(p), 'info', 'replication'],
        2_000,
      );
      return /master_link_status:up/.test(info.stdout)
        ? info
        : { ...info, code: 1, stderr: `replica link not up yet: ${info.stdout.replace(/\s+/g, ' ').trim()}` };
    },
  );
  const pid = running.child.pid as number;
  return {
    host: '127.0.0.1',
    port,
    url: `redis://127.0.0.1:${port}`,
    dataDir: dir,
    pid,
    logFile,
    stop: () => stopGracefully(running, 'SIGTERM'),
    kill: () => killNow(running),
  };
}

// ------------------------------------------------------------------------------ CLI clients

/** psql with a connection URL (server.url or server.adminUrl): unaligned, tuples only, stops on the first error. */
export function psql(url: string, sql: string, timeoutMs?: number): Promise<CliResult> {
  return runCli(
    BINARIES.psql,
    ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', sql],
    timeoutMs,
  );
}

/** mariadb as the app user (or as the admin with admin: true), batch mode without column names. */
export function mariadbSql(
  server: MariaDbServer,
  sql: string,
  options: { admin?: boolean; timeoutMs?: number } = {},
): Promise<CliResult> {
  const [user, password, port] = options.admin
    ? [server.adminUser, server.adminPassword, server.adminPort]
    : [server.user, server.password, server.port];
  return runCli(
    BINARIES.mariadb,
    [
      ...['--no-defaults', '--protocol=tcp', '-h', '127.0.0.1', '-P', String(port)],
      ...[
        '-u',
        user,
        `--password=${password}`,
        '-B',
        '-N',
        '-e',
        sql,
        ...(options.admin ? [] : [server.database]),
      ],
    ],
    options.timeoutMs,
  );
}

/** redis-cli against the server. */
export function redisCli(server: { port: number }, ...args: string[]): Promise<CliResult> {
  return runCli(BINARIES.redisCli, ['-h', '127.0.0.1', '-p', String(server.port), ...args]);
}
