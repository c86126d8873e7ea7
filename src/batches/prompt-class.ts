/**
 * Prompt size classes. Some prices depend on the size of each request's prompt (Claude Sonnet,
 * Gemini Pro and GPT-5.4 and later charge a higher rate for the whole request above 128k, 200k or
 * 272k prompt tokens), but usage is counted per day, account and model, not per request. So each
 * result's usage is counted under its prompt's size class: within a class every request falls in
 * the same price tier, so the cost of a class's sum is its request count times the cost of its
 * average request — exact, with no per-request record kept.
 *
 * The boundaries are the tier starts of the price dataset (a tier applies above its start);
 * test/usage/price-dataset.test.ts fails when an update of the data brings a start not listed here.
 */

/** Prompt-token counts above which some model's price changes. */
export const promptClassBoundaries = [128_000, 200_000, 271_999, 272_000] as const;

/** A prompt's class: '' up to the first boundary, else `>N` for the largest boundary it exceeds. */
export function promptClass(promptTokens: number): string {
  let found = '';
  for (const boundary of promptClassBoundaries) if (promptTokens > boundary) found = `>${boundary}`;
  return found;
}

/** Whether a string is a class `promptClass` can return (other than ''). */
export function isPromptClass(value: string): boolean {
  return promptClassBoundaries.some((boundary) => value === `>${boundary}`);
}
