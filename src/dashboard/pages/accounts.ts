/**
 * `/accounts`: every account as all workers see it: health and cooldown, configured, learned and
 * effective limits, capacity left now per dimension, in-flight calls, 429s and errors over the
 * last hour, the last errors, and the bindings that dedicate it. Admins may disable and enable.
 */
import type { AccountsOverview, AccountView } from '../../operations/accounts.ts';
import { sparkline } from '../charts.ts';
import { ago, compact, html, type Html, type Viewer } from '../html.ts';
import { accountHealthView, ratePerSecond, type Snapshot } from '../overview-data.ts';

const dimensions = [
  ['rpm', 'requests/min'],
  ['inputTpm', 'input tokens/min'],
  ['outputTpm', 'output tokens/min'],
  ['tpm', 'tokens/min'],
  ['concurrency', 'concurrent'],
] as const;

const healthText: Record<string, string> = { ok: 'ok', at_limit: 'rate limited', cooling_down: 'cooling down', disabled: 'disabled' };

function limit(n: number | null): string {
  return n === null ? '–' : compact(n);
}

function perSecond(samples: Snapshot[], id: string, index: 1 | 2): number[] {
  const pick = (s: Snapshot) => s.perAccount?.[id]?.[index] ?? 0;
  return samples.slice(1).map((sample, i) => ratePerSecond(samples[i], sample, pick) * 60);
}

function accountCard(account: AccountView, samples: Snapshot[], overview: AccountsOverview, viewer: Viewer): Html {
  const health = accountHealthView(account);
  const bindings = Object.entries(overview.bindings).filter(
    ([target, binding]) =>
      (viewer.admin || target === `tenant:${viewer.tenant}`) &&
      (binding.accounts.includes(account.id) || (account.group !== null && binding.groups.includes(account.group))),
  );
  const button = account.enabled
    ? html`<button class="action disable" hx-post="/accounts/${account.id}/disable" hx-confirm="Disable ${account.id} for every worker? Its prompts go to the other accounts." hx-target="#accounts" hx-swap="innerHTML">Disable</button>`
    : html`<button class="action enable" hx-post="/accounts/${account.id}/enable" hx-confirm="Enable ${account.id} for every worker?" hx-target="#accounts" hx-swap="innerHTML">Enable</button>`;
  const hasLimits =
    account.learned.adaptiveRpm !== null ||
    dimensions.some(([d]) => account.configured[d] !== null || account.learned[d] !== null || account.effective[d] !== null);
  return html`<article class="account" id="account-${account.id}" data-health="${health}">
    <header><h2>${account.id}</h2><span class="dot ${health}"></span><span class="health">${healthText[health]}</span>
      <span class="muted">${account.provider ?? 'provider unknown'}${account.group ? ` · group ${account.group}` : ''}${account.inConfig ? '' : ' · not in this config'}</span>
      ${viewer.admin ? button : ''}</header>
    ${account.health.reason ? html`<p class="reason">${account.health.status === 'disabled' ? `Disabled${account.health.disabledBy ? ` by ${account.health.disabledBy}` : ''}` : 'Cooling down'}: ${account.health.reason}${account.health.until ? html` · until ${new Date(account.health.until).toLocaleTimeString('en-GB', { timeZone: 'UTC' })} UTC` : ''}</p>` : ''}
    ${
      !hasLimits
        ? html`<p class="muted">No limit configured or learned yet: relayq learns them from the provider's rate-limit headers.</p>`
        : html`<table class="limits"><thead><tr><th>limit</th><th class="num">configured</th><th class="num">learned</th><th class="num">effective</th><th>left now</th></tr></thead><tbody>
      ${dimensions.map(([dimension, label]) => {
        const fill = dimension === 'concurrency' ? null : account.usage.available[dimension];
        const effective = account.effective[dimension];
        if (account.configured[dimension] === null && account.learned[dimension] === null && effective === null) return '';
        return html`<tr><td>${label}</td><td class="num">${limit(account.configured[dimension])}</td><td class="num">${limit(account.learned[dimension])}</td><td class="num">${limit(effective)}</td>
          <td>${fill === null || fill === undefined ? '' : html`<span class="meter"><span style="width:${(fill * 100).toFixed(0)}%"></span></span> ${(fill * 100).toFixed(0)}%`}</td></tr>`;
      })}
      ${account.learned.adaptiveRpm !== null ? html`<tr><td>adaptive requests/min</td><td></td><td class="num">${compact(account.learned.adaptiveRpm)}</td><td></td><td></td></tr>` : ''}
    </tbody></table>`
    }
    <div class="stats">
      <span>in flight <b class="in-flight">${account.usage.inFlight}</b></span>
      <span>admitted <b>${compact(account.counters.admitted)}</b></span>
      <span>succeeded <b>${compact(account.counters.succeeded)}</b></span>
      <span>429s <b>${compact(account.counters.rateLimited)}</b> ${sparkline(perSecond(samples, account.id, 1), { width: 80, height: 18, label: '429s per minute, last hour' })}</span>
      <span>errors <b>${compact(account.counters.errors)}</b> ${sparkline(perSecond(samples, account.id, 2), { width: 80, height: 18, label: 'errors per minute, last hour' })}</span>
    </div>
    ${bindings.length > 0 ? html`<p>Dedicated to: ${bindings.map(([target, binding]) => html`<span class="tag">${target}${binding.exclusive ? ' (exclusive)' : ''}</span> `)}</p>` : ''}
    ${
      account.recentErrors.length > 0
        ? html`<details><summary>Last errors</summary><ul>${account.recentErrors.map((error) => html`<li><span class="muted">${ago(error.at)}</span> <b>${error.kind}</b>: ${error.message}</li>`)}</ul></details>`
        : ''
    }
  </article>`;
}

/** The live part (also what `/live/accounts` answers). */
export function accountsFragment(overview: AccountsOverview, samples: Snapshot[], viewer: Viewer, notice?: string): Html {
  return html`${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
  ${overview.availability.filter((note) => note.unavailable !== null).map((note) => html`<p class="warning">${note.unavailable}</p>`)}
  ${overview.waiting.map((pool) => html`<p class="warning">${compact(pool.prompts)} prompts wait for ${pool.provider} (${pool.accounts.join(', ')}): ${pool.reason}</p>`)}
  ${overview.accounts.length === 0 ? html`<p class="empty">No account is configured or registered.</p>` : overview.accounts.map((account) => accountCard(account, samples, overview, viewer))}`;
}

export function accountsPage(overview: AccountsOverview, samples: Snapshot[], viewer: Viewer): Html {
  return html`<h1>Accounts</h1>
  <div id="accounts" hx-get="/live/accounts" hx-trigger="every 2s" hx-swap="innerHTML">${accountsFragment(overview, samples, viewer)}</div>`;
}
