// The retry policy with real database errors (issue 11): a real deadlock, a real serialization
// failure and a real Redis replica's READONLY are retried; a real unique violation is not.
// PostgreSQL and Redis from test/support/servers.ts, on loopback.
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type PostgresServer,
  type RedisServer,
  startPostgres,
  startRedis,
} from '../../../test/support/servers.js';
import { retry, retryHistory } from '../src/index.js';

let server: PostgresServer;
let primary: RedisServer;
let replica: RedisServer;
const pgClients: pg.Client[] = [];
const redisClients: Redis[] = [];

async function connect(): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: server.url });
  c.on('error', () => {});
  await c.connect();
  pgClients.push(c);
  return c;
}

function redis(s: RedisServer): Redis {
  const c = new Redis({ host: s.host, port: s.port, maxRetriesPerRequest: 0 });
  c.on('error', () => {});
  redisClients.push(c);
  return c;
}

beforeAll(async () => {
  [server, primary] = await Promise.all([startPostgres(), startRedis()]);
  replica = await startRedis({ replicaOf: { host: primary.host, port: primary.port } });
  const c = await connect();
  await c.query('CREATE TABLE accounts (id int PRIMARY KEY, email text UNIQUE, n int NOT NULL DEFAULT 0)');
  await c.query("INSERT INTO accounts (id, email) VALUES (1, 'a@example.com'), (2, 'b@example.com')");
}, 90_000);

afterAll(async () => {
  for (const c of pgClients) await c.end().catch(() => {});
  for (const c of redisClients) c.disconnect();
  await Promise.all([server?.stop(), replica?.stop()]);
  await primary?.stop();
});

/** Runs two transactions that lock rows 1 and 2 in opposite orders: PostgreSQL aborts one with 40P01. */
async function deadlock(a: pg.Client, b: pg.Client): Promise<void> {
  await a.query('BEGIN');
  await b.query('BEGIN');
  try {
    await a.query('UPDATE accounts SET n = n + 1 WHERE id = 1');
    await b.query('UPDATE accounts SET n = n + 1 WHERE id = 2');
    const results = await Promise.allSettled([
      a.query('UPDATE accounts SET n = n + 1 WHERE id = 2'),
      b.query('UPDATE accounts SET n = n + 1 WHERE id = 1'),
    ]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  } finally {
    await a.query('ROLLBACK').catch(() => {});
    await b.query('ROLLBACK').catch(() => {});
  }
}

/** Two REPEATABLE READ transactions update the same row: the second fails with 40001. */
async function serializationFailure(a: pg.Client, b: pg.Client): Promise<void> {
  await a.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
  await b.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
  try {
    await b.query('SELECT n FROM accounts WHERE id = 1');
    await a.query('UPDATE accounts SET n = n + 1 WHERE id = 1');
    await a.query('COMMIT');
    await b.query('UPDATE accounts SET n = n + 1 WHERE id = 1');
    await b.query('COMMIT');
  } finally {
    await b.query('ROLLBACK').catch(() => {});
  }
}

describe('retry with real database errors', () => {
  it('a deadlock on the first attempt is retried, the second attempt succeeds', async () => {
    const [a, b] = [await connect(), await connect()];
    const policy = retry({ idempotent: true, name: 'transfer', maxAttempts: 3, initialDelayMs: 1 });
    const result = await policy.execute(async ({ attempt }) => {
      if (attempt === 1) await deadlock(a, b);
      return attempt;
    });
    expect(result).toBe(2);
  });

  it('a serialization failure is retried', async () => {
    const [a, b] = [await connect(), await connect()];
    const policy = retry({ idempotent: true, name: 'increment', maxAttempts: 3, initialDelayMs: 1 });
    const seen: number[] = [];
    const result = await policy.execute(async ({ attempt }) => {
      seen.push(attempt);
      if (attempt === 1) await serializationFailure(a, b);
      return 'done';
    });
    expect(result).toBe('done');
    expect(seen).toEqual([1, 2]);
  });

  it("a replica's READONLY is retried (the retry writes to the promoted primary)", async () => {
    const targets = [redis(replica), redis(primary)];
    const policy = retry({ idempotent: true, name: 'cache-write', maxAttempts: 2, initialDelayMs: 1 });
    const failures: unknown[] = [];
    const result = await policy.execute(async ({ attempt }) => {
      try {
        return await targets[attempt - 1]!.set('k', 'v');
      } catch (e) {
        failures.push(e);
        throw e;
      }
    });
    expect(result).toBe('OK');
    expect(failures.map((e) => (e as Error).message.split(' ')[0])).toEqual(['READONLY']);
  });

  it('a unique violation is not retried: one attempt, given up as not_retryable', async () => {
    const c = await connect();
    const policy = retry({ idempotent: true, name: 'signup', maxAttempts: 5, initialDelayMs: 1 });
    let attempts = 0;
    const thrown = await policy
      .execute(async () => {
        attempts++;
        await c.query("INSERT INTO accounts (id, email) VALUES (3, 'a@example.com')");
      })
      .catch((e: unknown) => e);
    expect(attempts).toBe(1);
    const history = retryHistory(thrown);
    expect(history).toMatchObject({ attempts: 1, codes: ['already_exists'], gaveUpBecause: 'not_retryable' });
  });

  it('a deadlock every time is retried until the attempts run out', async () => {
    const [a, b] = [await connect(), await connect()];
    const policy = retry({ idempotent: true, name: 'transfer-always', maxAttempts: 2, initialDelayMs: 1 });
    const thrown = await policy.execute(() => deadlock(a, b)).catch((e: unknown) => e);
    expect(retryHistory(thrown)).toMatchObject({
      attempts: 2,
      codes: ['transaction_conflict', 'transaction_conflict'],
      gaveUpBecause: 'exhausted',
    });
  });
});
