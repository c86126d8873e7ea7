/**
 * Every top-level command's name, help term and one-line description, with the module that
 * registers it in full. Imports nothing: `relayq --help` and `relayq --version` read only this,
 * and a command's own module (with its config, Redis, queue and simulator imports) is loaded
 * only when that command runs. test/cli/command-list.test.ts checks that these lines say what
 * the full registrations say.
 */
import type { Command } from 'commander';

/** Registers a group of commands, in full, on the program. */
export type RegisterCommands = (program: Command) => void;

export interface CommandGroup {
  /** Loads the module that registers the group's commands. */
  load(): Promise<RegisterCommands>;
  commands: { name: string; term: string; description: string }[];
}

export const commandGroups: CommandGroup[] = [
  {
    load: async () => (await import('./commands/register-batch-commands.ts')).registerBatchCommands,
    commands: [
      {
        name: 'run',
        term: 'run [options] <file>',
        description: 'submit FILE, process it with an in-process worker, wait, and write the results',
      },
      {
        name: 'submit',
        term: 'submit [options] <file>',
        description: 'stream FILE into a new batch; prints the batch id as the last line of stdout',
      },
      { name: 'batches', term: 'batches [options]', description: 'list batches, newest first' },
      { name: 'status', term: 'status [options] <batch>', description: "show a batch's status, counts, errors, accounts, tokens and cost" },
      { name: 'results', term: 'results [options] <batch>', description: "stream a batch's results as JSONL, one line per custom_id" },
      {
        name: 'cancel',
        term: 'cancel [options] <batch>',
        description:
          'cancel a batch: nothing more is sent; prompts in flight finish and keep their results, the rest get `cancelled` results',
      },
      {
        name: 'pause',
        term: 'pause [options] <batch>',
        description: 'pause a batch: its waiting prompts leave the queue until `relayq resume`; prompts in flight finish',
      },
      { name: 'resume', term: 'resume [options] <batch>', description: 'resume a paused batch' },
      {
        name: 'retry',
        term: 'retry [options] <batch>',
        description: "run a batch's errored prompts again (reads them from the batch's input file)",
      },
      { name: 'usage', term: 'usage [options]', description: 'tokens and list-price cost, by account, model, batch, day or provider' },
    ],
  },
  {
    load: async () => (await import('./commands/accounts.ts')).registerAccountsCommand,
    commands: [
      {
        name: 'accounts',
        term: 'accounts',
        description: 'list accounts with their limits, usage and health; enable, disable or bind them at run time',
      },
    ],
  },
  {
    load: async () => (await import('./commands/keys.ts')).registerKeysCommand,
    commands: [{ name: 'keys', term: 'keys', description: 'API keys for relayq server: create (shown once), list, revoke' }],
  },
  {
    load: async () => (await import('./commands/webhooks.ts')).registerWebhooksCommand,
    commands: [
      {
        name: 'webhooks',
        term: 'webhooks',
        description: 'webhook endpoints, signing secrets and the delivery log (batch.completed, failed, cancelled, expired)',
      },
    ],
  },
  {
    load: async () => (await import('./commands/register-service-commands.ts')).registerServiceCommands,
    commands: [
      {
        name: 'worker',
        term: 'worker [options]',
        description: 'process prompt jobs until stopped (run as many as you like, on as many machines)',
      },
      {
        name: 'server',
        term: 'server [options]',
        description: "serve relayq's /api and the OpenAI- and Anthropic-compatible batch APIs over HTTP, until stopped",
      },
      {
        name: 'simulate',
        term: 'simulate [options]',
        description: 'run the upstream simulator (Anthropic Messages API with rate limits and faults)',
      },
    ],
  },
];

/** The group that registers `name`, if it is a command. */
export function groupOf(name: string | undefined): CommandGroup | undefined {
  return commandGroups.find((group) => group.commands.some((command) => command.name === name));
}
