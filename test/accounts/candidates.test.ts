import { describe, expect, it } from 'vitest';
import { accountSchema, type Account } from '../../src/config/schema.ts';
import { CandidateResolver, NoCandidateError } from '../../src/scheduler/candidates.ts';

function account(id: string, extra: Record<string, unknown> = {}): Account {
  return accountSchema.parse({ id, provider: 'anthropic', apiKey: 'k', ...extra });
}

const accounts = [
  account('main', { priority: 10, models: ['claude-*'] }),
  account('spare', { models: ['claude-*'] }),
  account('team-a-1', { group: 'team-a' }),
  account('team-a-2', { group: 'team-a', priority: 3 }),
  account('haiku-only', { models: ['claude-haiku-*'], priority: 20 }),
  account('gpt', { provider: 'openai' }),
];

const ids = (set: { candidates: readonly { account: Account }[] }) => set.candidates.map((candidate) => candidate.account.id);

describe('candidate accounts', () => {
  it('are the accounts serving the provider and model (globs), by priority', () => {
    const resolver = new CandidateResolver(accounts);
    expect(ids(resolver.resolve('anthropic', 'claude-sonnet-4-5', null, null))).toEqual(['main', 'team-a-2', 'spare', 'team-a-1']);
    expect(ids(resolver.resolve('anthropic', 'claude-haiku-4-5', null, null))[0]).toBe('haiku-only');
  });

  it('put dedicated accounts (by id or group) first, then the pool; only them when exclusive', () => {
    const resolver = new CandidateResolver(accounts);
    const bound = resolver.resolve('anthropic', 'claude-sonnet-4-5', { accounts: [], groups: ['team-a'], exclusive: false }, 'batch b');
    expect(ids(bound)).toEqual(['team-a-2', 'team-a-1', 'main', 'spare']);
    const only = resolver.resolve('anthropic', 'claude-sonnet-4-5', { accounts: ['spare'], groups: [], exclusive: true }, 'batch b');
    expect(ids(only)).toEqual(['spare']);
    // A different candidate list is a different pool (its own line and parked set).
    expect(only.key).not.toBe(bound.key);
  });

  it('explain when nothing can serve a prompt', () => {
    const resolver = new CandidateResolver(accounts);
    expect(() => resolver.resolve('gemini', 'gemini-2.5-flash', null, null)).toThrow(NoCandidateError);
    expect(() => resolver.resolve('gemini', 'gemini-2.5-flash', null, null)).toThrow(/no account serves provider "gemini"/);
    expect(() => resolver.resolve('anthropic', 'claude-haiku-4-5', { accounts: ['gpt'], groups: [], exclusive: true }, 'batch b')).toThrow(
      /batch b is bound to gpt, but none of them serves/,
    );
  });
});
