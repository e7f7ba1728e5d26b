// ORMs and query builders. Where one wraps the driver's error, the driver error decides (the
// postgres/mysql rules, through `view.inner`); the ORM's own class is the fallback. Knex throws
// the driver's error itself (the rules above take it as is); TypeORM's QueryFailedError copies
// the driver's fields onto itself and keeps it as `driverError`; Sequelize keeps it as
// `parent`/`original`; Drizzle's DrizzleQueryError as `cause`. Prisma has its own codes.
import { safeMessageOf } from './db.js';
import { type BuiltInRule, boundedNames, type RuleMatch, type ThrownView, WRAPPED } from './rule.js';

/** A match of an ORM's own class, with the safe message (the ORM's text may quote values), made once. */
function ormMatch(orm: string, code: string, retryable?: boolean): Readonly<RuleMatch> {
  const match: RuleMatch = { code, message: safeMessageOf(orm, undefined, code) };
  if (retryable !== undefined) match.retryable = retryable;
  return Object.freeze(match);
}

/** Prisma's P-codes (https://www.prisma.io/docs/orm/reference/error-reference). */
const PRISMA_CODES = new Map<string, string>([
  ['P1000', 'credentials_rejected'], // authentication failed against the database
  ['P1001', 'connection_failed'], // can't reach the database server
  ['P1002', 'connection_failed'], // the database server timed out (reached, did not answer)
  ['P1003', 'configuration_error'], // the database does not exist
  ['P1008', 'operation_timeout'],
  ['P1010', 'configuration_error'], // this user was denied access
  ['P1011', 'connection_failed'], // TLS connection error
  ['P1017', 'connection_reset'], // the server closed the connection
  ['P2000', 'invalid_data'], // value too long for the column
  ['P2005', 'invalid_data'],
  ['P2006', 'invalid_data'],
  ['P2007', 'invalid_data'],
  ['P2020', 'invalid_data'], // value out of range
  ['P2023', 'invalid_data'], // inconsistent column data
  ['P2001', 'not_found'],
  ['P2015', 'not_found'],
  ['P2018', 'not_found'],
  ['P2025', 'not_found'], // a record the operation depends on was not found
  ['P2002', 'already_exists'], // unique constraint failed
  ['P2003', 'constraint_violation'], // foreign key constraint failed
  ['P2004', 'constraint_violation'],
  ['P2011', 'constraint_violation'], // null constraint
  ['P2014', 'constraint_violation'], // required relation violated
  ['P2034', 'transaction_conflict'], // write conflict or deadlock: retry the transaction
  ['P2024', 'too_many_connections'], // timed out fetching a connection from the pool
  ['P2037', 'too_many_connections'], // too many database connections opened
  ['P2021', 'invalid_query'], // the table does not exist
  ['P2022', 'invalid_query'], // the column does not exist
  ['P2009', 'invalid_query'],
  ['P2012', 'invalid_query'],
  ['P2013', 'invalid_query'],
  ['P2016', 'invalid_query'],
  ['P2017', 'invalid_query'],
  ['P2019', 'invalid_query'],
  ['P2010', 'dependency_failed'], // raw query failed (the database's code is in meta)
]);

const PRISMA_CLASSES = new Map<string, Readonly<RuleMatch>>([
  ['PrismaClientValidationError', ormMatch('prisma', 'invalid_query')], // the query the code built is invalid: a bug
  ['PrismaClientUnknownRequestError', ormMatch('prisma', 'dependency_failed')],
  ['PrismaClientRustPanicError', ormMatch('prisma', 'dependency_failed', false)], // the engine must be restarted
  ['PrismaClientInitializationError', ormMatch('prisma', 'configuration_error')], // without an errorCode
]);

function prismaMatch(view: ThrownView): RuleMatch | undefined {
  const { name } = view;
  if (typeof name !== 'string' || !name.startsWith('PrismaClient')) return undefined;
  const raw = name === 'PrismaClientInitializationError' ? view.get('errorCode') : view.code;
  if (typeof raw === 'string') {
    const mapped = PRISMA_CODES.get(raw);
    if (mapped !== undefined) {
      const details: Record<string, string | readonly string[]> = { 'prisma.error_code': raw };
      if (raw === 'P2002') {
        // meta.target: the fields of the unique constraint (names, not values) or its index name.
        const target = (view.get('meta') as { target?: unknown } | undefined)?.target;
        if (Array.isArray(target)) details.fields = boundedNames(target);
      }
      return { code: mapped, message: safeMessageOf('prisma', raw, mapped), details };
    }
  }
  return PRISMA_CLASSES.get(name);
}

const SEQUELIZE_CLASSES = new Map<string, string>([
  ['SequelizeUniqueConstraintError', 'already_exists'],
  ['SequelizeForeignKeyConstraintError', 'constraint_violation'],
  ['SequelizeExclusionConstraintError', 'constraint_violation'],
  ['SequelizeValidationError', 'invalid_params'],
  ['SequelizeTimeoutError', 'operation_timeout'],
  ['SequelizeOptimisticLockError', 'transaction_conflict'],
  ['SequelizeEmptyResultError', 'not_found'],
  ['SequelizeConnectionRefusedError', 'connection_failed'],
  ['SequelizeHostNotReachableError', 'connection_failed'],
  ['SequelizeConnectionError', 'connection_failed'],
  ['SequelizeConnectionTimedOutError', 'network_timeout'],
  ['SequelizeHostNotFoundError', 'dns_failure'],
  ['SequelizeAccessDeniedError', 'credentials_rejected'],
  ['SequelizeInvalidConnectionError', 'configuration_error'],
  ['SequelizeConnectionAcquireTimeoutError', 'too_many_connections'],
  ['SequelizeEagerLoadingError', 'invalid_query'],
  ['SequelizeAssociationError', 'invalid_query'],
]);

/** The failing attributes of a Sequelize validation/unique error: `errors[].path` (names, never values). */
function sequelizeFields(view: ThrownView): string[] | undefined {
  const errors = view.get('errors');
  if (!Array.isArray(errors)) return undefined;
  const paths: unknown[] = [];
  for (let i = 0; i < errors.length && i < 100; i++)
    paths.push((errors[i] as { path?: unknown } | null)?.path);
  return boundedNames(paths);
}

function sequelizeMatch(view: ThrownView): RuleMatch | undefined {
  const { name } = view;
  if (typeof name !== 'string' || !name.startsWith('Sequelize')) return undefined;
  const inner = view.inner(view.get('parent') ?? view.get('original'));
  if (inner !== undefined) return inner;
  const mapped = SEQUELIZE_CLASSES.get(name);
  if (mapped === undefined) return undefined;
  if (mapped === 'invalid_params' || mapped === 'already_exists') {
    const fields = sequelizeFields(view);
    if (fields !== undefined && fields.length > 0)
      return { code: mapped, message: safeMessageOf('sequelize', undefined, mapped), details: { fields } };
  }
  return ormMatch('sequelize', mapped);
}

const TYPEORM_CLASSES = new Map<string, Readonly<RuleMatch>>([
  ['EntityNotFoundError', ormMatch('typeorm', 'not_found')],
  ['OptimisticLockVersionMismatchError', ormMatch('typeorm', 'transaction_conflict')],
  ['EntityPropertyNotFoundError', ormMatch('typeorm', 'invalid_query')],
]);

export const ormRules: readonly BuiltInRule[] = [
  {
    id: 'orm.prisma',
    gate: (name) => name?.startsWith('PrismaClient') === true,
    libraries: ['@prisma/client'],
    cases: [
      { matches: 'P2002 unique constraint (`fields` = meta.target)', code: 'already_exists' },
      { matches: 'P2025, P2001, P2015, P2018 record not found', code: 'not_found' },
      { matches: 'P2034 write conflict or deadlock', code: 'transaction_conflict' },
      { matches: 'P2003, P2004, P2011, P2014', code: 'constraint_violation' },
      { matches: 'P2000, P2005-P2007, P2020, P2023', code: 'invalid_data' },
      { matches: 'P2024 pool timeout, P2037', code: 'too_many_connections' },
      { matches: 'P1001, P1002, P1011 (server not reached / not answering)', code: 'connection_failed' },
      { matches: 'P1017 server closed the connection', code: 'connection_reset' },
      { matches: 'P1000 authentication failed', code: 'credentials_rejected' },
      {
        matches: 'P1003, P1010, PrismaClientInitializationError without a code',
        code: 'configuration_error',
      },
      { matches: 'P1008', code: 'operation_timeout' },
      {
        matches: 'P2021, P2022 missing table/column, other query errors; PrismaClientValidationError',
        code: 'invalid_query',
      },
      {
        matches: 'P2010, PrismaClientUnknownRequestError, PrismaClientRustPanicError (not retryable)',
        code: 'dependency_failed',
      },
    ],
    match: prismaMatch,
  },
  {
    id: 'orm.sequelize',
    gate: (name) => name?.startsWith('Sequelize') === true,
    libraries: ['sequelize'],
    cases: [
      { matches: 'any Sequelize error with a driver error in `parent`/`original`', code: WRAPPED },
      { matches: 'UniqueConstraintError (`fields` = the attributes)', code: 'already_exists' },
      { matches: 'ForeignKeyConstraintError, ExclusionConstraintError', code: 'constraint_violation' },
      { matches: 'ValidationError (`fields` = errors[].path)', code: 'invalid_params' },
      { matches: 'TimeoutError', code: 'operation_timeout' },
      { matches: 'OptimisticLockError', code: 'transaction_conflict' },
      { matches: 'EmptyResultError', code: 'not_found' },
      {
        matches: 'ConnectionRefusedError, HostNotReachableError, ConnectionError',
        code: 'connection_failed',
      },
      { matches: 'ConnectionTimedOutError', code: 'network_timeout' },
      { matches: 'HostNotFoundError', code: 'dns_failure' },
      { matches: 'AccessDeniedError', code: 'credentials_rejected' },
      { matches: 'InvalidConnectionError', code: 'configuration_error' },
      { matches: 'ConnectionAcquireTimeoutError', code: 'too_many_connections' },
      { matches: 'EagerLoadingError, AssociationError', code: 'invalid_query' },
    ],
    match: sequelizeMatch,
  },
  {
    id: 'orm.typeorm',
    gate: (name) => name === 'QueryFailedError' || (name !== undefined && TYPEORM_CLASSES.has(name)),
    libraries: ['typeorm'],
    cases: [
      { matches: 'QueryFailedError: its `driverError`', code: WRAPPED },
      { matches: 'EntityNotFoundError', code: 'not_found' },
      { matches: 'OptimisticLockVersionMismatchError', code: 'transaction_conflict' },
      { matches: 'EntityPropertyNotFoundError', code: 'invalid_query' },
    ],
    match(view) {
      const { name } = view;
      if (name === 'QueryFailedError') return view.inner(view.get('driverError'));
      return typeof name === 'string' ? TYPEORM_CLASSES.get(name) : undefined;
    },
  },
  {
    id: 'orm.drizzle',
    gate: (name) => name === 'Error',
    libraries: ['drizzle-orm'],
    cases: [
      {
        matches: 'DrizzleQueryError (name Error, with `query`, `params`): its `cause` (the driver error)',
        code: WRAPPED,
      },
    ],
    match(view) {
      // DrizzleQueryError keeps Error's name: known by its `query` and `params` beside a cause.
      const { cause } = view;
      if (cause === undefined || cause === null || view.name !== 'Error') return undefined;
      if (typeof view.get('query') !== 'string' || !Array.isArray(view.get('params'))) return undefined;
      return view.inner(cause);
    },
  },
];
