import type { TestProject } from 'vitest/node';
import { redisAnswers } from '../../src/redis/connection.ts';
import { localRedisUrl, startEmbeddedRedis } from '../../src/redis/embedded.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

/**
 * The Redis every test uses: REDIS_URL, else a local redis-server on 127.0.0.1:6379, else one
 * started here from the redis-server binary, else a testcontainers Redis (laptops with Docker).
 * RELAYQ_TEST_IMAGE (e.g. `valkey/valkey:8-alpine`) runs the suite on a container of that image
 * whatever else answers (`npm run test:valkey`).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let stop = async () => {};
  const image = process.env.RELAYQ_TEST_IMAGE;
  if (image) {
    const started = await startTestcontainersRedis(image);
    project.provide('redisUrl', started.url);
    return started.stop;
  }
  let url = process.env.REDIS_URL;
  if (!url && (await redisAnswers(localRedisUrl, 500))) url = localRedisUrl;
  if (!url) {
    try {
      const embedded = await startEmbeddedRedis('.relayq/test-redis');
      url = embedded.url;
      stop = embedded.stop;
    } catch (embeddedError) {
      const started = await startTestcontainersRedis().catch((error: Error) => {
        throw new Error(
          `No Redis for the tests: REDIS_URL is unset, nothing answers on 127.0.0.1:6379, ` +
            `${(embeddedError as Error).message.split('\n')[0]}, and testcontainers failed: ${error.message}`,
        );
      });
      url = started.url;
      stop = started.stop;
    }
  }
  project.provide('redisUrl', url);
  return stop;
}

async function startTestcontainersRedis(image = 'redis:7-alpine'): Promise<{ url: string; stop: () => Promise<void> }> {
  // Optional: only laptops with a Docker engine install it (npm i -D @testcontainers/redis).
  const moduleName = '@testcontainers/redis';
  const { RedisContainer } = (await import(moduleName)) as {
    RedisContainer: new (image: string) => { start(): Promise<{ getConnectionUrl(): string; stop(): Promise<unknown> }> };
  };
  // Valkey's images keep redis-cli as a link to valkey-cli (the module's readiness probe).
  const container = await new RedisContainer(image).start();
  return { url: container.getConnectionUrl(), stop: async () => void (await container.stop()) };
}
