/**
 * `relayq keys create|list|revoke`: the API keys `relayq server` accepts. A key is shown once, when
 * it is made (the last line of stdout); Redis keeps only its SHA-256.
 */
import type { Command } from 'commander';
import { ApiKeyError, createApiKey, keyNameRule, listApiKeys, revokeApiKey } from '../../tenants/api-keys.ts';
import { escapeForTerminal } from '../../lib/terminal-text.ts';
import { configHelp, UsageError, withRuntime } from '../context.ts';
import { exitCodes } from '../exit-codes.ts';
import { renderTable } from '../style.ts';

export function registerKeysCommand(program: Command): void {
  const keys = program.command('keys').description('API keys for relayq server: create (shown once), list, revoke');

  keys
    .command('create')
    .description('make an API key; prints it (rq_...) as the last line of stdout, once')
    .requiredOption('--name <name>', `the key's name (${keyNameRule})`)
    .option('--tenant <tenant>', "the tenant its batches and files belong to (default: the key's name)")
    .option('--admin', 'an admin key: sees the batches and files of every tenant')
    .option('-c, --config <file>', configHelp)
    .addHelpText('after', '\nExample:\n  KEY=$(relayq keys create --name search-team | tail -n 1)')
    .action(async (options: { name: string; tenant?: string; admin?: boolean; config?: string }) => {
      process.exitCode = await withRuntime({ configPath: options.config }, async (runtime) => {
        try {
          const { key, info } = await createApiKey(runtime.redis, runtime.keys, {
            name: options.name,
            tenant: options.tenant,
            admin: options.admin === true,
          });
          process.stderr.write(`key ${info.name} made for tenant ${info.tenant}${info.admin ? ' (admin)' : ''}; it is shown only now:\n`);
          process.stdout.write(`${key}\n`);
          return exitCodes.ok;
        } catch (error) {
          if (error instanceof ApiKeyError) throw new UsageError(error.message);
          throw error;
        }
      });
    });

  keys
    .command('list')
    .description('every API key: name, tenant, admin, created, revoked (never the keys themselves)')
    .option('--json', 'machine-readable output')
    .option('-c, --config <file>', configHelp)
    .action(async (options: { json?: boolean; config?: string }) => {
      process.exitCode = await withRuntime({ configPath: options.config }, async (runtime) => {
        const list = await listApiKeys(runtime.redis, runtime.keys);
        if (options.json) {
          process.stdout.write(`${JSON.stringify({ keys: list }, null, 2)}\n`);
        } else if (list.length === 0) {
          process.stdout.write('no API keys: make one with relayq keys create --name NAME\n');
        } else {
          const rows = list.map((key) => [
            escapeForTerminal(key.name),
            escapeForTerminal(key.tenant),
            key.admin ? 'yes' : 'no',
            key.created_at,
            key.revoked ? `revoked ${key.revoked_at ?? ''}`.trim() : 'active',
          ]);
          process.stdout.write(`${renderTable(['NAME', 'TENANT', 'ADMIN', 'CREATED', 'STATUS'], rows)}\n`);
        }
        return exitCodes.ok;
      });
    });

  keys
    .command('revoke')
    .description('revoke an API key: it answers no request from now on')
    .argument('<name>', "the key's name (relayq keys list)")
    .option('-c, --config <file>', configHelp)
    .action(async (name: string, options: { config?: string }) => {
      process.exitCode = await withRuntime({ configPath: options.config }, async (runtime) => {
        if (!(await revokeApiKey(runtime.redis, runtime.keys, name))) {
          process.stderr.write(`relayq: no API key named "${escapeForTerminal(name)}" (relayq keys list shows them)\n`);
          return exitCodes.notFound;
        }
        process.stderr.write(`key ${escapeForTerminal(name)} revoked\n`);
        return exitCodes.ok;
      });
    });
}
