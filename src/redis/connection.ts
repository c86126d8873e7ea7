import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { errorEventLogger, type Logger } from '../log.ts';

/**
 * A Redis connection for relayq and BullMQ. `maxRetriesPerRequest: null` is what BullMQ
 * workers require: commands wait for a reconnect instead of failing after a few retries, so a
 * Redis restart pauses work rather than losing it. Given a logger, its connection errors (an
 * outage: ECONNREFUSED many times a second) are logged as rate-limited JSON lines; without one,
 * ioredis prints them raw on stderr.
 *
 * A `redis+cluster://` URL (clusterUrl) opens an ioredis Cluster client instead: it follows
 * MOVED and ASK redirections and retries TRYAGAIN and CLUSTERDOWN, so a slot that migrates while
 * a batch runs only delays the commands on it. It is typed as the single-node client because
 * every command relayq sends names its keys (the cluster client routes it to the slot's node)
 * and every script and pipeline keeps to one hash tag (src/redis/keys.ts); relayq sends no
 * keyless command that would reach only one node of many.
 */
export function createRedis(url: string, options: RedisOptions = {}, logger?: Logger): Redis {
  const shared: RedisOptions = {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: (times) => Math.min(times * 200, 5_000),
    ...options,
  };
  const seeds = parseClusterUrl(url);
  const redis =
    seeds === null
      ? new Redis(url, shared)
      : (new Cluster(seeds.nodes, {
          redisOptions: { ...shared, ...seeds.auth },
          clusterRetryStrategy: (times) => Math.min(times * 200, 5_000),
          // Reads from masters only: a result just written must be read back.
          scaleReads: 'master',
          enableReadyCheck: true,
          // A migrating slot answers TRYAGAIN to a multi-key command until its keys are together again.
          retryDelayOnTryAgain: 100,
          retryDelayOnClusterDown: 200,
          maxRedirections: 64,
        }) as unknown as Redis);
  if (logger) redis.on('error', errorEventLogger(logger, 'redis connection'));
  return redis;
}

/** The seed nodes and credentials of a `redis+cluster://` (or `rediss+cluster://`) URL; null for any other URL. */
export interface ClusterSeeds {
  nodes: { host: string; port: number }[];
  auth: Pick<RedisOptions, 'username' | 'password' | 'tls'>;
}

const clusterScheme = /^(rediss?)\+cluster:\/\//;

/** Whether `url` names a Redis Cluster (`redis+cluster://host:port,host:port`). */
export function isClusterUrl(url: string): boolean {
  return clusterScheme.test(url);
}

/**
 * `redis+cluster://[user:password@]host:port[,host:port...]` (`rediss+cluster://` for TLS) as
 * seed nodes; any node of the cluster will do as a seed, the client discovers the rest.
 */
export function parseClusterUrl(url: string): ClusterSeeds | null {
  const scheme = clusterScheme.exec(url);
  if (scheme === null) return null;
  const rest = url.slice(scheme[0].length).replace(/\/+$/, '');
  const at = rest.lastIndexOf('@');
  const credentials = at >= 0 ? rest.slice(0, at) : '';
  const hosts = (at >= 0 ? rest.slice(at + 1) : rest).split(',').filter((host) => host.length > 0);
  if (hosts.length === 0) throw new Error(`${redactRedisUrl(url)} names no cluster node (redis+cluster://host:port,host:port)`);
  const nodes = hosts.map((host) => {
    // Each seed parsed as a URL of its own, so [::1]:7000 and a missing port read as they do in redis:// URLs.
    const parsed = new URL(`redis://${host}`);
    if (parsed.pathname !== '' && parsed.pathname !== '/') throw new Error(`cluster node "${host}" in ${redactRedisUrl(url)} has a path`);
    return { host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(parsed.port || 6379) };
  });
  const colon = credentials.indexOf(':');
  const username = decodeURIComponent(colon >= 0 ? credentials.slice(0, colon) : '');
  const password = decodeURIComponent(colon >= 0 ? credentials.slice(colon + 1) : credentials);
  return {
    nodes,
    auth: {
      ...(username ? { username } : {}),
      ...(password ? { password } : {}),
      ...(scheme[1] === 'rediss' ? { tls: {} } : {}),
    },
  };
}

/** A `redis+cluster://` URL from seed node URLs (`redis://[user:password@]host:port` each; credentials and TLS from the first). */
export function clusterUrl(seeds: readonly string[]): string {
  const first = new URL(seeds[0] as string);
  const auth = first.username || first.password ? `${first.username}${first.password ? `:${first.password}` : ''}@` : '';
  const hosts = seeds.map((seed) => new URL(seed).host);
  return `${first.protocol === 'rediss:' ? 'rediss' : 'redis'}+cluster://${auth}${hosts.join(',')}`;
}

/** What a probe of a Redis found: it answers, it refuses our credentials, or nothing answers. */
/** `cluster`: the node answering is a Redis Cluster node, to be reached through a cluster client. */
export type RedisProbe =
  | { state: 'answers'; cluster?: boolean }
  | { state: 'auth-refused'; reply: string }
  | { state: 'unreachable'; reason: string };

/** Redis replies that mean the password (or user) is wrong or missing. */
const authReply = /^(NOAUTH|WRONGPASS|ERR invalid password|ERR (AUTH|Client sent AUTH))/;

/**
 * Probes a Redis at `url` with one PING, within `timeoutMs`. A cluster URL probes its seeds
 * until one answers, then asks it for the cluster's state: a cluster that lost a slot's every
 * node (`cluster_state:fail`) does not answer for relayq's keys.
 */
export async function probeRedis(url: string, timeoutMs = 1_000): Promise<RedisProbe> {
  const seeds = parseClusterUrl(url);
  if (seeds !== null) return probeCluster(seeds, timeoutMs);
  return probeNode(url, timeoutMs, false);
}

async function probeCluster(seeds: ClusterSeeds, timeoutMs: number): Promise<RedisProbe> {
  const reasons: string[] = [];
  for (const node of seeds.nodes) {
    const url = new URL('redis://');
    url.hostname = node.host.includes(':') ? `[${node.host}]` : node.host;
    url.port = String(node.port);
    if (seeds.auth.username) url.username = encodeURIComponent(seeds.auth.username);
    if (seeds.auth.password) url.password = encodeURIComponent(seeds.auth.password);
    const target = seeds.auth.tls ? url.toString().replace(/^redis:/, 'rediss:') : url.toString();
    const probe = await probeNode(target, timeoutMs, true);
    if (probe.state !== 'unreachable') return probe;
    reasons.push(`${url.host}: ${probe.reason}`);
  }
  return { state: 'unreachable', reason: reasons.join('; ') };
}

async function probeNode(url: string, timeoutMs: number, cluster: boolean): Promise<RedisProbe> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    // Our own timer instead of ioredis' connectTimeout: that one's socket timer outlives a
    // refused connection and keeps the process alive for the whole timeout.
    connectTimeout: 0,
    enableOfflineQueue: false,
  });
  let lastError: Error | undefined;
  let timedOut = false;
  client.on('error', (error: Error) => (lastError = error));
  // disconnect() on a connection that already ended arms a 2 s timer that nothing clears.
  const disconnect = () => {
    if (client.status !== 'end') client.disconnect();
  };
  const timer = setTimeout(() => {
    timedOut = true;
    disconnect();
  }, timeoutMs);
  try {
    await client.connect();
    if ((await client.ping()) !== 'PONG') return { state: 'unreachable', reason: 'it does not answer PING' };
    if (!cluster) {
      // A cluster node behind a redis:// URL would answer MOVED for most keys: say so, the caller then uses a cluster client.
      const enabled = /cluster_enabled:1/.test(await client.info('cluster'));
      return enabled ? { state: 'answers', cluster: true } : { state: 'answers' };
    }
    const info = String(await client.call('CLUSTER', 'INFO'));
    const state = /cluster_state:(\w+)/.exec(info)?.[1];
    return state === 'ok' ? { state: 'answers' } : { state: 'unreachable', reason: `the cluster's state is ${state ?? 'unknown'}` };
  } catch (caught) {
    // The 'error' event carries the cause (ECONNREFUSED, WRONGPASS); the rejection often only "Connection is closed."
    if (timedOut) return { state: 'unreachable', reason: `no answer in ${timeoutMs} ms` };
    const error = (lastError ?? caught) as NodeJS.ErrnoException;
    const message = error?.message ?? String(error);
    if (authReply.test(message)) return { state: 'auth-refused', reply: message.split('\n')[0] as string };
    if (/cluster support disabled/.test(message))
      return { state: 'unreachable', reason: 'it is not a Redis Cluster node; a single Redis takes a redis:// URL' };
    return { state: 'unreachable', reason: error?.code ?? message };
  } finally {
    clearTimeout(timer);
    disconnect();
  }
}

/** Answers whether a Redis at `url` replies to PING within `timeoutMs`. */
export async function redisAnswers(url: string, timeoutMs = 1_000): Promise<boolean> {
  return (await probeRedis(url, timeoutMs)).state === 'answers';
}

/** `redis://127.0.0.1:6379` with any password replaced, for messages and logs. */
export function redactRedisUrl(url: string): string {
  const cluster = clusterScheme.exec(url);
  if (cluster !== null) {
    const rest = url.slice(cluster[0].length);
    const at = rest.lastIndexOf('@');
    if (at < 0) return url;
    const credentials = rest.slice(0, at);
    const colon = credentials.indexOf(':');
    return colon < 0 ? `${cluster[0]}***@${rest.slice(at + 1)}` : `${cluster[0]}${credentials.slice(0, colon)}:***@${rest.slice(at + 1)}`;
  }
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}
