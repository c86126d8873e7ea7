import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

/**
 * relayq's Lua scripts, one file each in ./scripts (KEYS/ARGV documented in each header; the
 * number in the file name is the key count; a name without one takes a varying number of keys,
 * passed as the command's first argument). ioredis runs them with EVALSHA, falling back to EVAL
 * once per connection.
 *
 * Code shared between scripts lives in ./scripts/includes and is pulled in the way BullMQ does
 * it: a line `--- @include "includes/name"` (path relative to the including file, `.lua`
 * optional) is replaced by that file when the script is loaded; nested includes are resolved,
 * each file at most once per script (its functions are defined once), and a cycle is an error.
 */
const scriptFiles = {
  acceptLines: 'acceptLines-3.lua',
  finishIngest: 'finishIngest-3.lua',
  storeResults: 'storeResults-7.lua',
  finalizeBatch: 'finalizeBatch-8.lua',
  transitionBatch: 'transitionBatch-1.lua',
  pendingLines: 'pendingLines-2.lua',
  reopenResults: 'reopenResults-7.lua',
  admitAccount: 'admitAccount.lua',
  settleAccount: 'settleAccount-3.lua',
  parkJob: 'parkJob-4.lua',
  unparkJobs: 'unparkJobs-5.lua',
  releaseLock: 'releaseLock-1.lua',
} as const;

type ScriptName = keyof typeof scriptFiles;

const sources = new Map<ScriptName, { lua: string; numberOfKeys?: number }>();

function source(name: ScriptName): { lua: string; numberOfKeys?: number } {
  let found = sources.get(name);
  if (!found) {
    const file = scriptFiles[name];
    const count = /-(\d+)\.lua$/.exec(file)?.[1];
    found = {
      lua: loadLua(new URL(`./scripts/${file}`, import.meta.url)),
      ...(count === undefined ? {} : { numberOfKeys: Number(count) }),
    };
    sources.set(name, found);
  }
  return found;
}

const includePattern = /^---\s*@include\s+"([^"]+)"\s*$/gm;

/** A script's source with its `--- @include` lines replaced by the files they name. */
export function loadLua(file: URL): string {
  return resolveIncludes(file, new Set(), []);
}

function resolveIncludes(file: URL, included: Set<string>, stack: readonly string[]): string {
  if (stack.includes(file.href))
    throw new Error(`Lua include cycle: ${[...stack, file.href].map((href) => href.split('/scripts/').pop()).join(' -> ')}`);
  const text = readFileSync(file, 'utf8');
  return text.replace(includePattern, (_line, name: string) => {
    const target = new URL(name.endsWith('.lua') ? name : `${name}.lua`, file);
    if (included.has(target.href)) return '';
    const body = resolveIncludes(target, included, [...stack, file.href]);
    included.add(target.href);
    return body.replace(/\n+$/, '');
  });
}

export interface ScriptedRedis extends Redis {
  acceptLines(k1: string, k2: string, k3: string, ...args: (string | number)[]): Promise<number[]>;
  finishIngest(k1: string, k2: string, k3: string, ...args: (string | number)[]): Promise<string>;
  storeResults(...keysThenArgs: (string | number | Buffer)[]): Promise<number[]>;
  finalizeBatch(...keysThenArgs: (string | number)[]): Promise<string>;
  transitionBatch(key: string, ...args: (string | number)[]): Promise<[number, string]>;
  pendingLines(k1: string, k2: string, ...args: (string | number)[]): Promise<string[]>;
  reopenResults(...keysThenArgs: (string | number)[]): Promise<number>;
  admitAccount(numberOfKeys: number, ...keysThenArgs: (string | number)[]): Promise<(number | string)[]>;
  settleAccount(k1: string, k2: string, k3: string, ...args: (string | number)[]): Promise<[number, number, string, number]>;
  parkJob(k1: string, k2: string, k3: string, k4: string, ...args: (string | number)[]): Promise<[number, number]>;
  unparkJobs(k1: string, k2: string, k3: string, k4: string, k5: string, ...args: (string | number)[]): Promise<(string | number)[]>;
  releaseLock(key: string, token: string): Promise<number>;
}

/** Every script's name and source (what EVALSHA's SHA-1 is taken of). */
export function scriptSources(): { name: ScriptName; lua: string }[] {
  return (Object.keys(scriptFiles) as ScriptName[]).map((name) => ({ name, lua: source(name).lua }));
}

/** Adds relayq's scripts to a connection as commands (idempotent). */
export function withScripts(redis: Redis): ScriptedRedis {
  const scripted = redis as ScriptedRedis;
  for (const name of Object.keys(scriptFiles) as ScriptName[]) {
    if (typeof (scripted as unknown as Record<string, unknown>)[name] !== 'function') {
      scripted.defineCommand(name, source(name));
    }
  }
  return scripted;
}
