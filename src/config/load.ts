import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../lib/config-error.ts';
import { formatIssues, formatPath } from '../lib/zod-issues.ts';
import { configSchema, type Config } from './schema.ts';

// In src/lib so that code the config's schema loads (providers, http) can use them without a cycle.
export { ConfigError, formatIssues, formatPath };

export const defaultConfigPath = 'config/relayq.yaml';

export interface LoadedConfig {
  config: Config;
  /** The file it came from, or null when relayq runs on embedded defaults. */
  source: string | null;
}

export interface LoadConfigOptions {
  /** `--config`; else `RELAYQ_CONFIG`; else config/relayq.yaml when present. */
  path?: string;
  env?: NodeJS.ProcessEnv;
}

export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const env = options.env ?? process.env;
  const explicit = options.path ?? env.RELAYQ_CONFIG;
  const source = explicit ?? (existsSync(defaultConfigPath) ? defaultConfigPath : null);

  let raw: unknown = {};
  if (source !== null) {
    let text: string;
    try {
      text = await readFile(source, 'utf8');
    } catch (error) {
      throw new ConfigError(`cannot read config file ${source}: ${(error as Error).message}`);
    }
    try {
      raw = parseYaml(text) ?? {};
    } catch (error) {
      throw new ConfigError(`config file ${source} is not valid YAML/JSON: ${(error as Error).message}`);
    }
  }
  return { config: parseConfig(raw, env, source ?? 'the built-in defaults'), source };
}

/** Validates a config object: `${VAR}` interpolation, the REDIS_URL override, then the schema. */
export function parseConfig(raw: unknown, env: NodeJS.ProcessEnv = process.env, where = 'config'): Config {
  // Interpolation and the schema recurse: a document nested thousands of levels deep is refused first.
  if (nestedDeeperThan(raw, maxConfigDepth))
    throw new ConfigError(`invalid config in ${where}: nested deeper than ${maxConfigDepth} levels`);
  const interpolated = interpolate(raw, env, []);
  if (env.REDIS_URL) {
    const object = (interpolated ?? {}) as Record<string, unknown>;
    const { cluster: _cluster, ...redis } = (object.redis ?? {}) as Record<string, unknown>;
    object.redis = { ...redis, url: env.REDIS_URL };
  }
  const parsed = configSchema.safeParse(interpolated);
  if (!parsed.success) throw new ConfigError(`invalid config in ${where}:\n${formatIssues(parsed.error.issues)}`);
  return parsed.data;
}

/** Levels of nesting a config may have (a real one has about five). */
const maxConfigDepth = 64;

/** Whether objects and arrays nest deeper than `limit` levels, found without recursion. */
function nestedDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop() as [unknown, number];
    if (item === null || typeof item !== 'object') continue;
    if (depth + 1 > limit) return true;
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return false;
}

const variablePattern = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Replaces `${VAR}` and `${VAR:-default}` in every string value, so secrets stay out of files. */
function interpolate(value: unknown, env: NodeJS.ProcessEnv, path: PropertyKey[]): unknown {
  if (typeof value === 'string') {
    return value.replace(variablePattern, (_match, name: string, fallback: string | undefined) => {
      const found = env[name];
      if (found !== undefined && found !== '') return found;
      if (fallback !== undefined) return fallback;
      throw new ConfigError(`config field ${formatPath(path)} uses \${${name}}, but the environment variable ${name} is not set`);
    });
  }
  if (Array.isArray(value)) return value.map((item, index) => interpolate(item, env, [...path, index]));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolate(item, env, [...path, key])]));
  }
  return value;
}
