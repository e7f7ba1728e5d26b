// MySQL and MariaDB, as `mysql2` and `mysql` throw them: `errno` (the server's error number),
// `code` (its ER_* name; mysql2 leaves it undefined for numbers it has no name for, such as
// MariaDB's own 19xx), `sqlState`. The number decides; the SQLSTATE class is the fallback.
// https://dev.mysql.com/doc/mysql-errors/8.0/en/server-error-reference.html
// https://mariadb.com/kb/en/mariadb-error-code-reference/
import { dbMatch } from './db.js';
import type { BuiltInRule, RuleMatch, ThrownView } from './rule.js';

const BY_ERRNO = new Map<number, string>([
  [1022, 'already_exists'], // ER_DUP_KEY
  [1062, 'already_exists'], // ER_DUP_ENTRY
  [1586, 'already_exists'], // ER_DUP_ENTRY_WITH_KEY_NAME
  [1048, 'constraint_violation'], // ER_BAD_NULL_ERROR
  [1216, 'constraint_violation'], // ER_NO_REFERENCED_ROW
  [1217, 'constraint_violation'], // ER_ROW_IS_REFERENCED
  [1364, 'constraint_violation'], // ER_NO_DEFAULT_FOR_FIELD
  [1451, 'constraint_violation'], // ER_ROW_IS_REFERENCED_2
  [1452, 'constraint_violation'], // ER_NO_REFERENCED_ROW_2
  [3819, 'constraint_violation'], // ER_CHECK_CONSTRAINT_VIOLATED (MySQL)
  [1264, 'invalid_data'], // ER_WARN_DATA_OUT_OF_RANGE
  [1265, 'invalid_data'], // WARN_DATA_TRUNCATED
  [1292, 'invalid_data'], // ER_TRUNCATED_WRONG_VALUE
  [1366, 'invalid_data'], // ER_TRUNCATED_WRONG_VALUE_FOR_FIELD
  [1367, 'invalid_data'], // ER_ILLEGAL_VALUE_FOR_TYPE
  [1365, 'invalid_data'], // ER_DIVISION_BY_ZERO
  [1406, 'invalid_data'], // ER_DATA_TOO_LONG
  [1411, 'invalid_data'], // ER_WRONG_VALUE_FOR_TYPE
  [1690, 'invalid_data'], // ER_DATA_OUT_OF_RANGE
  [1020, 'transaction_conflict'], // ER_CHECKREAD: record changed since last read
  [1205, 'transaction_conflict'], // ER_LOCK_WAIT_TIMEOUT
  [1213, 'transaction_conflict'], // ER_LOCK_DEADLOCK
  [3572, 'transaction_conflict'], // ER_LOCK_NOWAIT
  [1969, 'operation_timeout'], // MariaDB ER_STATEMENT_TIMEOUT (max_statement_time)
  [3024, 'operation_timeout'], // MySQL ER_QUERY_TIMEOUT (max_execution_time)
  [1317, 'cancelled'], // ER_QUERY_INTERRUPTED (KILL QUERY)
  [1040, 'too_many_connections'], // ER_CON_COUNT_ERROR
  [1203, 'too_many_connections'], // ER_TOO_MANY_USER_CONNECTIONS
  [1226, 'resource_exhausted'], // ER_USER_LIMIT_REACHED
  [1037, 'resource_exhausted'], // ER_OUTOFMEMORY
  [1038, 'resource_exhausted'], // ER_OUT_OF_SORTMEMORY
  [1041, 'resource_exhausted'], // ER_OUT_OF_RESOURCES
  [1114, 'resource_exhausted'], // ER_RECORD_FILE_FULL
  [1021, 'resource_exhausted'], // ER_DISK_FULL (the server's disk)
  [1135, 'resource_exhausted'], // ER_CANT_CREATE_THREAD
  [1206, 'resource_exhausted'], // ER_LOCK_TABLE_FULL
  [1045, 'credentials_rejected'], // ER_ACCESS_DENIED_ERROR
  [1698, 'credentials_rejected'], // ER_ACCESS_DENIED_NO_PASSWORD_ERROR
  [1251, 'credentials_rejected'], // ER_NOT_SUPPORTED_AUTH_MODE
  [1044, 'configuration_error'], // ER_DBACCESS_DENIED_ERROR: this service's user lacks a grant
  [1142, 'configuration_error'], // ER_TABLEACCESS_DENIED_ERROR
  [1143, 'configuration_error'], // ER_COLUMNACCESS_DENIED_ERROR
  [1049, 'configuration_error'], // ER_BAD_DB_ERROR: the configured database does not exist
  [1046, 'invalid_query'], // ER_NO_DB_ERROR
  [1050, 'invalid_query'], // ER_TABLE_EXISTS_ERROR
  [1052, 'invalid_query'], // ER_NON_UNIQ_ERROR
  [1054, 'invalid_query'], // ER_BAD_FIELD_ERROR
  [1064, 'invalid_query'], // ER_PARSE_ERROR
  [1091, 'invalid_query'], // ER_CANT_DROP_FIELD_OR_KEY
  [1136, 'invalid_query'], // ER_WRONG_VALUE_COUNT_ON_ROW
  [1146, 'invalid_query'], // ER_NO_SUCH_TABLE
  [1149, 'invalid_query'], // ER_SYNTAX_ERROR
  [1305, 'invalid_query'], // ER_SP_DOES_NOT_EXIST
  [1210, 'invalid_query'], // ER_WRONG_ARGUMENTS
  [1053, 'dependency_unavailable'], // ER_SERVER_SHUTDOWN
  [1290, 'dependency_unavailable'], // ER_OPTION_PREVENTS_STATEMENT (--read-only: a replica)
  [1792, 'dependency_unavailable'], // ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION
  [1836, 'dependency_unavailable'], // ER_READ_ONLY_MODE
  [1152, 'connection_reset'], // ER_ABORTING_CONNECTION
  [1927, 'connection_reset'], // MariaDB ER_CONNECTION_KILLED
  [2006, 'connection_reset'], // CR_SERVER_GONE_ERROR
  [2013, 'connection_reset'], // CR_SERVER_LOST
  [2002, 'connection_failed'], // CR_CONNECTION_ERROR
  [2003, 'connection_failed'], // CR_CONN_HOST_ERROR
]);

/** Numbers MySQL and MariaDB use for different errors: decided by the SQLSTATE that comes with them. */
const BY_ERRNO_AND_STATE = new Map<string, string>([
  ['4025 23000', 'constraint_violation'], // MariaDB ER_CONSTRAINT_FAILED (CHECK)
]);

const BY_CLASS = new Map<string, string>([
  ['08', 'connection_reset'],
  ['22', 'invalid_data'],
  ['23', 'constraint_violation'],
  ['28', 'credentials_rejected'],
  ['40', 'transaction_conflict'],
  ['42', 'invalid_query'],
]);

/** Errors the clients raise themselves, by `code`. */
const CLIENT_CODES = new Map<string, string>([
  ['PROTOCOL_CONNECTION_LOST', 'connection_reset'],
  ['PROTOCOL_SEQUENCE_TIMEOUT', 'operation_timeout'], // mysql's per-query `timeout`
  ['PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR', 'connection_reset'],
  ['PROTOCOL_ENQUEUE_AFTER_QUIT', 'connection_reset'],
  ['PROTOCOL_ENQUEUE_AFTER_DESTROY', 'connection_reset'],
]);

/** MariaDB-only numbers (MySQL does not use 1900-1999): then the system is `mariadb`. */
function systemOf(errno: number): string {
  return errno >= 1900 && errno <= 1999 ? 'mariadb' : 'mysql';
}

function serverError(view: ThrownView, code: unknown): RuleMatch | undefined {
  const errno = view.get('errno');
  if (typeof errno !== 'number' || !Number.isInteger(errno) || errno < 1000 || errno > 65_535)
    return undefined;
  const state = view.get('sqlState');
  const sqlState = typeof state === 'string' && /^[0-9A-Z]{5}$/.test(state) ? state : undefined;
  // Without an ER_* name, only an errno together with a SQLSTATE says "MySQL".
  if (typeof code !== 'string' && sqlState === undefined) return undefined;
  const system = systemOf(errno);
  const status = String(errno);
  const mapped =
    BY_ERRNO.get(errno) ??
    (sqlState === undefined
      ? undefined
      : (BY_ERRNO_AND_STATE.get(`${errno} ${sqlState}`) ?? BY_CLASS.get(sqlState.slice(0, 2))));
  return mapped === undefined ? undefined : dbMatch(system, status, mapped);
}

export const mysqlRules: readonly BuiltInRule[] = [
  {
    id: 'mysql.errno',
    gate: (name, code) => code === 'string' || (code === 'undefined' && name === 'Error'),
    libraries: ['mysql2', 'mysql'],
    cases: [
      { matches: 'ER_DUP_ENTRY 1062, ER_DUP_KEY 1022, 1586', code: 'already_exists' },
      {
        matches:
          'ER_NO_REFERENCED_ROW_2 1452, ER_ROW_IS_REFERENCED_2 1451, ER_BAD_NULL_ERROR 1048, CHECK 3819 (MariaDB 4025 with SQLSTATE 23000), other SQLSTATE 23',
        code: 'constraint_violation',
      },
      {
        matches: 'ER_DATA_TOO_LONG 1406, out of range 1264/1690, wrong value 1292/1366, other SQLSTATE 22',
        code: 'invalid_data',
      },
      {
        matches:
          'ER_LOCK_DEADLOCK 1213, ER_LOCK_WAIT_TIMEOUT 1205, ER_LOCK_NOWAIT 3572, 1020, other SQLSTATE 40',
        code: 'transaction_conflict',
      },
      {
        matches: 'max_statement_time 1969 (MariaDB), ER_QUERY_TIMEOUT 3024 (MySQL)',
        code: 'operation_timeout',
      },
      { matches: 'ER_QUERY_INTERRUPTED 1317 (KILL QUERY)', code: 'cancelled' },
      { matches: 'ER_CON_COUNT_ERROR 1040, ER_TOO_MANY_USER_CONNECTIONS 1203', code: 'too_many_connections' },
      {
        matches: "out of memory 1037/1038/1041, disk or table full 1021/1114/1206, 1135, 1226 (the server's)",
        code: 'resource_exhausted',
      },
      { matches: 'ER_ACCESS_DENIED_ERROR 1045, 1698, 1251, other SQLSTATE 28', code: 'credentials_rejected' },
      { matches: 'ER_BAD_DB_ERROR 1049, missing grants 1044/1142/1143', code: 'configuration_error' },
      {
        matches:
          'ER_PARSE_ERROR 1064, ER_NO_SUCH_TABLE 1146, ER_BAD_FIELD_ERROR 1054, 1046/1050/1052/1091/1136/1149/1210/1305, other SQLSTATE 42',
        code: 'invalid_query',
      },
      {
        matches: 'ER_SERVER_SHUTDOWN 1053, read-only server 1290/1792/1836',
        code: 'dependency_unavailable',
      },
      {
        matches: 'server gone 2006/2013, connection killed 1152/1927, other SQLSTATE 08',
        code: 'connection_reset',
      },
      { matches: 'CR_CONNECTION_ERROR 2002, CR_CONN_HOST_ERROR 2003', code: 'connection_failed' },
    ],
    match(view) {
      const { code } = view;
      if (typeof code === 'string') {
        // ER_*, WARN_*, mysql's UNKNOWN_CODE_PLEASE_REPORT: a server error; anything else is not ours.
        if (!(code.startsWith('ER_') || code.startsWith('WARN_') || code === 'UNKNOWN_CODE_PLEASE_REPORT'))
          return undefined;
      } else if (code !== undefined || view.name !== 'Error') {
        // No ER_* name: only mysql2's plain Error for a number it cannot name (MariaDB's 19xx).
        return undefined;
      }
      return serverError(view, code);
    },
  },
  {
    id: 'mysql.client',
    gate: (_name, code) => code === 'string',
    libraries: ['mysql2', 'mysql'],
    cases: [
      {
        matches:
          'PROTOCOL_CONNECTION_LOST (server gone), PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR / _QUIT / _DESTROY',
        code: 'connection_reset',
      },
      { matches: "PROTOCOL_SEQUENCE_TIMEOUT (mysql's query timeout)", code: 'operation_timeout' },
    ],
    match(view) {
      const { code } = view;
      if (typeof code !== 'string' || !code.startsWith('PROTOCOL_')) return undefined;
      const mapped = CLIENT_CODES.get(code);
      return mapped === undefined ? undefined : dbMatch('mysql', code, mapped);
    },
  },
];
