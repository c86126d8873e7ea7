import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { errorEventLogger } from '../../src/log.ts';

/** A pino logger whose JSON lines land in `lines`. */
function collectingLogger(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines };
}

describe('errorEventLogger', () => {
  it('logs a burst of one error once, and a different error again', async () => {
    const { logger, lines } = collectingLogger();
    const onError = errorEventLogger(logger, 'redis connection');
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    for (let i = 0; i < 200; i += 1) onError(refused);
    onError(new Error('ERR unknown command'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.map((line) => [line.level, line.msg, line.source])).toEqual([
      [40, 'redis connection: connect ECONNREFUSED 127.0.0.1:1', 'redis connection'],
      [40, 'redis connection: ERR unknown command', 'redis connection'],
    ]);
  });

  it('logs connection errors at warn even for a source that logs at error', async () => {
    const { logger, lines } = collectingLogger();
    const onError = errorEventLogger(logger, 'worker', 'error');
    onError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    onError(new Error('Missing lock for job 7'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.map((line) => line.level)).toEqual([40, 50]);
  });
});
