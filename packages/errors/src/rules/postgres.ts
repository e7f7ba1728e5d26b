// PostgreSQL, as `pg` (DatabaseError, name 'error') and `postgres` (PostgresError) throw it: a
// five-character SQLSTATE in `code`. The specific codes first, then the class (first two
// characters). https://www.postgresql.org/docs/current/errcodes-appendix.html
import { dbMatch, shortMessage } from './db.js';
import type { BuiltInRule, RuleMatch } from './rule.js';

const SYSTEM = 'postgresql';

/** Specific SQLSTATEs whose code differs from their class's. */
const BY_CODE = new Map<string, string>([
  ['23505', 'already_exists'], // unique_violation
  ['25006', 'dependency_unavailable'], // read_only_sql_transaction: a hot standby (failover)
  ['25P03', 'operation_timeout'], // idle_in_transaction_session_timeout
  ['3D000', 'configuration_error'], // invalid_catalog_name: the configured database does not exist
  ['40002', 'constraint_violation'], // transaction_integrity_constraint_violation
  ['40003', 'dependency_failed'], // statement_completion_unknown
  ['42501', 'configuration_error'], // insufficient_privilege: this service's role lacks a grant
  ['53300', 'too_many_connections'],
  ['55P03', 'transaction_conflict'], // lock_not_available (NOWAIT, lock_timeout)
  ['55006', 'transaction_conflict'], // object_in_use
  ['57P01', 'dependency_unavailable'], // admin_shutdown
  ['57P02', 'dependency_unavailable'], // crash_shutdown
  ['57P03', 'dependency_unavailable'], // cannot_connect_now (starting up, recovering)
  ['57P05', 'connection_reset'], // idle_session_timeout
  ['08001', 'connection_failed'], // sqlclient_unable_to_establish_sqlconnection
  ['08004', 'connection_failed'], // sqlserver_rejected_establishment_of_sqlconnection
  ['P0002', 'not_found'], // no_data_found (PL/pgSQL STRICT)
]);

/** SQLSTATE classes. */
const BY_CLASS = new Map<string, string>([
  ['08', 'connection_reset'], // connection exception
  ['09', 'invalid_query'], // triggered action exception
  ['0A', 'invalid_query'], // feature not supported
  ['0B', 'invalid_query'], // invalid transaction initiation
  ['0F', 'invalid_query'], // locator exception
  ['0L', 'invalid_query'], // invalid grantor
  ['0P', 'invalid_query'], // invalid role specification
  ['0Z', 'invalid_query'], // diagnostics exception
  ['20', 'invalid_query'], // case not found
  ['21', 'invalid_query'], // cardinality violation
  ['22', 'invalid_data'], // data exception
  ['23', 'constraint_violation'], // integrity constraint violation
  ['24', 'invalid_query'], // invalid cursor state
  ['25', 'invalid_query'], // invalid transaction state (e.g. in_failed_sql_transaction)
  ['26', 'invalid_query'], // invalid SQL statement name
  ['27', 'invalid_query'], // triggered data change violation
  ['28', 'credentials_rejected'], // invalid authorization specification (bad password)
  ['2B', 'invalid_query'], // dependent privilege descriptors still exist
  ['2D', 'invalid_query'], // invalid transaction termination
  ['2F', 'invalid_query'], // SQL routine exception
  ['34', 'invalid_query'], // invalid cursor name
  ['38', 'invalid_query'], // external routine exception
  ['39', 'invalid_query'], // external routine invocation exception
  ['3B', 'invalid_query'], // savepoint exception
  ['3D', 'invalid_query'], // invalid catalog name (3D000 above)
  ['3F', 'invalid_query'], // invalid schema name
  ['40', 'transaction_conflict'], // transaction rollback: serialization_failure, deadlock_detected
  ['42', 'invalid_query'], // syntax error or access rule violation (missing table, column...)
  ['44', 'constraint_violation'], // WITH CHECK OPTION violation
  ['53', 'resource_exhausted'], // insufficient resources (disk_full, out_of_memory: the server's)
  ['54', 'invalid_query'], // program limit exceeded (statement too complex, too many columns)
  ['55', 'dependency_failed'], // object not in prerequisite state
  ['57', 'dependency_unavailable'], // operator intervention
  ['58', 'dependency_failed'], // system error (I/O error on the server)
  ['72', 'transaction_conflict'], // snapshot too old
  ['F0', 'dependency_failed'], // configuration file error (the server's)
  ['HV', 'dependency_failed'], // foreign data wrapper error
  ['P0', 'execution_failed'], // PL/pgSQL: RAISE EXCEPTION, assert_failure
  ['XX', 'dependency_failed'], // internal error, data corrupted
]);

function isSqlStateChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90);
}

/** A five-character SQLSTATE (digits and upper-case letters). */
export function isSqlState(code: unknown): code is string {
  if (typeof code !== 'string' || code.length !== 5) return false;
  for (let i = 0; i < 5; i++) if (!isSqlStateChar(code.charCodeAt(i))) return false;
  return true;
}

/** The code for a SQLSTATE, or undefined when neither it nor its class is known (not an error class). */
export function codeForSqlState(sqlState: string): string | undefined {
  return BY_CODE.get(sqlState) ?? BY_CLASS.get(sqlState.slice(0, 2));
}

function sqlStateMatch(view: { code: unknown; message: unknown }): RuleMatch | undefined {
  const { code } = view;
  if (!isSqlState(code)) return undefined;
  if (code === '57014') {
    // query_canceled: a statement_timeout, or a cancel request (pg_cancel_backend, the client's).
    const message = typeof view.message === 'string' ? view.message : '';
    return dbMatch(SYSTEM, code, message.includes('statement timeout') ? 'operation_timeout' : 'cancelled');
  }
  const known = BY_STATE.get(code);
  if (known !== undefined) return known;
  const mapped = codeForSqlState(code);
  if (mapped === undefined) return undefined;
  const match = dbMatch(SYSTEM, code, mapped);
  if (BY_STATE.size < 512) BY_STATE.set(code, match);
  return match;
}

/** The match of each SQLSTATE seen (but 57014, decided by its message): one lookup per error. */
const BY_STATE = new Map<string, RuleMatch>();

/** Errors the clients raise themselves (no SQLSTATE): fixed messages of `pg`/`pg-pool`, codes of `postgres`. */
const CLIENT_MESSAGES = new Map<string, string>([
  ['Connection terminated unexpectedly', 'connection_reset'], // the server went away mid-query
  ['Connection terminated', 'connection_reset'], // client.end() while a query ran
  ['Connection terminated due to connection timeout', 'network_timeout'],
  ['Client has encountered a connection error and is not queryable', 'connection_reset'],
  ['Query read timeout', 'operation_timeout'], // query_timeout
  ['timeout exceeded when trying to connect', 'too_many_connections'], // pg-pool: no client free in time
]);

const CLIENT_CODES = new Map<string, string>([
  ['CONNECTION_CLOSED', 'connection_reset'],
  ['CONNECTION_DESTROYED', 'connection_reset'],
  ['CONNECT_TIMEOUT', 'network_timeout'],
]);

export const postgresRules: readonly BuiltInRule[] = [
  {
    id: 'postgres.sqlstate',
    gate: (_name, code) => code === 'string',
    libraries: ['pg', 'postgres'],
    cases: [
      { matches: 'SQLSTATE 23505 unique_violation', code: 'already_exists' },
      {
        matches: 'other class 23 (foreign key 23503, not null 23502, check 23514, exclusion 23P01), class 44',
        code: 'constraint_violation',
      },
      { matches: 'class 22 data exception (bad format, out of range, too long)', code: 'invalid_data' },
      {
        matches:
          'class 40 (serialization_failure 40001, deadlock_detected 40P01), 55P03 lock_not_available, 55006, class 72',
        code: 'transaction_conflict',
      },
      { matches: '57014 query_canceled by statement_timeout', code: 'operation_timeout' },
      { matches: '57014 query_canceled by a cancel request', code: 'cancelled' },
      { matches: '53300 too_many_connections', code: 'too_many_connections' },
      {
        matches: "other class 53 (53100 disk_full, 53200 out_of_memory: the server's, not this process's)",
        code: 'resource_exhausted',
      },
      { matches: 'class 28 (28P01 invalid_password, 28000)', code: 'credentials_rejected' },
      {
        matches: '3D000 (the configured database does not exist), 42501 insufficient_privilege',
        code: 'configuration_error',
      },
      {
        matches: 'class 42 (syntax, missing table/column/function), 3F000, 0A, 21, 24-27, 2B-2F, 34-3B, 54',
        code: 'invalid_query',
      },
      { matches: '08001, 08004 (connection not established)', code: 'connection_failed' },
      {
        matches: 'other class 08 connection exception, 57P05 idle_session_timeout',
        code: 'connection_reset',
      },
      {
        matches:
          '57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now, other class 57, 25006 read-only (standby)',
        code: 'dependency_unavailable',
      },
      { matches: '25P03 idle_in_transaction_session_timeout', code: 'operation_timeout' },
      { matches: 'XX000 internal_error, class XX, 58, F0, HV, 55, 40003', code: 'dependency_failed' },
      { matches: 'P0002 no_data_found', code: 'not_found' },
      { matches: 'other class P0 (RAISE EXCEPTION, assert_failure)', code: 'execution_failed' },
    ],
    match: sqlStateMatch,
  },
  {
    id: 'postgres.client',
    gate: (_name, code) => code === 'string' || code === 'undefined',
    libraries: ['pg', 'pg-pool', 'postgres'],
    cases: [
      {
        matches: "'Connection terminated unexpectedly' (server gone mid-query), CONNECTION_CLOSED",
        code: 'connection_reset',
      },
      {
        matches: "'Connection terminated due to connection timeout', CONNECT_TIMEOUT",
        code: 'network_timeout',
      },
      { matches: "'Query read timeout' (query_timeout)", code: 'operation_timeout' },
      { matches: "pg-pool 'timeout exceeded when trying to connect'", code: 'too_many_connections' },
    ],
    match(view) {
      const { code } = view;
      if (typeof code === 'string') {
        const mapped = CLIENT_CODES.get(code);
        return mapped === undefined ? undefined : dbMatch(SYSTEM, undefined, mapped);
      }
      if (code !== undefined) return undefined;
      const message = shortMessage(view.message);
      const mapped = message === undefined ? undefined : CLIENT_MESSAGES.get(message);
      return mapped === undefined ? undefined : dbMatch(SYSTEM, undefined, mapped);
    },
  },
];
