/**
 * docs/grafana-dashboard.json asks only for metrics relayq exposes, in valid PromQL (checked by
 * `promtool check rules`, each query made a recording rule), through the `${DS_PROMETHEUS}` input.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import { createSystemMetrics } from '../../src/metrics/exposition.ts';
import { createUpstreamMeter } from '../../src/metrics/upstream-meter.ts';
import { createKeys } from '../../src/redis/keys.ts';
import { tempDir } from '../helpers/files.ts';
import { hasPromtool, promtoolPath } from '../helpers/metrics.ts';
import { testRedis } from '../helpers/redis.ts';

interface Panel {
  type: string;
  title: string;
  datasource?: { uid: string };
  targets?: { expr: string }[];
}

const dashboard = JSON.parse(readFileSync('docs/grafana-dashboard.json', 'utf8')) as {
  schemaVersion: number;
  __inputs: { name: string; pluginId: string }[];
  panels: Panel[];
};
const queries = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel: panel.title, expr: target.expr })));

/** The names a scrape shows: the system's metrics and a worker's histogram (with its series suffixes). */
function exposedNames(): Set<string> {
  const redis = testRedis();
  const keys = createKeys('unused');
  const system = createSystemMetrics({ redis, keys, config: parseConfig({}, {}), queues: [], prices: { currency: 'USD', models: [] } });
  const meter = createUpstreamMeter({ redis, keys });
  void meter.close();
  redis.disconnect();
  const names = new Set<string>();
  for (const metric of [...system.getMetricsAsArray(), ...meter.registry.getMetricsAsArray()]) {
    const { name, type } = metric as unknown as { name: string; type: string };
    names.add(name);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
  }
  return names;
}

describe('the Grafana dashboard', () => {
  it('is a dashboard of schema 39 whose panels query the ${DS_PROMETHEUS} input', () => {
    expect(dashboard.schemaVersion).toBe(39);
    expect(dashboard.__inputs).toEqual([expect.objectContaining({ name: 'DS_PROMETHEUS', pluginId: 'prometheus' })]);
    const queried = dashboard.panels.filter((panel) => panel.type !== 'row');
    expect(queried.length).toBeGreaterThanOrEqual(12);
    for (const panel of queried) expect(panel.datasource?.uid, panel.title).toBe('${DS_PROMETHEUS}');
  });

  it('asks for no metric relayq does not expose, and shows every one it does', () => {
    const exposed = exposedNames();
    const used = new Set(queries.flatMap(({ expr }) => expr.match(/relayq_[a-z_]+/g) ?? []));
    for (const name of used) expect(exposed.has(name), `${name} is not exposed`).toBe(true);
    for (const name of exposed) {
      if (name === 'relayq_upstream_request_duration_seconds' || /_(sum|count)$/.test(name)) continue;
      expect(used.has(name), `no panel shows ${name}`).toBe(true);
    }
  });

  it('has queries promtool accepts', (context) => {
    if (!hasPromtool) context.skip('promtool is not installed (Debian package "prometheus")');
    const rules = queries.map(({ expr }, index) => ({
      record: `relayq:dashboard_query:${index}`,
      expr: expr.replaceAll('$__rate_interval', '1m').replaceAll('$__range', '6h'),
    }));
    const file = join(tempDir('relayq-dashboard'), 'rules.yaml');
    writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules }] }));
    const checked = spawnSync(promtoolPath, ['check', 'rules', file], { encoding: 'utf8' });
    expect(checked.stdout + checked.stderr).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(checked.status).toBe(0);
  });
});
