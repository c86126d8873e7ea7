import type { Estimate } from '../../usage/estimate.ts';
import { unavailableLines, type ProviderAvailabilityNote } from '../../operations/availability.ts';
import { formatNumber } from '../progress.ts';
import { formatCost, renderTable } from '../style.ts';
import { printReject } from './submit.ts';

/**
 * Prints a `submit --dry-run` estimate: a table per model, or JSON; with, for each provider and
 * model, whether an account can take its calls now (`availability`).
 */
export function printEstimate(estimate: Estimate, json: boolean, availability: readonly ProviderAvailabilityNote[] = []): void {
  if (json) {
    process.stdout.write(`${JSON.stringify({ ...estimate, availability }, null, 2)}\n`);
    return;
  }
  for (const reject of estimate.rejects.slice(0, 20)) printReject(reject);
  const rows = estimate.groups.map((group) => [
    group.provider,
    group.model,
    formatNumber(group.prompts),
    formatNumber(group.input_tokens),
    formatNumber(group.max_output_tokens),
    formatCost(group.max_cost, estimate.currency),
    group.accounts.length > 0 ? group.accounts.join(', ') : 'NONE (add an account for it)',
  ]);
  process.stdout.write(
    `${formatNumber(estimate.lines)} lines (${estimate.input_format ?? 'unknown'} format): ${formatNumber(estimate.prompts)} prompts, ${formatNumber(estimate.rejected)} rejected\n` +
      `${renderTable(['PROVIDER', 'MODEL', 'PROMPTS', 'INPUT TOKENS (EST.)', 'MAX OUTPUT TOKENS', 'COST (AT MOST)', 'ACCOUNTS'], rows)}\n` +
      `total: about ${formatNumber(estimate.total.input_tokens)} input tokens, at most ${formatNumber(estimate.total.max_output_tokens)} output tokens, ` +
      `${estimate.total.max_cost === null ? 'cost unknown (below)' : `at most ${formatCost(estimate.total.max_cost, estimate.currency)} at list prices`} (input estimated at 4 characters a token; every answer at its output limit)\n` +
      estimate.groups
        .filter((group) => group.cost_unknown_reason !== undefined)
        .map((group) => `cost unknown: ${group.cost_unknown_reason}\n`)
        .join('') +
      (estimate.total.max_cost === null
        ? `the cost leaves out ${formatNumber(estimate.total.unpriced_tokens)} estimated tokens; the rest costs at most ${formatCost(estimate.total.partial_max_cost ?? 0, estimate.currency)}\n`
        : '') +
      unavailableLines(availability, 'warning: ')
        .map((line) => `${line}\n`)
        .join(''),
  );
}
