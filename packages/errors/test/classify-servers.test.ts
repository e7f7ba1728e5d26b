// Real PostgreSQL, MariaDB and Redis on loopback (test/support/servers.ts), provoked with the real
// client libraries; the errors they throw are classified. A missing server binary fails (no skip).
import { createServer } from 'node:net';
import { DrizzleQueryError, sql as drizzleSql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { Redis } from 'ioredis';
import mysqlClassic from 'mysql';
import mysql from 'mysql2/promise';
import pg from 'pg';
import postgres from 'postgres';
import { createClient } from 'redis';
import { DataTypes, Sequelize } from 'sequelize';
import { DataSource, EntitySchema } from 'typeorm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type MariaDbServer,
  type PostgresServer,
  type RedisServer,
  startMariaDb,
  startPostgres,
  startRedis,
} from '../../../test/support/servers.js';
import {
  type ErrorCategory,
  type FaultlineError,
  type Severity,
  toFaultlineError,
  toGrpcStatus,
  toProblemDetails,
} from '../src/index.js';

interface Expected {
  code: string;
  category: ErrorCategory;
  severity: Severity;
  retryable: boolean;
  details: Record<string, unknown>;
}

function expectClassified(thrown: unknown, expected: Expected): FaultlineError {
  const err = toFaultlineError(thrown);
  expect({
    code: err.code,
    category: err.category,
    severity: err.severity,
    retryable: err.retryable,
    details: err.details,
  }).toEqual(expected);
  return err;
}

const pgDetails = (status: string) => ({ 'db.system.name': 'postgresql', 'db.response.status_code': status });
const myDetails = (status: number) => ({
  'db.system.name': 'mysql',
  'db.response.status_code': String(status),
});

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected the call to fail');
}

describe('PostgreSQL 15 with pg and postgres', () => {
  let server: PostgresServer;
  const clients: pg.Client[] = [];
  async function client(url = server.url): Promise<pg.Client> {
    const c = new pg.Client({ connectionString: url });
    c.on('error', () => {});
    await c.connect();
    clients.push(c);
    return c;
  }
  beforeAll(async () => {
    server = await startPostgres({ maxConnections: 6 });
    const c = await client();
    await c.query(
      'CREATE TABLE users (id int PRIMARY KEY, email text UNIQUE NOT NULL, n int NOT NULL DEFAULT 0)',
    );
    await c.query("INSERT INTO users (id, email) VALUES (1, 'alice@example.com'), (2, 'bob@example.com')");
  }, 60_000);
  // Each test's connections are closed after it: the role's connection limit is small.
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.end().catch(() => {});
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('unique violation -> already_exists (pg and postgres), the SQLSTATE kept, no value', async () => {
    const c = await client();
    const thrown = await rejection(c.query("INSERT INTO users (id, email) VALUES (3, 'alice@example.com')"));
    const err = expectClassified(thrown, {
      code: 'already_exists',
      category: 'conflict',
      severity: 'low',
      retryable: false,
      details: pgDetails('23505'),
    });
    expect(JSON.stringify(err.details)).not.toContain('alice');
    const sql = postgres(server.url, { max: 1, onnotice: () => {} });
    try {
      const porsager = await rejection(sql`INSERT INTO users (id, email) VALUES (4, 'bob@example.com')`);
      expect((porsager as Error).name).toBe('PostgresError');
      expectClassified(porsager, {
        code: 'already_exists',
        category: 'conflict',
        severity: 'low',
        retryable: false,
        details: pgDetails('23505'),
      });
    } finally {
      await sql.end();
    }
  });

  it('deadlock between two connections -> transaction_conflict (retryable)', async () => {
    const a = await client();
    const b = await client();
    await a.query('BEGIN');
    await b.query('BEGIN');
    await a.query('UPDATE users SET n = n + 1 WHERE id = 1');
    await b.query('UPDATE users SET n = n + 1 WHERE id = 2');
    const results = await Promise.allSettled([
      a.query('UPDATE users SET n = n + 1 WHERE id = 2'),
      b.query('UPDATE users SET n = n + 1 WHERE id = 1'),
    ]);
    await a.query('ROLLBACK').catch(() => {});
    await b.query('ROLLBACK').catch(() => {});
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(failed).toHaveLength(1);
    expectClassified(failed[0]!.reason, {
      code: 'transaction_conflict',
      category: 'conflict',
      severity: 'medium',
      retryable: true,
      details: pgDetails('40P01'),
    });
  });

  it('serialization failure -> transaction_conflict (retryable)', async () => {
    const a = await client();
    const b = await client();
    await a.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    await b.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    await a.query('SELECT n FROM users WHERE id = 1');
    await b.query('SELECT n FROM users WHERE id = 1');
    await a.query('UPDATE users SET n = n + 1 WHERE id = 1');
    await a.query('COMMIT');
    const thrown = await rejection(b.query('UPDATE users SET n = n + 1 WHERE id = 1'));
    await b.query('ROLLBACK');
    expectClassified(thrown, {
      code: 'transaction_conflict',
      category: 'conflict',
      severity: 'medium',
      retryable: true,
      details: pgDetails('40001'),
    });
  });

  it('statement timeout -> operation_timeout; a cancelled query -> cancelled', async () => {
    const c = await client();
    await c.query('SET statement_timeout = 50');
    const timedOut = await rejection(c.query('SELECT pg_sleep(5)'));
    expectClassified(timedOut, {
      code: 'operation_timeout',
      category: 'timeout',
      severity: 'medium',
      retryable: true,
      details: pgDetails('57014'),
    });
    await c.query('SET statement_timeout = 0');
    const other = await client();
    const sleeping = rejection(c.query('SELECT pg_sleep(10)'));
    // Wait until the backend is in pg_sleep, then cancel it from another connection.
    for (let i = 0; i < 100; i++) {
      const { rows } = await other.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(10)' AND state = 'active'",
      );
      if (rows[0].n > 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await other.query('SELECT pg_cancel_backend($1)', [(c as unknown as { processID: number }).processID]);
    expectClassified(await sleeping, {
      code: 'cancelled',
      category: 'cancelled',
      severity: 'low',
      retryable: false,
      details: pgDetails('57014'),
    });
  });

  it('missing table -> invalid_query; bad password -> credentials_rejected', async () => {
    const c = await client();
    expectClassified(await rejection(c.query('SELECT * FROM nope')), {
      code: 'invalid_query',
      category: 'execution',
      severity: 'high',
      retryable: false,
      details: pgDetails('42P01'),
    });
    const bad = new pg.Client({
      host: server.host,
      port: server.port,
      user: server.user,
      password: 'wrong',
      database: server.database,
    });
    expectClassified(await rejection(bad.connect()), {
      code: 'credentials_rejected',
      category: 'configuration',
      severity: 'high',
      retryable: false,
      details: pgDetails('28P01'),
    });
  });

  it("postgres (porsager): the client's own cancel -> cancelled", async () => {
    const sql = postgres(server.url, { max: 1, onnotice: () => {} });
    try {
      const query = sql`SELECT pg_sleep(10)`;
      const thrown = rejection(query.execute());
      await new Promise((r) => setTimeout(r, 100));
      await query.cancel();
      expectClassified(await thrown, {
        code: 'cancelled',
        category: 'cancelled',
        severity: 'low',
        retryable: false,
        details: pgDetails('57014'),
      });
    } finally {
      await sql.end();
    }
  });

  it('connection refused (a closed port) -> connection_failed (retryable)', async () => {
    const refused = new pg.Client({ host: '127.0.0.1', port: await closedPort(), user: 'x', password: 'x' });
    const err = toFaultlineError(await rejection(refused.connect()));
    expect({ code: err.code, category: err.category, retryable: err.retryable }).toEqual({
      code: 'connection_failed',
      category: 'network',
      retryable: true,
    });
  });

  it('too many connections -> too_many_connections (retryable)', async () => {
    // The role's limit is 6: open until refused.
    let refused: unknown;
    for (let i = 0; i < 8 && refused === undefined; i++) {
      refused = await client().then(
        () => undefined,
        (e: unknown) => e,
      );
    }
    expectClassified(refused, {
      code: 'too_many_connections',
      category: 'resource',
      severity: 'high',
      retryable: true,
      details: pgDetails('53300'),
    });
  });
});

describe('ORMs over the real PostgreSQL: the driver error inside decides', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgres();
    const c = new pg.Client({ connectionString: server.url });
    await c.connect();
    await c.query('CREATE TABLE people (id serial PRIMARY KEY, email text UNIQUE NOT NULL)');
    await c.query("INSERT INTO people (email) VALUES ('carol@example.com')");
    await c.end();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });
  const conflict = {
    code: 'already_exists',
    category: 'conflict',
    severity: 'low',
    retryable: false,
    details: pgDetails('23505'),
  } as const;

  it('Sequelize: UniqueConstraintError around pg 23505', async () => {
    const sequelize = new Sequelize(server.url, { logging: false });
    try {
      const Person = sequelize.define(
        'Person',
        { email: DataTypes.TEXT },
        { tableName: 'people', timestamps: false },
      );
      const thrown = await rejection(Person.create({ email: 'carol@example.com' }));
      expect((thrown as Error).name).toBe('SequelizeUniqueConstraintError');
      expectClassified(thrown, conflict);
    } finally {
      await sequelize.close();
    }
  });

  it('TypeORM: QueryFailedError around pg 23505', async () => {
    const Person = new EntitySchema<{ id: number; email: string }>({
      name: 'Person',
      tableName: 'people',
      columns: { id: { type: Number, primary: true, generated: true }, email: { type: String } },
    });
    const source = new DataSource({ type: 'postgres', url: server.url, entities: [Person], logging: false });
    await source.initialize();
    try {
      const thrown = await rejection(source.getRepository(Person).insert({ email: 'carol@example.com' }));
      expect((thrown as Error).name).toBe('QueryFailedError');
      expectClassified(thrown, conflict);
    } finally {
      await source.destroy();
    }
  });

  it('Drizzle: DrizzleQueryError around pg 23505', async () => {
    const pool = new pg.Pool({ connectionString: server.url });
    try {
      const db = drizzle(pool);
      const thrown = await rejection(
        db.execute(drizzleSql`INSERT INTO people (email) VALUES (${'carol@example.com'})`),
      );
      expect(thrown).toBeInstanceOf(DrizzleQueryError);
      expectClassified(thrown, conflict);
    } finally {
      await pool.end();
    }
  });
});

describe('PostgreSQL killed mid-query', () => {
  it('pg_sleep running, server SIGKILLed -> connection_reset (retryable)', async () => {
    const server = await startPostgres();
    try {
      const c = new pg.Client({ connectionString: server.url });
      c.on('error', () => {});
      await c.connect();
      const sleeping = rejection(c.query('SELECT pg_sleep(30)'));
      await new Promise((r) => setTimeout(r, 200));
      await server.kill();
      expectClassified(await sleeping, {
        code: 'connection_reset',
        category: 'network',
        severity: 'high',
        retryable: true,
        details: { 'db.system.name': 'postgresql' },
      });
    } finally {
      await server.stop();
    }
  }, 60_000);
});

describe('MariaDB with mysql2', () => {
  let server: MariaDbServer;
  const conns: mysql.Connection[] = [];
  async function conn(): Promise<mysql.Connection> {
    const c = await mysql.createConnection({
      host: server.host,
      port: server.port,
      user: server.user,
      password: server.password,
      database: server.database,
    });
    c.on('error', () => {});
    conns.push(c);
    return c;
  }
  beforeAll(async () => {
    server = await startMariaDb({ maxConnections: 10 });
    const c = await conn();
    await c.query(
      'CREATE TABLE users (id int PRIMARY KEY, email varchar(64) UNIQUE NOT NULL, n int NOT NULL DEFAULT 0) ENGINE=InnoDB',
    );
    await c.query("INSERT INTO users (id, email) VALUES (1, 'alice@example.com'), (2, 'bob@example.com')");
  }, 60_000);
  afterEach(async () => {
    for (const c of conns.splice(0)) await c.end().catch(() => {});
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('duplicate entry -> already_exists', async () => {
    const c = await conn();
    const err = expectClassified(
      await rejection(c.query("INSERT INTO users (id, email) VALUES (3, 'alice@example.com')")),
      {
        code: 'already_exists',
        category: 'conflict',
        severity: 'low',
        retryable: false,
        details: myDetails(1062),
      },
    );
    expect(JSON.stringify(err.details)).not.toContain('alice');
  });

  it("the driver's text, which quotes the duplicate value, stays in the cause: callers get the safe message", async () => {
    const c = await conn();
    await c.query("INSERT INTO users (id, email) VALUES (10, 'carol-handle-77')");
    const thrown = await rejection(c.query("INSERT INTO users (id, email) VALUES (11, 'carol-handle-77')"));
    expect((thrown as Error).message).toContain('carol-handle-77');
    const err = toFaultlineError(thrown);
    expect(err.message).toBe('mysql 1062: The resource already exists.');
    expect(err.cause).toBe(thrown);
    const problem = toProblemDetails(err);
    expect(problem.status).toBe(409);
    expect(JSON.stringify(problem)).not.toContain('carol-handle-77');
    expect(JSON.stringify(toGrpcStatus(err))).not.toContain('carol-handle-77');
  });

  it('deadlock between two connections -> transaction_conflict (retryable)', async () => {
    const a = await conn();
    const b = await conn();
    await a.query('BEGIN');
    await b.query('BEGIN');
    await a.query('UPDATE users SET n = n + 1 WHERE id = 1');
    await b.query('UPDATE users SET n = n + 1 WHERE id = 2');
    const first = a.query('UPDATE users SET n = n + 1 WHERE id = 2');
    await new Promise((r) => setTimeout(r, 100));
    const results = await Promise.allSettled([first, b.query('UPDATE users SET n = n + 1 WHERE id = 1')]);
    await a.query('ROLLBACK').catch(() => {});
    await b.query('ROLLBACK').catch(() => {});
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(failed).toHaveLength(1);
    expectClassified(failed[0]!.reason, {
      code: 'transaction_conflict',
      category: 'conflict',
      severity: 'medium',
      retryable: true,
      details: myDetails(1213),
    });
  });

  it('missing table, parse error -> invalid_query; bad password -> credentials_rejected', async () => {
    const c = await conn();
    const invalid = {
      code: 'invalid_query',
      category: 'execution',
      severity: 'high',
      retryable: false,
    } as const;
    expectClassified(await rejection(c.query('SELECT * FROM nope')), {
      ...invalid,
      details: myDetails(1146),
    });
    expectClassified(await rejection(c.query('SELEC 1')), { ...invalid, details: myDetails(1064) });
    const bad = mysql.createConnection({
      host: server.host,
      port: server.port,
      user: server.user,
      password: 'wrong',
    });
    expectClassified(await rejection(bad), {
      code: 'credentials_rejected',
      category: 'configuration',
      severity: 'high',
      retryable: false,
      details: myDetails(1045),
    });
  });

  it('max_statement_time -> operation_timeout (MariaDB 1969)', async () => {
    const c = await conn();
    await c.query('SET SESSION max_statement_time = 0.05');
    const thrown = await rejection(c.query('SELECT SLEEP(2) FROM users'));
    expectClassified(thrown, {
      code: 'operation_timeout',
      category: 'timeout',
      severity: 'medium',
      retryable: true,
      details: { 'db.system.name': 'mariadb', 'db.response.status_code': '1969' },
    });
  });

  it('too many connections -> too_many_connections', async () => {
    let refused: unknown;
    for (let i = 0; i < 14 && refused === undefined; i++) {
      refused = await conn().then(
        () => undefined,
        (e: unknown) => e,
      );
    }
    expectClassified(refused, {
      code: 'too_many_connections',
      category: 'resource',
      severity: 'high',
      retryable: true,
      details: myDetails(1040),
    });
  });
});

describe('MariaDB with mysql (the classic client), and killed mid-query', () => {
  it('duplicate entry -> already_exists; missing table -> invalid_query', async () => {
    const server = await startMariaDb();
    const conn = mysqlClassic.createConnection({
      host: server.host,
      port: server.port,
      user: server.user,
      password: server.password,
      database: server.database,
    });
    const query = (sql: string) =>
      new Promise<void>((resolve, reject) => conn.query(sql, (err) => (err ? reject(err) : resolve())));
    try {
      await query('CREATE TABLE t (id int PRIMARY KEY)');
      await query('INSERT INTO t VALUES (1)');
      expectClassified(await rejection(query('INSERT INTO t VALUES (1)')), {
        code: 'already_exists',
        category: 'conflict',
        severity: 'low',
        retryable: false,
        details: myDetails(1062),
      });
      expectClassified(await rejection(query('SELECT * FROM nope')), {
        code: 'invalid_query',
        category: 'execution',
        severity: 'high',
        retryable: false,
        details: myDetails(1146),
      });
    } finally {
      conn.destroy();
      await server.stop();
    }
  }, 60_000);

  it('mysql2: SLEEP running, server SIGKILLed -> connection_reset (PROTOCOL_CONNECTION_LOST)', async () => {
    const server = await startMariaDb();
    try {
      const c = await mysql.createConnection({
        host: server.host,
        port: server.port,
        user: server.user,
        password: server.password,
      });
      c.on('error', () => {});
      const sleeping = rejection(c.query('SELECT SLEEP(30)'));
      await new Promise((r) => setTimeout(r, 200));
      await server.kill();
      const thrown = await sleeping;
      expect((thrown as { code?: string }).code).toBe('PROTOCOL_CONNECTION_LOST');
      expectClassified(thrown, {
        code: 'connection_reset',
        category: 'network',
        severity: 'high',
        retryable: true,
        details: { 'db.system.name': 'mysql', 'db.response.status_code': 'PROTOCOL_CONNECTION_LOST' },
      });
    } finally {
      await server.stop();
    }
  }, 60_000);
});

describe('Redis with ioredis', () => {
  let primary: RedisServer;
  let replica: RedisServer;
  const clients: Redis[] = [];
  function client(s: RedisServer): Redis {
    const c = new Redis({ host: s.host, port: s.port, maxRetriesPerRequest: 0 });
    c.on('error', () => {});
    clients.push(c);
    return c;
  }
  beforeAll(async () => {
    primary = await startRedis();
    replica = await startRedis({ replicaOf: { host: primary.host, port: primary.port } });
  }, 60_000);
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await replica?.stop();
    await primary?.stop();
  });

  it("a replica's READONLY -> dependency_unavailable (retryable)", async () => {
    const thrown = await rejection(client(replica).set('k', 'v'));
    expectClassified(thrown, {
      code: 'dependency_unavailable',
      category: 'dependency',
      severity: 'high',
      retryable: true,
      details: { 'db.system.name': 'redis', 'db.response.status_code': 'READONLY' },
    });
  });

  it('WRONGTYPE -> invalid_query', async () => {
    const c = client(primary);
    await c.set('str', 'v');
    expectClassified(await rejection(c.lpush('str', 'x')), {
      code: 'invalid_query',
      category: 'execution',
      severity: 'high',
      retryable: false,
      details: { 'db.system.name': 'redis', 'db.response.status_code': 'WRONGTYPE' },
    });
  });

  it('node-redis: READONLY and WRONGTYPE from the real servers', async () => {
    const onReplica = createClient({ url: replica.url });
    const onPrimary = createClient({ url: primary.url });
    onReplica.on('error', () => {});
    onPrimary.on('error', () => {});
    await Promise.all([onReplica.connect(), onPrimary.connect()]);
    try {
      expectClassified(await rejection(onReplica.set('k2', 'v')), {
        code: 'dependency_unavailable',
        category: 'dependency',
        severity: 'high',
        retryable: true,
        details: { 'db.system.name': 'redis', 'db.response.status_code': 'READONLY' },
      });
      await onPrimary.set('str2', 'v');
      expectClassified(await rejection(onPrimary.lPush('str2', 'x')), {
        code: 'invalid_query',
        category: 'execution',
        severity: 'high',
        retryable: false,
        details: { 'db.system.name': 'redis', 'db.response.status_code': 'WRONGTYPE' },
      });
    } finally {
      onReplica.destroy();
      onPrimary.destroy();
    }
  });
});
