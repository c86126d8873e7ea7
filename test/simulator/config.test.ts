import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSimulatorConfigFile, modelMatcher, parseSimulatorConfig, simulatorConfigSchema } from '../../src/simulator/config.ts';
import { startSimulator } from '../../src/simulator/server.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'relayq-sim-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('simulator config', () => {
  it('fills in defaults', () => {
    expect(simulatorConfigSchema.parse({})).toEqual({
      latencyMs: 0,
      streamChunkDelayMs: 0,
      streamChunkWords: 3,
      keys: [],
      acceptAnyKey: true,
      defaultLimits: {},
      burstSeconds: 2,
      faults: {
        seed: 1,
        overloadedRate: 0,
        serverErrorRate: 0,
        rateLimitRate: 0,
        dropRate: 0,
        cutStreamRate: 0,
        slowRate: 0,
        slowMs: 5000,
        rateLimitRetryAfterSeconds: 1,
      },
      tokens: { lifetimeSeconds: 3600, oauthRefreshTokens: [], googleServiceAccounts: [], entraClients: [] },
    });
  });

  it('rejects unknown fields, bad limits, duplicate keys and rates above 1 with the path named', () => {
    expect(() => parseSimulatorConfig({ latency: 5 })).toThrow(/latency/);
    expect(() => parseSimulatorConfig({ keys: [{ key: 'a', limits: { rpm: 0 } }] })).toThrow(/keys\.0\.limits\.rpm/);
    expect(() => parseSimulatorConfig({ keys: [{ key: 'a' }, { key: 'a' }] })).toThrow(/keys\.1\.key: duplicate key/);
    expect(() => parseSimulatorConfig({ faults: { dropRate: 0.6, overloadedRate: 0.6 } })).toThrow(/add up/);
    expect(() => parseSimulatorConfig({ faults: { seed: 1.5 } })).toThrow(/faults\.seed/);
    expect(() => parseSimulatorConfig({ keys: [{ key: 'a', bearer: true, secret: 's' }] })).toThrow(
      /keys\.0\.secret: a bearer key \(an API key\) has no secret/,
    );
  });

  it('loads YAML and JSON files', async () => {
    const yamlPath = join(dir, 'sim.yaml');
    await writeFile(
      yamlPath,
      'latencyMs: 20\nkeys:\n  - key: k1\n    limits: { rpm: 50, concurrency: 4 }\nfaults:\n  overloadedRate: 0.1\n',
    );
    const fromYaml = await loadSimulatorConfigFile(yamlPath);
    expect(fromYaml).toMatchObject({ latencyMs: 20, keys: [{ key: 'k1', limits: { rpm: 50, concurrency: 4 } }] });
    expect(fromYaml.faults.overloadedRate).toBe(0.1);

    const jsonPath = join(dir, 'sim.json');
    await writeFile(jsonPath, JSON.stringify({ acceptAnyKey: false }));
    expect((await loadSimulatorConfigFile(jsonPath)).acceptAnyKey).toBe(false);

    const badPath = join(dir, 'bad.yaml');
    await writeFile(badPath, 'burstSeconds: -1\n');
    await expect(loadSimulatorConfigFile(badPath)).rejects.toThrow(/bad\.yaml is not valid:\n {2}burstSeconds/);
    await expect(loadSimulatorConfigFile(join(dir, 'missing.yaml'))).rejects.toThrow(/cannot read/);
  });

  it('matches models by name and glob', () => {
    const matches = modelMatcher(['claude-*', 'gpt-4o', 'x?z']);
    expect(matches('claude-sonnet-4-5')).toBe(true);
    expect(matches('gpt-4o')).toBe(true);
    expect(matches('gpt-4o-mini')).toBe(false);
    expect(matches('xyz')).toBe(true);
    expect(matches('x.yz')).toBe(false);
    expect(modelMatcher(undefined)('anything')).toBe(true);
  });

  it('startSimulator refuses a bad config', async () => {
    await expect(startSimulator({ burstSeconds: 0 })).rejects.toThrow(/burstSeconds/);
  });
});
