/** `/`: the whole system at a glance, each number with a sparkline of the last hour; the numbers refresh every 2 s. */
import { sparkline } from '../charts.ts';
import { compact, html, money, type Html } from '../html.ts';
import { accountHealths, queueStates, ratePerSecond, type OverviewSource, type Snapshot } from '../overview-data.ts';

const healthLabels: Record<string, string> = { ok: 'ok', at_limit: 'rate limited', cooling_down: 'cooling down', disabled: 'disabled' };

function tile(label: string, value: string, series: number[], id: string): Html {
  return html`<div class="tile" id="${id}"><div class="tile-label">${label}</div><div class="tile-value">${value}</div>${sparkline(series, { label: `${label}, last hour` })}</div>`;
}

function rates(samples: Snapshot[], pick: (s: Snapshot) => number): number[] {
  return samples.slice(1).map((sample, index) => ratePerSecond(samples[index], sample, pick));
}

/** The live part of the page (also what `/live/overview` answers). */
export async function overviewFragment(source: OverviewSource): Promise<Html> {
  const [current, samples] = await Promise.all([source.now(), source.samples()]);
  const last = samples.at(-1);
  // Rates now: from the last sample to the current snapshot (or between the last two samples).
  const previous = last !== undefined && current.t - last.t >= 1000 ? last : samples.at(-2);
  const series = [...samples, current];
  const queueTotal = (s: Snapshot, state: string) => Object.values(s.queues).reduce((sum, counts) => sum + (counts[state] ?? 0), 0);
  const promptQueue = current.queues.prompt ?? {};
  return html`
  <section class="tiles">
    ${tile(
      'prompts/s',
      compact(ratePerSecond(previous, current, (s) => s.results)),
      rates(series, (s) => s.results),
      'prompts-rate',
    )}
    ${tile(
      'upstream requests/s',
      compact(ratePerSecond(previous, current, (s) => s.admitted)),
      rates(series, (s) => s.admitted),
      'upstream-rate',
    )}
    ${tile(
      'tokens today',
      compact(current.tokensToday),
      series.map((s) => s.tokensToday),
      'tokens-today',
    )}
    ${tile(
      'cost today',
      money(current.costToday, current.currency),
      series.map((s) => s.costToday ?? 0),
      'cost-today',
    )}
    ${tile(
      'workers alive',
      String(current.workers),
      series.map((s) => s.workers),
      'workers',
    )}
  </section>
  <section class="tiles">
    ${queueStates.map((state) =>
      tile(
        `prompt jobs ${state}`,
        compact(promptQueue[state] ?? 0),
        series.map((s) => s.queues.prompt?.[state] ?? 0),
        `queue-${state}`,
      ),
    )}
  </section>
  <section><h2>Queues</h2>
      <table><thead><tr><th>queue</th>${queueStates.map((state) => html`<th class="num">${state}</th>`)}</tr></thead>
      <tbody>${Object.entries(current.queues).map(
        ([name, counts]) =>
          html`<tr><td><a href="/queues/queue/${name}">${name}</a></td>${queueStates.map((state) => html`<td class="num">${compact(counts[state] ?? 0)}</td>`)}</tr>`,
      )}</tbody></table>
      <p class="muted">All queues waiting: ${compact(queueTotal(current, 'waiting') + queueTotal(current, 'prioritized'))}</p>
    </section>
  <div class="columns">
    <section><h2>Batches by status</h2>
      <table><tbody>${Object.entries(current.batches)
        .filter(([, n]) => n > 0)
        .map(
          ([status, n]) =>
            html`<tr><td><a href="/batches?status=${status}">${status.replace('_', ' ')}</a></td><td class="num">${n}</td><td>${sparkline(
              series.map((s) => s.batches[status] ?? 0),
              { width: 80, height: 18 },
            )}</td></tr>`,
        )}</tbody></table>
    </section>
    <section><h2>Accounts by health</h2>
      <table><tbody>${accountHealths.map(
        (health) =>
          html`<tr><td><span class="dot ${health}"></span>${healthLabels[health]}</td><td class="num">${current.accounts[health]}</td><td>${sparkline(
            series.map((s) => s.accounts[health] ?? 0),
            { width: 80, height: 18 },
          )}</td></tr>`,
      )}</tbody></table>
      <p><a href="/accounts">Accounts</a></p>
    </section>
  </div>`;
}

export async function overviewPage(source: OverviewSource): Promise<Html> {
  return html`<h1>Overview</h1>
  <div id="overview" hx-get="/live/overview" hx-trigger="every 2s" hx-swap="innerHTML">${await overviewFragment(source)}</div>`;
}
