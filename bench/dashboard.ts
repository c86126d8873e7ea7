/**
 * What the dashboard costs a running batch: the same batch run with no browser and with 10
 * headless chromium tabs open on its page (each polling `/live/batches/<id>` every 2 s), rounds
 * alternated A/B to cancel machine noise, median of each. The simulator (20 ms latency), one
 * `relayq server` and two `relayq worker` processes (concurrency 64) of the built package, each
 * in its own process. Prints prompts/s (first to last result) and Redis commands/s (INFO stats)
 * of each (and, Linux only, the server's and the machine's CPU use), and the ratio against the
 * bound: prompts/s with 10 tabs at least 0.95 of without.
 * `npm run bench -- dashboard [--prompts 50000] [--rounds 3]`. Needs /usr/bin/chromium (or
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
  /** Share of one core the server process used, and of all cores the whole machine used. */
  serverCpu: number;
  machineCpu: number;
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

/** Busy and total jiffies of the whole machine (Linux /proc; NaN elsewhere). */
function machineJiffies(): { busy: number; total: number } {
  try {
    const values = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = values.reduce((sum, value) => sum + value, 0);
    return { busy: total - values[3]! - values[4]!, total };
  } catch {
    return { busy: Number.NaN, total: Number.NaN };
  }
}

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
  const rounds = argValue(args, '--rounds', 3);
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
  try {
    const simConfig = join(dir, 'simulator.yaml');
    writeFileSync(simConfig, stringify({ latencyMs: 20 }));
    simulator = await startSimulatorProcess(simConfig);
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
      `bench dashboard: ${prompts} prompts a batch, ${rounds} rounds A/B, ${workers} workers x 64, simulator 20 ms at ${simulator.url}, server ${url}, Redis ${resolved.url} (${resolved.origin})`,
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

    const run = async (withTabs: boolean): Promise<Run> => {
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
      let first: { at: number; commands: number; serverCpu: number; machine: { busy: number; total: number } } | undefined;
      for (;;) {
        const count = await redis.hlen(results);
        if (first === undefined && count > 0) {
          first = {
            at: performance.now(),
            commands: await commandsProcessed(redis),
            serverCpu: processCpuSeconds(server.pid),
            machine: machineJiffies(),
          };
        }
        if (count >= prompts) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const last = {
        at: performance.now(),
        commands: await commandsProcessed(redis),
        serverCpu: processCpuSeconds(server.pid),
        machine: machineJiffies(),
      };
      await tabsOpen;
      await Promise.all(pages.map((page) => page.close()));
      const ms = last.at - first!.at;
      return {
        promptsPerSecond: rate(prompts - 1, ms),
        commandsPerSecond: rate(last.commands - first!.commands, ms),
        seconds: ms / 1000,
        serverCpu: (last.serverCpu - first!.serverCpu) / (ms / 1000),
        machineCpu: (last.machine.busy - first!.machine.busy) / (last.machine.total - first!.machine.total),
      };
    };

    await run(false); // warm-up: JIT, connections, the simulator; not counted
    const without: Run[] = [];
    const withTabs: Run[] = [];
    for (let round = 0; round < rounds; round++) {
      without.push(await run(false));
      withTabs.push(await run(true));
      console.error(
        `round ${round + 1}: ${without.at(-1)!.promptsPerSecond.toFixed(0)} vs ${withTabs.at(-1)!.promptsPerSecond.toFixed(0)} prompts/s`,
      );
    }
    const summary = (runs: Run[]) => ({
      prompts: median(runs.map((r) => r.promptsPerSecond)),
      commands: median(runs.map((r) => r.commandsPerSecond)),
      seconds: median(runs.map((r) => r.seconds)),
      serverCpu: median(runs.map((r) => r.serverCpu)),
      machineCpu: median(runs.map((r) => r.machineCpu)),
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
          'machine CPU',
        ],
        ...[['no browser', a] as const, [`${tabs} tabs on the batch page`, b] as const].map(([name, r]) => [
          name,
          r.prompts.toFixed(0),
          r.all,
          `${r.seconds.toFixed(1)} s`,
          r.commands.toFixed(0),
          (r.commands / r.prompts).toFixed(1),
          `${(r.serverCpu * 100).toFixed(0)}% of a core`,
          `${(r.machineCpu * 100).toFixed(0)}% of ${cpus().length} cores`,
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
