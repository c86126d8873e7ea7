import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from '../../src/config/load.ts';

describe('config', () => {
  it('fills in defaults for an empty config', () => {
    const config = parseConfig({}, {});
    expect(config.redis.prefix).toBe('relayq');
    expect(config.redis.url).toBeUndefined();
    expect(config.accounts).toEqual([]);
    expect(config.worker).toMatchObject({ concurrency: 32, attempts: 5 });
  });

  it('interpolates ${VAR} and ${VAR:-default} so secrets stay out of files', () => {
    const config = parseConfig(
      {
        accounts: [{ id: 'a', provider: 'anthropic', apiKey: '${ANTHROPIC_KEY}', baseUrl: '${BASE:-https://api.anthropic.com}' }],
      },
      { ANTHROPIC_KEY: 'sk-ant-secret' },
    );
    expect(config.accounts[0]).toMatchObject({ apiKey: 'sk-ant-secret', baseUrl: 'https://api.anthropic.com' });
    expect(config.accounts[0]?.timeouts).toEqual({ connectMs: 10_000, firstByteMs: 120_000, idleMs: 120_000 });
  });

  it('names the field whose variable is missing', () => {
    expect(() => parseConfig({ accounts: [{ id: 'a', provider: 'anthropic', apiKey: '${NOPE}' }] }, {})).toThrow(
      /accounts\[0\]\.apiKey uses \$\{NOPE\}.*NOPE is not set/,
    );
  });

  it('has ingest limits with documented defaults, and bounds on them', () => {
    expect(parseConfig({}, {}).ingest).toEqual({ maxLineBytes: 10 * 1024 * 1024, maxDepth: 128, maxCustomIdLength: 64 });
    expect(parseConfig({ ingest: { maxDepth: 300, maxCustomIdLength: 200 } }, {}).ingest).toMatchObject({
      maxDepth: 300,
      maxCustomIdLength: 200,
      maxLineBytes: 10485760,
    });
    expect(() => parseConfig({ ingest: { maxDepth: 5000 } }, {})).toThrow(/ingest\.maxDepth: must be at most 1000/);
    expect(() => parseConfig({ ingest: { maxLineBytes: 0 } }, {})).toThrow(/ingest\.maxLineBytes/);
    expect(() => parseConfig({ ingest: { maxLength: 1 } }, {})).toThrow(/maxLength/);
  });

  it('refuses a document nested thousands of levels deep with a ConfigError', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i += 1) deep = { a: deep };
    expect(() => parseConfig({ extra: deep }, {})).toThrow(ConfigError);
    expect(() => parseConfig({ extra: deep }, {})).toThrow(/nested deeper than 64 levels/);
  });

  it('lets REDIS_URL override the file', () => {
    const config = parseConfig({ redis: { url: 'redis://file:6379' } }, { REDIS_URL: 'redis://env:6380' });
    expect(config.redis.url).toBe('redis://env:6380');
  });

  it('names every bad field and what is wrong with it', () => {
    let message = '';
    try {
      parseConfig(
        {
          accounts: [
            { id: 'a', provider: 'anthropicc', limits: { rpm: -1 } },
            { id: 'b', provider: 'anthropic', apiKey: 'k', authToken: 't', proxy: 'ftp://x' },
            { id: 'b', provider: 'anthropic' },
          ],
          worker: { concurrency: 'lots' },
          surprise: true,
        },
        {},
      );
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      message = (error as Error).message;
    }
    expect(message).toContain('accounts[0].provider');
    expect(message).toContain('accounts[0].limits.rpm');
    expect(message).toContain('accounts[1].proxy');
    expect(message).toContain('worker.concurrency');
    expect(message).toMatch(/surprise/);
  });

  it('reports duplicate account ids and apiKey+authToken together', () => {
    expect(() => parseConfig({ accounts: [{ id: 'x', provider: 'anthropic', apiKey: 'k', authToken: 't' }] }, {})).toThrow(
      /accounts\[0\]\.authToken: set either apiKey or authToken/,
    );
    expect(() =>
      parseConfig(
        {
          accounts: [
            { id: 'x', provider: 'anthropic' },
            { id: 'x', provider: 'anthropic' },
          ],
        },
        {},
      ),
    ).toThrow(/accounts\[1\]\.id: duplicate account id "x"/);
  });

  it("refuses a field of another provider, naming the field, the account's provider and the field's", () => {
    let message = '';
    try {
      parseConfig({ accounts: [{ id: 'claude', provider: 'anthropic', apiKey: 'k', deployments: { 'gpt-4o': 'prod' } }] }, {});
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      message = (error as Error).message;
    }
    expect(message).toContain('accounts[0]: "deployments" is not a field of anthropic accounts (it is a field of azure-openai accounts)');
    // Each provider takes its own fields, and only those.
    const own = parseConfig(
      {
        accounts: [
          { id: 'az', provider: 'azure-openai', apiKey: 'k', deployments: { 'gpt-4o': 'prod' }, apiVersion: 'v1' },
          { id: 'oa', provider: 'openai', apiKey: 'k', organization: 'org', project: 'p' },
          { id: 'br', provider: 'bedrock', region: 'us-east-1', anthropicBeta: ['x'] },
        ],
      },
      {},
    );
    expect(own.accounts.map((account) => account.provider)).toEqual(['azure-openai', 'openai', 'bedrock']);
    expect(() => parseConfig({ accounts: [{ id: 'g', provider: 'gemini', region: 'us-east-1', typo: 1 }] }, {})).toThrow(
      /accounts\[0\]: "region" is not a field of gemini accounts \(it is a field of bedrock accounts\); "typo" is not a field of gemini accounts/,
    );
  });

  it('names the providers relayq knows when an account names another or none', () => {
    const known = 'relayq knows: anthropic, openai, gemini, azure-openai, bedrock';
    expect(() => parseConfig({ accounts: [{ id: 'x', provider: 'mistral', apiKey: 'k' }] }, {})).toThrow(
      `accounts[0].provider: unknown provider "mistral"; ${known}`,
    );
    expect(() => parseConfig({ accounts: [{ id: 'x', apiKey: 'k' }] }, {})).toThrow(`accounts[0].provider: no provider set; ${known}`);
    expect(() => parseConfig({ routing: [{ model: 'x-*', provider: 'mistral' }] }, {})).toThrow(
      `routing[0].provider: unknown provider "mistral"; ${known}`,
    );
  });

  it("takes an Amazon Bedrock API key as a bedrock account's apiKey", () => {
    const config = parseConfig(
      { accounts: [{ id: 'aws-key', provider: 'bedrock', region: 'us-east-1', apiKey: '${AWS_BEARER_TOKEN_BEDROCK}' }] },
      { AWS_BEARER_TOKEN_BEDROCK: 'ABSKexample' },
    );
    expect(config.accounts[0]).toMatchObject({ provider: 'bedrock', apiKey: 'ABSKexample' });
  });

  it.each([
    ['accessKeyId and secretAccessKey', { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'example-secret' }, 'accessKeyId, secretAccessKey'],
    ['a sessionToken', { sessionToken: 'example-token' }, 'sessionToken'],
  ])('refuses a bedrock account with both apiKey and %s, naming the account and the fields', (_name, sigv4, fields) => {
    const raw = {
      accounts: [
        { id: 'fine', provider: 'bedrock', apiKey: 'ABSKfine' },
        { id: 'aws-both', provider: 'bedrock', region: 'us-east-1', apiKey: '${AWS_BEARER_TOKEN_BEDROCK}', ...sigv4 },
      ],
    };
    let error: unknown;
    try {
      parseConfig(raw, { AWS_BEARER_TOKEN_BEDROCK: 'ABSKsecret-value' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain(`accounts[1].apiKey: bedrock account "aws-both" sets both apiKey and ${fields}`);
    expect(message).not.toContain('accounts[0]');
    expect(message).not.toContain('ABSKsecret-value');
    for (const value of Object.values(sigv4)) expect(message).not.toContain(value);
  });

  it('reads YAML files, and says which file is broken', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'relayq-config-'));
    const good = join(dir, 'good.yaml');
    writeFileSync(good, 'redis:\n  prefix: mine\nworker:\n  concurrency: 8\n');
    const loaded = await loadConfig({ path: good, env: {} });
    expect(loaded.source).toBe(good);
    expect(loaded.config.redis.prefix).toBe('mine');
    expect(loaded.config.worker.concurrency).toBe(8);

    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'worker: [unclosed\n');
    await expect(loadConfig({ path: bad, env: {} })).rejects.toThrow(/bad\.yaml is not valid YAML/);
    await expect(loadConfig({ path: join(dir, 'missing.yaml'), env: {} })).rejects.toThrow(/cannot read config file/);
  });

  it('ships example configs that parse', async () => {
    const loaded = await loadConfig({
      path: 'config/relayq.example.yaml',
      env: { ANTHROPIC_API_KEY: 'sk-ant-x', ANTHROPIC_OAUTH_TOKEN: 'tok' },
    });
    expect(loaded.config.accounts.length).toBeGreaterThan(0);
  });
});
