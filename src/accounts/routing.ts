/**
 * Which provider serves a model: the config's routing rules first (first match wins), then the
 * built-in model families. Also the model-name globs used by rules and accounts[].models.
 */
import { providers, type ProviderName } from '../providers/index.ts';

/** One entry of the config's `routing` list: models matching the glob go to the provider. */
export interface RoutingRule {
  /** A model name or glob (`*` matches any run of characters), as in accounts[].models. */
  model: string;
  provider: ProviderName;
}

/**
 * Model-name families (each provider module's `modelPatterns`) and the provider that serves them
 * when a line and the rules do not say. No name matches two providers' patterns, so the list
 * order does not decide (test/accounts/routing.test.ts checks).
 */
const modelFamilies: ReadonlyArray<[RegExp, ProviderName]> = providers.flatMap((provider) =>
  provider.modelPatterns.map((pattern): [RegExp, ProviderName] => [pattern, provider.id]),
);

/** The built-in family a model name belongs to, or undefined. */
export function providerForModel(model: string): ProviderName | undefined {
  return modelFamilies.find(([pattern]) => pattern.test(model))?.[1];
}

/** The provider for a model: the first routing rule that matches it, else its family. */
export function routeModel(model: string, rules: readonly RoutingRule[] = []): ProviderName | undefined {
  for (const rule of rules) {
    if (globToRegExp(rule.model).test(model)) return rule.provider;
  }
  return providerForModel(model);
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
    const source = glob
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    pattern = new RegExp(`^${source}$`);
    compiled.set(glob, pattern);
  }
  return pattern;
}
