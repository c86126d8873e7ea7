/**
 * What the dashboard costs a running batch: the same batch run with no browser and with 10
 * headless chromium tabs open on its page (each polling `/live/batches/<id>` every 2 s), rounds
 * alternated A/B to cancel machine noise, median of each. The simulator (20 ms latency), one
 * `relayq server` and two `relayq worker` processes (concurrency 64) of the built package, each
 * in its own process. Prints prompts/s (first to last result) and Redis commands/s (INFO stats)
 * of each (and, Linux only, the server's and the machine's CPU use), and the ratio against the
 * bound: prompts/s with 10 tabs at least 0.95 of without.
 *
 * A dashboard's tabs run in its viewers' browsers, not on the machines that run relayq. So on
 * Linux with two cores or more the bench keeps them apart (`taskset`): chromium on the last core,
 * Redis, the simulator, the server and the workers on the others, in both runs alike. What the
 * ratio then measures is what the tabs cost relayq (the server's rendering, its Redis reads), not
 * a browser competing with the workers for the same cores. `--shared-cpus` runs everything on
 * every core instead.
 * `npm run bench -- dashboard [--prompts 50000] [--rounds 4] [--shared-cpus]`. Needs /usr/bin/chromium (or
 * RELAYQ_CHROMIUM). Redis from REDIS_URL or a local one, under a key prefix of its own, deleted
 * afterwards.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { type Browser, chromium, type Page } from 'playwright-core';
import { stringify } from 'yaml';
import { freePort } from '../src/lib/free-port.ts';
import { createKeys } from '../src/redis/keys.ts';
import { argValue, benchRedis, rate, startSimulatorProcess, table } from './support.ts';

const chromiumPath = process.env.RELAYQ_CHROMIUM ?? '/usr/bin/chromium';
const tabs = 10;
const workers = 2;
const bound = 0.95;

interface Run {
  promptsPerSecond: number;
  commandsPerSecond: number;
  seconds: number;
  /** Share of one core the server process used, and of their cores relayq's and the browser's CPUs were busy. */
  serverCpu: number;
  systemCpu: number;
  browserCpu: number;
}

/** Pins a process, all its threads, to the given CPUs (`taskset` list syntax); its previous list, or null. */
function pin(pid: number, cpuList: string): string | null {
  const before = spawnSync('taskset', ['-p', '-c', String(pid)], { encoding: 'utf8' });
  const done = spawnSync('taskset', ['-a', '-p', '-c', cpuList, String(pid)], { encoding: 'utf8' });
  if (done.status !== 0) throw new Error(`taskset -a -p -c ${cpuList} ${pid}: ${done.stderr || done.error?.message}`);
  return /list:\s*(\S+)/.exec(before.stdout)?.[1] ?? null;
}

/** CPU seconds of one process (Linux /proc; NaN elsewhere). */
function processCpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

interface Jiffies {
  busy: number;
  total: number;
}

/** Busy and total jiffies of the given CPUs, or of the whole machine (Linux /proc; NaN elsewhere). */
function jiffies(cpuNumbers?: number[]): Jiffies {
  try {
    const lines = readFileSync('/proc/stat', 'utf8').split('\n');
    const wanted = cpuNumbers === undefined ? ['cpu'] : cpuNumbers.map((n) => `cpu${n}`);
    const sum = { busy: 0, total: 0 };
    for (const line of lines) {
      const [name, ...fields] = line.trim().split(/\s+/);
      if (!wanted.includes(name!)) continue;
      const values = fields.map(Number);
      const total = values.reduce((acc, value) => acc + value, 0);
      sum.busy += total - values[3]! - values[4]!;
      sum.total += total;
    }
    return sum.total > 0 ? sum : { busy: Number.NaN, total: Number.NaN };
  } catch {
    return { busy: Number.NaN, total: Number.NaN };
  }
}

const share = (from: Jiffies, to: Jiffies) => (to.busy - from.busy) / (to.total - from.total);

async function commandsProcessed(redis: Redis): Promise<number> {
  return Number(/total_commands_processed:(\d+)/.exec(await redis.info('stats'))?.[1] ?? Number.NaN);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

export default async function dashboardBench(args: string[]): Promise<void> {
  if (!existsSync(chromiumPath)) {
    console.log(`dashboard bench skipped: no chromium at ${chromiumPath} (set RELAYQ_CHROMIUM, or apt-get install chromium)`);
    return;
  }
  const prompts = argValue(args, '--prompts', 50_000);
  const rounds = argValue(args, '--rounds', 4);
  if (!existsSync('dist/cli.js')) {
    const built = spawnSync(process.execPath, ['scripts/build.js'], { stdio: 'inherit' });
    if (built.status !== 0) throw new Error('npm run build failed');
  }
  const resolved = await benchRedis();
  const redis = new Redis(resolved.url);
  const dir = mkdtempSync(join(tmpdir(), 'relayq-bench-dashboard-'));
  const prefix = `relayq-bench-dashboard-${process.pid}`;
  const keys = createKeys(prefix);
  const children: ChildProcess[] = [];
  let simulator: Awaited<ReturnType<typeof startSimulatorProcess>> | undefined;
  let browser: Browser | undefined;
  const restore: (() => void)[] = [];
  try {
    // CPUs: chromium (and this process, which launches it) on the last core, relayq on the rest.
    const cores = cpus().length;
    const separate =
      !args.includes('--shared-cpus') && process.platform === 'linux' && cores >= 2 && spawnSync('taskset', ['-V']).status === 0;
    const systemCpuNumbers = separate ? Array.from({ length: cores - 1 }, (_, i) => i) : undefined;
    const browserCpuNumbers = separate ? [cores - 1] : undefined;
    const systemCpus = separate ? `0-${cores - 2}` : '';
    const pinSystem = (pid: number | undefined) => {
      if (separate && pid !== undefined) pin(pid, systemCpus);
    };
    if (separate) {
      const redisPid = Number(/process_id:(\d+)/.exec(await redis.info('server'))?.[1]);
      const comm = (() => {
        try {
          return readFileSync(`/proc/${redisPid}/comm`, 'utf8');
        } catch {
          return '';
        }
      })();
      if (!comm.includes('redis')) throw new Error(`Redis (pid ${redisPid}) is not a process of this machine: run with --shared-cpus`);
      const before = pin(redisPid, systemCpus);
      if (before !== null) restore.push(() => void pin(redisPid, before));
      const own = pin(process.pid, String(cores - 1));
      if (own !== null) restore.push(() => void pin(process.pid, own));
    }
    const simConfig = join(dir, 'simulator.yaml');
    writeFileSync(simConfig, stringify({ latencyMs: 20 }));
    simulator = await startSimulatorProcess(simConfig);
    pinSystem(simulator.child.pid);
    const config = join(dir, 'relayq.yaml');
    writeFileSync(
      config,
      stringify({
        redis: { prefix },
        worker: { concurrency: 64, attempts: 1 },
        accounts: [{ id: 'sim', provider: 'anthropic', baseUrl: simulator.url, apiKey: 'sk-ant-bench' }],
      }),
    );
    const env = { ...process.env, REDIS_URL: resolved.url };
    const created = spawnSync(process.execPath, ['bin/relayq.js', 'keys', 'create', '--name', 'bench', '--admin', '-c', config], {
      env,
      encoding: 'utf8',
    });
    if (created.status !== 0) throw new Error(`relayq keys create failed: ${created.stderr}`);
    const key = created.stdout.trim().split('\n').at(-1) ?? '';
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const spawnRelayq = (relayqArgs: string[]) => {
      const child = spawn(process.execPath, ['bin/relayq.js', ...relayqArgs, '-c', config], {
        env,
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      children.push(child);
      pinSystem(child.pid);
      return child;
    };
    const server = spawnRelayq(['server', '--host', '127.0.0.1', '--port', String(port)]);
    for (let i = 0; i < workers; i++) spawnRelayq(['worker']);
    for (let i = 0; ; i++) {
      const up = await fetch(`${url}/healthz`).then(
        (response) => response.ok,
        () => false,
      );
      if (up) break;
      if (i > 300) throw new Error('the server did not start');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    console.error(
      `bench dashboard: ${prompts} prompts a batch, ${rounds} rounds A/B then B/A, ${workers} workers x 64, simulator 20 ms at ${simulator.url}, server ${url}, Redis ${resolved.url} (${resolved.origin})`,
    );
    console.error(
      separate
        ? `CPUs: chromium on cpu ${cores - 1}; Redis, the simulator, the server and the workers on cpu ${systemCpus}`
        : 'CPUs: chromium and relayq share every core',
    );

    browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    const context = await browser.newContext();
    const login = await context.newPage();
    await login.goto(`${url}/login`);
    await login.fill('input[name=key]', key);
    await Promise.all([login.waitForURL(`${url}/`), login.click('form[action="/login"] button')]);
    await login.close();
    const serverErrors: string[] = [];
    context.on('response', (response) => {
      if (response.status() >= 500) serverErrors.push(`${response.status()} ${response.url()}`);
    });

    const body = `${Array.from({ length: prompts }, (_, i) =>
      JSON.stringify({
        custom_id: `p${i}`,
        params: { model: 'claude-test', max_tokens: 64, messages: [{ role: 'user', content: `Prompt ${i}: what is ${i} plus ${i}?` }] },
      }),
    ).join('\n')}\n`;

    // The previous batch's finishing work (its last jobs' cleanup, its webhook event) must not
    // overlap the next run: wait until Redis is nearly idle (under 2,000 commands/s for 0.5 s).
    const settle = async () => {
      for (let i = 0; i < 60; i++) {
        const before = await commandsProcessed(redis);
        await new Promise((resolve) => setTimeout(resolve, 500));
        if ((await commandsProcessed(redis)) - before < 1_000) return;
      }
    };
    const run = async (withTabs: boolean): Promise<Run> => {
      await settle();
      let pages: Page[] = [];
      if (withTabs) {
        // Open and warm the tabs on the overview first, so moving them to the batch page is quick.
        pages = await Promise.all(Array.from({ length: tabs }, () => context.newPage()));
        await Promise.all(pages.map((page) => page.goto(`${url}/`)));
      }
      const response = await fetch(`${url}/api/batches?name=bench.jsonl`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-ndjson' },
        body,
      });
      if (!response.ok) throw new Error(`POST /api/batches: ${response.status} ${await response.text()}`);
      const { batch } = (await response.json()) as { batch: { id: string } };
      const results = keys.batchResults(batch.id);
      const tabsOpen = Promise.all(pages.map((page) => page.goto(`${url}/batches/${batch.id}`)));
      // First and last result, watched from Redis (the same few commands a second in both runs).
      let first: { at: number; commands: number; serverCpu: number; system: Jiffies; browser: Jiffies } | undefined;
      for (;;) {
        const count = await redis.hlen(results);
        if (first === undefined && count > 0) {
          first = {
            at: performance.now(),
            commands: await commandsProcessed(redis),
            serverCpu: processCpuSeconds(server.pid),
            system: jiffies(systemCpuNumbers),
            browser: jiffies(browserCpuNumbers),
          };
        }
        if (count >= prompts) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const last = {
        at: performance.now(),
        commands: await commandsProcessed(redis),
        serverCpu: processCpuSeconds(server.pid),
        system: jiffies(systemCpuNumbers),
        browser: jiffies(browserCpuNumbers),
      };
      await tabsOpen;
      await Promise.all(pages.map((page) => page.close()));
      const ms = last.at - first!.at;
      return {
        promptsPerSecond: rate(prompts - 1, ms),
        commandsPerSecond: rate(last.commands - first!.commands, ms),
        seconds: ms / 1000,
        serverCpu: (last.serverCpu - first!.serverCpu) / (ms / 1000),
        systemCpu: share(first!.system, last.system),
        browserCpu: share(first!.browser, last.browser),
      };
    };

    await run(false); // warm-up: JIT, connections, the simulator; not counted
    const without: Run[] = [];
    const withTabs: Run[] = [];
    for (let round = 0; round < rounds; round++) {
      // A B, then B A: neither side always runs second.
      if (round % 2 === 0) {
        without.push(await run(false));
        withTabs.push(await run(true));
      } else {
        withTabs.push(await run(true));
        without.push(await run(false));
      }
      console.error(
        `round ${round + 1}: ${without.at(-1)!.promptsPerSecond.toFixed(0)} vs ${withTabs.at(-1)!.promptsPerSecond.toFixed(0)} prompts/s`,
      );
    }
    const summary = (runs: Run[]) => ({
      prompts: median(runs.map((r) => r.promptsPerSecond)),
      commands: median(runs.map((r) => r.commandsPerSecond)),
      seconds: median(runs.map((r) => r.seconds)),
      serverCpu: median(runs.map((r) => r.serverCpu)),
      systemCpu: median(runs.map((r) => r.systemCpu)),
      browserCpu: median(runs.map((r) => r.browserCpu)),
      all: runs.map((r) => r.promptsPerSecond.toFixed(0)).join(' / '),
    });
    const a = summary(without);
    const b = summary(withTabs);
    console.log(
      table([
        [
          'run',
          'prompts/s (median)',
          'each round',
          'first→last result',
          'Redis commands/s',
          'commands/prompt',
          'server CPU',
          ...(separate ? [`relayq's cpu ${systemCpus}`, `browser's cpu ${cores - 1}`] : ['machine CPU']),
        ],
        ...[['no browser', a] as const, [`${tabs} tabs on the batch page`, b] as const].map(([name, r]) => [
          name,
          r.prompts.toFixed(0),
          r.all,
          `${r.seconds.toFixed(1)} s`,
          r.commands.toFixed(0),
          (r.commands / r.prompts).toFixed(1),
          `${(r.serverCpu * 100).toFixed(0)}% of a core`,
          ...(separate
            ? [`${(r.systemCpu * 100).toFixed(0)}% busy`, `${(r.browserCpu * 100).toFixed(0)}% busy`]
            : [`${(r.systemCpu * 100).toFixed(0)}% of ${cores} cores`]),
        ]),
      ]),
    );
    const ratio = b.prompts / a.prompts;
    console.log(`prompts/s with ${tabs} tabs / without: ${ratio.toFixed(2)} (bound: ≥ ${bound}, ${ratio >= bound ? 'met' : 'missed'})`);
    console.log(
      `Redis commands/s with ${tabs} tabs / without: ${(b.commands / a.commands).toFixed(2)} (${b.commands >= a.commands ? '+' : ''}${(b.commands - a.commands).toFixed(0)}/s)`,
    );
    if (serverErrors.length > 0) console.log(`dashboard responses of 500 and over: ${serverErrors.length}, first: ${serverErrors[0]}`);
  } finally {
    await browser?.close().catch(() => {});
    for (const undo of restore.reverse()) undo();
    for (const child of children) await stop(child);
    await simulator?.stop();
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `{${prefix}}*`, 'COUNT', 1000);
      cursor = next;
      if (found.length > 0) await redis.del(...found);
    } while (cursor !== '0');
    redis.disconnect();
    await resolved.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
