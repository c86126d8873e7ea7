/**
 * Fuzzing the config loader: random YAML and JSON documents, random config-shaped objects with
 * wrong, hostile and deeply nested values must each end as a valid config or a ConfigError with
 * a message, never another exception. `FUZZ_RUNS=5000` runs more cases.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from '../../src/config/load.ts';
import { providerNames } from '../../src/providers/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'relayq-config-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const hostileKeyArb = fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString'));
const valueArb: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.constantFrom('${HOME}', '${NOPE}', '${NOPE:-x}', '${', 'redis://x', 'http://%ZZ', 'https://h:notaport', '', '-1', '1e400'),
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(hostileKeyArb, tie('value'), { maxKeys: 3 }),
  ),
})).value;

const accountArb = fc.record(
  {
    id: fc.oneof(fc.stringMatching(/^[a-z]{1,8}$/), valueArb),
    provider: fc.oneof(fc.constantFrom(...providerNames), valueArb),
    apiKey: fc.oneof(fc.constant('k'), valueArb),
    baseUrl: fc.oneof(fc.constant('http://127.0.0.1:1'), valueArb),
    models: fc.oneof(fc.constant(['*']), valueArb),
    limits: fc.oneof(fc.record({ rpm: fc.integer() }), valueArb),
    proxy: valueArb,
    enabled: fc.oneof(fc.boolean(), valueArb),
  },
  { requiredKeys: ['id', 'provider'] },
);

const configArb = fc.record(
  {
    redis: fc.oneof(fc.record({ url: valueArb, prefix: valueArb }, { requiredKeys: [] }), valueArb),
    accounts: fc.oneof(fc.array(accountArb, { maxLength: 3 }), valueArb),
    routing: fc.oneof(fc.array(fc.record({ model: valueArb, provider: valueArb }), { maxLength: 2 }), valueArb),
    worker: fc.oneof(fc.record({ concurrency: valueArb, attempts: valueArb }, { requiredKeys: [] }), valueArb),
    ingest: fc.oneof(
      fc.record({ maxLineBytes: valueArb, maxDepth: valueArb, maxCustomIdLength: valueArb }, { requiredKeys: [] }),
      valueArb,
    ),
    extra: valueArb,
  },
  { requiredKeys: [] },
);

/** A value nested `depth` levels deep under an unknown key. */
const deepArb = fc.integer({ min: 1, max: 20_000 }).map((depth) => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i += 1) value = i % 2 === 0 ? [value] : { a: value };
  return { worker: { concurrency: 4 }, extra: value };
});

const documentArb = fc.oneof(
  { weight: 3, arbitrary: configArb.map((config) => stringify(config)) },
  { weight: 2, arbitrary: configArb.map((config) => JSON.stringify(config)) },
  { weight: 1, arbitrary: fc.jsonValue().map((value) => JSON.stringify(value)) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 5_000 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`) },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 1, max: 2_000 })
      .map((depth) => Array.from({ length: depth }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n')),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom('a: &a [1]\nb: [*a, *a, *a, *a]\n', '? [a]\n: b', 'x: !!binary AA==', '---\n---\n', '%YAML 9.9\n---\na: 1'),
  },
);

function expectConfigOrConfigError(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    expect(error, `${(error as Error)?.stack ?? String(error)}`).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(/\S/);
  }
}

describe('config fuzzing', () => {
  it('a random document is a valid config or a ConfigError with a message', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(documentArb, async (text) => {
        const file = join(dir, `c${n++}.yaml`);
        writeFileSync(file, text);
        try {
          const { config } = await loadConfig({ path: file, env: { HOME: '/home/x' } });
          expect(config.redis.prefix).toMatch(/\S/);
        } catch (error) {
          expect(error, `${(error as Error)?.stack ?? String(error)}`).toBeInstanceOf(ConfigError);
          expect((error as ConfigError).message).toMatch(/\S/);
        }
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 250) },
    );
  });

  it('a random object, however nested, is a valid config or a ConfigError', () => {
    fc.assert(
      fc.property(fc.oneof(configArb, deepArb, valueArb), (raw) => expectConfigOrConfigError(() => parseConfig(raw, { HOME: '/home/x' }))),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 400) },
    );
  });
});
