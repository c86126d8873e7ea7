/**
 * `relayq accounts list|enable|disable|bind|unbind`: the accounts' shared state (limits, usage,
 * health, last errors) as every worker sees it, changed at run time for all workers at once.
 */
import type { Command } from 'commander';
import { bindingSchema, removeBinding, setBinding, type BindingTarget } from '../../accounts/bindings.ts';
import type { AccountState } from '../../accounts/state.ts';
import { accountsOverview, setAccountEnabledIfKnown } from '../../operations/accounts.ts';
import type { Runtime } from '../../runtime.ts';
import type { WaitingPool } from '../../scheduler/waiting.ts';
import { unavailableLines } from '../../operations/availability.ts';
import { checkBatchId, configHelp, UsageError, withRuntime } from '../context.ts';
import { exitCodes } from '../exit-codes.ts';
import { formatNumber } from '../progress.ts';
import { colourOn, paint, renderTable, type Colour } from '../style.ts';

export function registerAccountsCommand(program: Command): void {
  const accounts = program
    .command('accounts')
    .description('list accounts with their limits, usage and health; enable, disable or bind them at run time');

  accounts
    .command('list')
    .description('every account: health, limits (configured / learned), capacity available now, calls, last error')
    .option('-c, --config <file>', configHelp)
    .option('--json', "machine-readable output, with each account's recent errors and the prompts waiting")
    .addHelpText(
      'after',
      '\nExample:\n  relayq accounts list\n  relayq accounts list --json | jq \'.accounts[] | select(.health.status != "ok")\'',
    )
    .action(async (options: { config?: string; json?: boolean }) => {
      process.exitCode = await withRuntime({ configPath: options.config }, (runtime) => listCommand(runtime, options.json === true));
    });

  for (const enabled of [true, false]) {
    const command = accounts
      .command(enabled ? 'enable' : 'disable')
      .argument('<account>', 'account id')
      .description(
        enabled
          ? 'let workers use the account again (also after the provider refused its key: fix the key first)'
          : 'stop every worker from sending new calls to the account (calls in flight finish)',
      )
      .option('-c, --config <file>', configHelp);
    if (!enabled) command.option('--reason <text>', 'shown in relayq accounts list and in batch statuses');
    command.action(async (id: string, options: { config?: string; reason?: string }) => {
      process.exitCode = await withRuntime({ configPath: options.config }, async (runtime) => {
        if (!(await setAccountEnabledIfKnown(runtime, id, enabled, options.reason))) {
          process.stderr.write(`relayq: no account "${id}" (relayq accounts list shows them)\n`);
          return exitCodes.notFound;
        }
        process.stderr.write(`account ${id} ${enabled ? 'enabled' : 'disabled'} for every worker\n`);
        return exitCodes.ok;
      });
    });
  }

  accounts
    .command('bind')
    .description('dedicate accounts to a batch (or a tenant): they are tried first, or only them with --exclusive')
    .argument('[batch]', 'batch id (or use --tenant)')
    .option('--tenant <name>', "bind every batch of tenant NAME (an API key's tenant, or submitted with --tag tenant=NAME)")
    .option('--accounts <ids>', 'comma-separated account ids', splitList)
    .option('--groups <names>', 'comma-separated account groups (accounts[].group)', splitList)
    .option('--exclusive', 'use only these accounts, never the rest of the pool')
    .option('-c, --config <file>', configHelp)
    .addHelpText('after', '\nExample:\n  relayq accounts bind batch_mh2k1x --accounts anthropic-team-a --exclusive')
    .action(async (batch: string | undefined, options: BindFlags) => {
      const target = bindTarget(batch, options.tenant);
      const parsed = bindingSchema.safeParse({
        accounts: options.accounts ?? [],
        groups: options.groups ?? [],
        exclusive: options.exclusive === true,
      });
      if (!parsed.success) throw new UsageError('name the accounts to bind with --accounts ID,ID and/or --groups NAME,NAME');
      process.exitCode = await withRuntime({ configPath: options.config }, async (runtime) => {
        await setBinding(runtime.redis, runtime.keys, target, parsed.data);
        process.stderr.write(`bound ${describeTarget(target)}; workers apply it within a few seconds\n`);
        return exitCodes.ok;
      });
    });

  accounts
    .command('unbind')
    .description('remove the dedicated accounts of a batch or tenant')
    .argument('[batch]', 'batch id (or use --tenant)')
    .option('--tenant <name>', 'tenant name')
    .option('-c, --config <file>', configHelp)
    .action(async (batch: string | undefined, options: { tenant?: string; config?: string }) => {
      const target = bindTarget(batch, options.tenant);
      process.exitCode = await withRuntime({ configPath: options.config }, async (runtime) => {
        const removed = await removeBinding(runtime.redis, runtime.keys, target);
        process.stderr.write(removed ? `unbound ${describeTarget(target)}\n` : `${describeTarget(target)} had no binding\n`);
        return removed ? exitCodes.ok : exitCodes.notFound;
      });
    });
}

interface BindFlags {
  tenant?: string;
  accounts?: string[];
  groups?: string[];
  exclusive?: boolean;
  config?: string;
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function bindTarget(batch: string | undefined, tenant: string | undefined): BindingTarget {
  if ((batch === undefined) === (tenant === undefined)) throw new UsageError('name either a batch id or --tenant NAME');
  return batch !== undefined ? { batch: checkBatchId(batch) } : { tenant: tenant as string };
}

function describeTarget(target: BindingTarget): string {
  return 'batch' in target ? `batch ${target.batch}` : `tenant ${target.tenant}`;
}

async function listCommand(runtime: Runtime, json: boolean): Promise<number> {
  const overview = await accountsOverview(runtime);
  if (json) {
    process.stdout.write(`${JSON.stringify(overview, null, 2)}\n`);
    return exitCodes.ok;
  }
  const { accounts: states, waiting, availability } = overview;
  if (states.length === 0) {
    process.stdout.write('no accounts: add some under accounts: in the config (see config/relayq.example.yaml)\n');
    return exitCodes.ok;
  }
  const colour = colourOn();
  const rows = states.map((state) => row(state, state.inConfig));
  const table = renderTable(
    ['ACCOUNT', 'PROVIDER', 'HEALTH', 'RPM', 'IN TPM', 'OUT TPM', 'CONC', 'AVAILABLE', 'IN FLIGHT', 'OK', '429', 'ERRORS', 'LAST ERROR'],
    rows,
    (index, column, text) => (column === 2 ? paint(text, healthColour(states[index]), colour) : text),
  );
  const lines = [
    table,
    '',
    'limits: configured / learned from the provider ("~" found by AIMD); AVAILABLE: capacity left in the tightest bucket now',
  ];
  if (states.some((state) => !state.inConfig)) lines.push('* not in this config (registered by a worker with another config)');
  for (const state of states) {
    if (state.health.status !== 'ok' && state.health.reason) {
      const when = state.health.status === 'cooling_down' ? `until ${state.health.until}` : `since ${state.health.since ?? '?'}`;
      lines.push(`  ${state.id}: ${state.health.status.replace('_', ' ')} ${when}: ${state.health.reason}`);
    }
    if (state.pacing !== null) {
      lines.push(
        `  ${state.id}: paced at its steady rate since ${state.pacing.since}: a burst drew a 429 (${truncate(state.pacing.reason ?? 'rate limited', 100)}), so the provider enforces a shorter window than its headers report`,
      );
    }
  }
  lines.push(...unavailableLines(availability, ''));
  for (const pool of waiting) lines.push(waitingLine(pool));
  process.stdout.write(`${lines.join('\n')}\n`);
  return exitCodes.ok;
}

function row(state: AccountState, inConfig: boolean): string[] {
  const limit = (configured: number | null, learned: number | null, adaptive?: number | null): string => {
    const parts = [
      configured === null ? '' : formatNumber(configured),
      learned !== null ? formatNumber(learned) : adaptive ? `~${formatNumber(Math.round(adaptive))}` : '',
    ];
    return parts[1] === '' ? parts[0] || '-' : `${parts[0] || '-'} / ${parts[1]}`;
  };
  const available = Object.values(state.usage.available).filter((value): value is number => value !== null);
  const health =
    state.health.status === 'ok' ? 'ok' : state.health.status === 'cooling_down' ? 'cooling down' : `disabled (${state.health.disabledBy})`;
  return [
    inConfig ? state.id : `${state.id}*`,
    state.provider ?? '?',
    health,
    limit(state.configured.rpm, state.learned.rpm, state.learned.adaptiveRpm),
    limit(state.configured.inputTpm, state.learned.inputTpm ?? state.learned.tpm),
    limit(state.configured.outputTpm, state.learned.outputTpm),
    state.configured.concurrency === null ? '-' : String(state.configured.concurrency),
    available.length === 0 ? '-' : `${Math.round(Math.min(...available) * 100)}%`,
    String(state.usage.inFlight),
    formatNumber(state.counters.succeeded),
    formatNumber(state.counters.rateLimited),
    formatNumber(state.counters.errors),
    state.lastError === null ? '' : `${state.lastError.at.slice(11, 19)} ${truncate(state.lastError.message, 60)}`,
  ];
}

function waitingLine(pool: WaitingPool): string {
  return `${formatNumber(pool.prompts)} ${pool.provider} prompts parked: ${pool.reason}`;
}

function healthColour(state: AccountState | undefined): Colour {
  if (state === undefined || state.health.status === 'ok') return 'green';
  return state.health.status === 'cooling_down' ? 'yellow' : 'red';
}

function truncate(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}
