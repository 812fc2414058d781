import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Secrets must never reach the log (brief, non-negotiable 4). Request bodies are not logged at
 * all; these paths catch the places where a token or password could still slip in.
 */
const redactedPaths = [
  'password',
  'secret',
  'client_secret',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'code',
  'authorization',
  '*.password',
  '*.secret',
  '*.client_secret',
  '*.token',
  '*.access_token',
  '*.refresh_token',
  '*.code',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers.api_key',
  // Literal paths under the error keys give each its own redactor, so `censor` sees the key name
  // (under a leading `*` pino passes a symbol instead) and can keep error codes visible.
  'err.sql',
  'error.sql',
];

/** Keys errors are logged under; their `code` is an error code (EADDRINUSE, a SQLSTATE), never an OAuth code. */
const ERROR_KEYS = new Set(['err', 'error']);

function censor(value: unknown, path: string[]): unknown {
  if (path.length === 2 && ERROR_KEYS.has(path[0]!) && path[1] === 'code') return value;
  return '[redacted]';
}

/** Fields of an error that identify it without carrying request data. */
const SAFE_ERROR_FIELDS = ['code', 'errno', 'syscall', 'sqlState', 'severity', 'routine', 'constraint', 'table', 'column', 'status', 'statusCode', 'expose'];

/**
 * Database errors quote the statement: knex prefixes the message with the SQL and its bound
 * values inlined, MikroORM appends PostgreSQL's `detail` ("Key (email)=(…) already exists"), and
 * PostgreSQL's own message may quote the offending value. JSON.parse's SyntaxError quotes the text
 * it failed on. Their messages are dropped; the code, constraint and stack frames remain.
 */
function messageQuotesInput(error: Record<string, unknown>): boolean {
  return (
    error instanceof SyntaxError ||
    'sql' in error ||
    'sqlState' in error ||
    'severity' in error ||
    'routine' in error ||
    (typeof error.name === 'string' && error.name.endsWith('Exception'))
  );
}

/**
 * The one way errors reach the log: an allow-list of identifying fields, never `sql`, `params`,
 * `bindings`, `body`, `detail` or headers that libraries attach (pino's standard serializer copies
 * every enumerable property).
 */
export function serializeError(value: unknown, depth = 0): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const error = value as Record<string, unknown>;
  const type = (value as Error).constructor?.name ?? 'Error';
  const message = messageQuotesInput(error) ? '[omitted: may quote request data]' : String(error.message ?? '');
  const frames =
    typeof error.stack === 'string'
      ? error.stack
          .split('\n')
          .filter((line) => /^\s+at /.test(line))
          .slice(0, 20)
      : [];
  const serialized: Record<string, unknown> = { type, message, stack: [`${type}: ${message}`, ...frames].join('\n') };
  for (const field of SAFE_ERROR_FIELDS) {
    const fieldValue = error[field];
    if (typeof fieldValue === 'string' || typeof fieldValue === 'number' || typeof fieldValue === 'boolean') serialized[field] = fieldValue;
  }
  if (depth < 3 && error.cause !== undefined) serialized.cause = serializeError(error.cause, depth + 1);
  if (depth < 3 && Array.isArray(error.errors)) serialized.errors = error.errors.slice(0, 5).map((each) => serializeError(each, depth + 1));
  return serialized;
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'gatehouse' },
    serializers: { err: serializeError, error: serializeError },
    redact: { paths: redactedPaths, censor },
  };
  // A destination other than stdout lets tests read what was logged. Stdout is written
  // asynchronously: a synchronous write per access-log line was one system call per request on the
  // hot paths (bench/ profiles). pino flushes what is buffered when the process exits.
  return pino(options, destination ?? pino.destination({ dest: 1, sync: false }));
}

const accessLoggers = new WeakMap<Logger, Logger>();

/**
 * The access log's logger: the same level and destination, without redaction. Redaction copies
 * every object it logs (about 15 kB of garbage per line, a tenth of a token request's
 * allocations), and an access-log line has only fixed fields that cannot carry a secret: request
 * id, method, route template (never the path), status and duration (src/app.ts).
 */
export function accessLogger(logger: Logger): Logger {
  let found = accessLoggers.get(logger);
  if (!found) {
    found = pino({ level: logger.level, base: { service: 'gatehouse' } }, (logger as unknown as Record<symbol, DestinationStream>)[pino.symbols.streamSym]);
    accessLoggers.set(logger, found);
  }
  return found;
}

/** The first characters of a token are enough to correlate log lines without making it usable. */
export function tokenFingerprint(token: string): string {
  return token.length <= 8 ? '[short]' : `${token.slice(0, 6)}…`;
}
