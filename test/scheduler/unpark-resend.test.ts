/**
 * A connection that drops after Redis ran a command but before its answer arrived (Redis killed
 * or restarted at that moment): ioredis sends the command again once it reconnects. Taking
 * parked prompts must survive that: the second run answers what the first one took, instead of
 * taking the next prompts and leaving the first ones out of every parked set (they would wait
 * for their fallback delay, a minute to hours, before running).
 */
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis } from '../../src/redis/connection.ts';
import { createKeys } from '../../src/redis/keys.ts';
import { parkJob, unparkJobs } from '../../src/scheduler/parking.ts';
import { dropPrefix, testPrefix, testRedis, testRedisUrl } from '../helpers/redis.ts';

/** A TCP relay to the test Redis that can drop the next answer and cut the connection. */
async function startCuttingRelay(target: URL): Promise<{ port: number; dropNextAnswer(): void; close(): Promise<void> }> {
  let armed = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: target.hostname, port: Number(target.port || 6379) });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      socket.on('error', () => {});
    }
    const cut = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', cut);
    upstream.on('close', cut);
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk) => {
      if (armed) {
        armed = false;
        cut();
        return;
      }
      client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    dropNextAnswer: () => {
      armed = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('taking parked prompts when the answer is lost and ioredis sends the command again', () => {
  const prefix = testPrefix('unpark');
  const keys = createKeys(prefix);
  const pool = { key: 'anthropic:acct', description: { provider: 'anthropic' as const, accounts: [['acct', 0]] as [string, number][] } };
  let redis: Redis;
  let relay: Awaited<ReturnType<typeof startCuttingRelay>>;
  let cut: Redis;

  beforeAll(async () => {
    redis = testRedis();
    relay = await startCuttingRelay(new URL(testRedisUrl()));
    cut = createRedis(`redis://127.0.0.1:${relay.port}`, { retryStrategy: () => 20 });
    cut.on('error', () => {});
  });

  afterAll(async () => {
    cut.disconnect();
    await relay.close();
    await dropPrefix(redis, prefix);
    redis.disconnect();
  });

  it('answers the prompts the first run took; none leaves the parked set unpromoted', async () => {
    for (const id of ['j1', 'j2', 'j3', 'j4']) await parkJob(redis, keys, pool, { id, batchId: 'b', priority: 0 });
    await unparkJobs(cut, keys, pool.key, 0); // loads the script on the connection
    relay.dropNextAnswer();
    const taken = await unparkJobs(cut, keys, pool.key, 2);
    expect(taken.jobIds).toEqual(['j1', 'j2']);
    expect(await redis.zrange(keys.schedParked(pool.key), 0, -1)).toEqual(['b|j3', 'b|j4']);
    // The next call takes the next ones.
    expect((await unparkJobs(cut, keys, pool.key, 2)).jobIds).toEqual(['j3', 'j4']);
  });
});
