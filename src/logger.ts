import { pino, type Logger } from 'pino';

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
];

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'gatehouse' },
    redact: { paths: redactedPaths, censor: '[redacted]' },
  });
}

/** The first characters of a token are enough to correlate log lines without making it usable. */
export function tokenFingerprint(token: string): string {
  return token.length <= 8 ? '[short]' : `${token.slice(0, 6)}…`;
}
