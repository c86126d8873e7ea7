import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * relayq's logger: JSON lines on stderr (stdout is kept for what scripts read: batch ids,
 * results), with secrets redacted wherever they appear in logged objects.
 */
export function createLogger(level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      redact: {
        paths: [
          'apiKey',
          'authToken',
          '*.apiKey',
          '*.authToken',
          'accounts[*].apiKey',
          'accounts[*].authToken',
          'headers["x-api-key"]',
          'headers.authorization',
          'proxy',
          '*.proxy',
          'secret',
          '*.secret',
          'secrets',
          '*.secrets',
          'headers["webhook-signature"]',
        ],
        censor: '[redacted]',
      },
    },
    pino.destination(2),
  );
}

/** Errors that mean Redis (or the network to it) is away for now: an outage, logged at warn. */
const connectionErrorCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

function isConnectionError(error: Error): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return (code !== undefined && connectionErrorCodes.has(code)) || /^Connection is closed|^Stream isn't writeable/.test(error.message);
}

/** How long the same error of one source is counted instead of logged again. */
const repeatWindowMs = 10_000;

/**
 * A listener for `error` events (ioredis connections, BullMQ queues and workers) that logs them
 * as JSON lines through `logger` instead of the raw text those libraries print when nobody
 * listens. During an outage the same error comes many times a second: each distinct error is
 * logged once per 10 s, with the count of the repeats left out since. Connection errors log at
 * warn whatever `level` says: the connection comes back by itself.
 */
export function errorEventLogger(logger: Logger, source: string, level: 'warn' | 'error' = 'warn'): (error: Error) => void {
  const seen = new Map<string, { at: number; repeats: number }>();
  return (error) => {
    const key = `${(error as NodeJS.ErrnoException).code ?? ''}|${error.message}`;
    const now = Date.now();
    const last = seen.get(key);
    if (last && now - last.at < repeatWindowMs) {
      last.repeats += 1;
      return;
    }
    if (seen.size > 100) seen.clear();
    seen.set(key, { at: now, repeats: 0 });
    logger[isConnectionError(error) ? 'warn' : level]({ err: error, source, repeats: last?.repeats ?? 0 }, `${source}: ${error.message}`);
  };
}
