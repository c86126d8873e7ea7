/** /readyz says whether Redis answers; /healthz only that the process does; closing works with Redis gone. */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import { startServer } from '../../src/server/start-server.ts';
import { hasRedisServer, startOwnRedis } from '../helpers/own-redis.ts';

describe.runIf(hasRedisServer())('readiness', () => {
  it('answers /readyz 503 while Redis is down and 200 again once it is back; close() returns either way', async () => {
    const redis = await startOwnRedis();
    const server = await startServer({
      config: parseConfig({ redis: { prefix: 'readyz' } }, {}),
      redisUrl: redis.url,
      logger: pino({ level: 'silent' }),
      host: '127.0.0.1',
      port: 0,
    });
    try {
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      await redis.kill();
      const down = await fetch(`${server.url}/readyz`);
      expect(down.status).toBe(503);
      expect(await down.json()).toEqual({ error: { type: 'unavailable', message: 'Redis does not answer' } });
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      await redis.restart();
      for (;;) {
        if ((await fetch(`${server.url}/readyz`)).status === 200) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await redis.kill();
    } finally {
      await server.close();
      await redis.close();
    }
  });
});
