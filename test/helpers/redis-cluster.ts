/**
 * A Redis Cluster for the tests and benches (three masters unless asked otherwise), started from
 * the installed redis-server and redis-cli (no Docker): each node on a free port of 127.0.0.1
 * with its data in a temporary directory, joined with `redis-cli --cluster create` (which wants
 * three masters at least; a single master is given every slot itself). For the tests,
 * RELAYQ_TEST_CLUSTER (a `redis+cluster://` URL) names one already running instead; its keys
 * are the tests' own.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort } from '../../src/lib/free-port.ts';
import { parseClusterUrl } from '../../src/redis/connection.ts';

const run = promisify(execFile);

/** Hash slots of a Redis Cluster: 0 to 16383. */
const slotCount = 16_384;

export interface ClusterNode {
  id: string;
  port: number;
  /** The slot ranges this master serves, first and last slot of each. */
  slots: [number, number][];
}

export interface TestCluster {
  /** `redis+cluster://127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3` */
  url: string;
  ports: number[];
  /** The masters and the slots each serves now. */
  masters(): Promise<ClusterNode[]>;
  /** The master serving `slot` now. */
  ownerOf(slot: number): Promise<ClusterNode>;
  /** The hash slot of a key (CLUSTER KEYSLOT). */
  slotOf(key: string): Promise<number>;
  stop(): Promise<void>;
}

/** Why a cluster cannot be started here (no redis-server or redis-cli), or null. */
export function clusterUnavailable(): string | null {
  if (process.env.RELAYQ_TEST_CLUSTER) return null;
  for (const binary of ['redis-server', 'redis-cli']) {
    if (spawnSync(binary, ['--version']).error) return `no ${binary} binary to start a Redis Cluster with`;
  }
  return null;
}

export interface ClusterOptions {
  /** Masters, without replicas: 1, or 3 and more (3 when left out). */
  masters?: number;
}

/**
 * The cluster named by RELAYQ_TEST_CLUSTER when it is set (whatever its masters), else one
 * started here (startRedisCluster).
 */
export async function startTestCluster(options: ClusterOptions = {}): Promise<TestCluster> {
  const given = process.env.RELAYQ_TEST_CLUSTER;
  if (given) {
    const seeds = parseClusterUrl(given);
    if (seeds === null) throw new Error(`RELAYQ_TEST_CLUSTER must be a redis+cluster:// URL, not ${given}`);
    return clusterOf(
      given,
      seeds.nodes.map((node) => node.port),
      async () => {},
    );
  }
  return startRedisCluster(options);
}

/** A cluster of `masters` redis-server processes of its own; `stop()` ends them and removes their data. */
export async function startRedisCluster({ masters = 3 }: ClusterOptions = {}): Promise<TestCluster> {
  if (!Number.isInteger(masters) || masters < 1 || masters === 2) {
    throw new Error(`a cluster here has 1 master or 3 and more, not ${masters}`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'relayq-cluster-'));
  const ports: number[] = [];
  for (let n = 0; n < masters; n += 1) ports.push(await freePort());
  const children: ChildProcess[] = ports.map((port) =>
    spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(dir, `nodes-${port}.conf`),
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'no',
        '--cluster-node-timeout',
        '5000',
        // A node learns its own address from a peer's MEET; a lone master would announce none (an empty host in CLUSTER SLOTS).
        '--cluster-announce-ip',
        '127.0.0.1',
      ],
      { stdio: 'ignore' },
    ),
  );
  const stop = async (): Promise<void> => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) await untilAnswers(port);
    if (masters === 1) await addAllSlots(ports[0] as number);
    else {
      await run('redis-cli', [
        '--cluster',
        'create',
        ...ports.map((port) => `127.0.0.1:${port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ]);
    }
    for (const port of ports) await untilClusterOk(port);
  } catch (error) {
    await stop();
    throw error;
  }
  return clusterOf(`redis+cluster://${ports.map((port) => `127.0.0.1:${port}`).join(',')}`, ports, stop);
}

function clusterOf(url: string, ports: number[], stop: () => Promise<void>): TestCluster {
  const node = (port: number) => new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1 });
  const masters = async (): Promise<ClusterNode[]> => {
    const client = node(ports[0] as number);
    try {
      const text = String(await client.call('CLUSTER', 'NODES'));
      return text
        .trim()
        .split('\n')
        .map((line) => line.split(' '))
        .filter((fields) => (fields[2] ?? '').includes('master'))
        .map((fields) => ({
          id: fields[0] as string,
          port: Number((fields[1] as string).split('@')[0]?.split(':').pop()),
          slots: fields
            .slice(8)
            .filter((range) => !range.startsWith('['))
            .map((range) => {
              const [from, to] = range.split('-').map(Number);
              return [from as number, (to ?? from) as number] as [number, number];
            }),
        }));
    } finally {
      client.disconnect();
    }
  };
  return {
    url,
    ports,
    masters,
    async ownerOf(slot) {
      const owner = (await masters()).find((master) => master.slots.some(([from, to]) => slot >= from && slot <= to));
      if (owner === undefined) throw new Error(`no master serves slot ${slot}`);
      return owner;
    },
    async slotOf(key) {
      const client = node(ports[0] as number);
      try {
        return Number(await client.call('CLUSTER', 'KEYSLOT', key));
      } finally {
        client.disconnect();
      }
    },
    stop,
  };
}

/** Gives one node every slot (CLUSTER ADDSLOTS, which Redis before 7 knows too, unlike ADDSLOTSRANGE). */
async function addAllSlots(port: number): Promise<void> {
  const client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1 });
  try {
    await client.call('CLUSTER', 'ADDSLOTS', ...Array.from({ length: slotCount }, (_, slot) => String(slot)));
  } finally {
    client.disconnect();
  }
}

async function untilAnswers(port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const result = spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' });
    if (result.stdout?.trim() === 'PONG') return;
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer in 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function untilClusterOk(port: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const result = spawnSync('redis-cli', ['-p', String(port), 'cluster', 'info'], { encoding: 'utf8' });
    if (/cluster_state:ok/.test(result.stdout ?? '')) return;
    if (Date.now() > deadline) throw new Error(`the cluster node on port ${port} was not ok in 15 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Moves the first `count` slots of `from` to `to` with `redis-cli --cluster reshard`. */
export async function reshard(from: ClusterNode, to: ClusterNode, count = 1): Promise<void> {
  await run('redis-cli', [
    '--cluster',
    'reshard',
    `127.0.0.1:${from.port}`,
    '--cluster-from',
    from.id,
    '--cluster-to',
    to.id,
    '--cluster-slots',
    String(count),
    '--cluster-yes',
  ]);
}
