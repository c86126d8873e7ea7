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
        paths: ['apiKey', 'authToken', '*.apiKey', '*.authToken', 'accounts[*].apiKey', 'accounts[*].authToken', 'headers["x-api-key"]', 'headers.authorization', 'proxy', '*.proxy'],
        censor: '[redacted]',
      },
    },
    pino.destination(2),
  );
}
