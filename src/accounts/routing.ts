import type { ProviderName } from '../config/schema.ts';

/** Model-name families and the provider that serves them when a line does not say. */
const modelFamilies: ReadonlyArray<[RegExp, ProviderName]> = [
  [/^claude-/, 'anthropic'],
  [/^anthropic\./, 'bedrock'],
  [/^(gpt-|o\d|chatgpt-|text-embedding-)/, 'openai'],
  [/^(gemini-|text-embedding-00|gemini-embedding-)/, 'gemini'],
];

export function providerForModel(model: string): ProviderName | undefined {
  return modelFamilies.find(([pattern]) => pattern.test(model))?.[1];
}

/** Whether `model` matches one of an account's model patterns (`*` matches any run of characters). */
export function modelMatches(patterns: readonly string[] | undefined, model: string): boolean {
  if (!patterns || patterns.length === 0) return true;
  return patterns.some((pattern) => globToRegExp(pattern).test(model));
}

const compiled = new Map<string, RegExp>();

function globToRegExp(glob: string): RegExp {
  let pattern = compiled.get(glob);
  if (!pattern) {
    const source = glob.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
    pattern = new RegExp(`^${source}$`);
    compiled.set(glob, pattern);
  }
  return pattern;
}
