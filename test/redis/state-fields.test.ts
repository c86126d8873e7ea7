/**
 * The account-state fields are named once, in src/accounts/state-fields.ts: every field the Lua
 * scripts read or write must be named there, and every field named there must be used by a
 * script (or be one the config writes from TypeScript).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { accountStateFields, limitDimensions } from '../../src/accounts/state-fields.ts';

const scriptsDir = new URL('../../src/redis/scripts/', import.meta.url);

function luaSources(): Map<string, string> {
  const sources = new Map<string, string>();
  for (const name of readdirSync(scriptsDir)) if (name.endsWith('.lua')) sources.set(name, readFileSync(new URL(name, scriptsDir), 'utf8'));
  for (const name of readdirSync(new URL('includes/', scriptsDir)))
    sources.set(`includes/${name}`, readFileSync(new URL(`includes/${name}`, scriptsDir), 'utf8'));
  return sources;
}

/** `'lvl_' .. d` names one field per dimension. */
function expand(name: string, perDimension: boolean): string[] {
  return perDimension ? limitDimensions.map((d) => `${name}${d}`) : [name];
}

/** The account fields a script uses, however it spells them. */
export function fieldsUsed(lua: string): Set<string> {
  const code = lua.replace(/--\[\[[\s\S]*?\]\]/g, '').replace(/--.*$/gm, '');
  const used = new Set<string>();
  const add = (name: string, perDimension: boolean): void => {
    for (const field of expand(name, perDimension)) used.add(field);
  };
  const patterns = [
    // get('ovl'), num('lrn_' .. d), set('cool', ...), value('cap_' .. d)
    /\b(?:get|num|set|value)\('([a-z0-9_]+)'(\s*\.\.\s*d\b)?/g,
    // st.cfg_on, st['lvl_' .. d]
    /\bst\.([a-z0-9_]+)()/g,
    /\bst\['([a-z0-9_]+)'(\s*\.\.\s*d\b)?\]/g,
  ];
  for (const pattern of patterns) for (const match of code.matchAll(pattern)) add(match[1]!, Boolean(match[2]));
  // redis.call('HINCRBY', stateKey, 'infl', 1), redis.call('HSET', stateKey, 'lvl_' .. d, level, 'ts_' .. d, now)
  for (const call of code.matchAll(/redis\.call\('H[A-Z]+',\s*stateKey,([^\n]*)\)/g)) {
    for (const literal of call[1]!.matchAll(/'([a-z0-9_]+)'(\s*\.\.\s*d\b)?/g)) add(literal[1]!, Boolean(literal[2]));
  }
  // A table of field names read with HMGET: local fields = { 'cfg_r', ... }
  for (const table of code.matchAll(/local fields = \{([^}]*)\}/g)) {
    for (const literal of table[1]!.matchAll(/'([a-z0-9_]+)'/g)) add(literal[1]!, false);
  }
  return used;
}

describe('account-state fields', () => {
  const sources = luaSources();
  const named = new Set<string>(accountStateFields);
  const accountScripts = [...sources].filter(([, lua]) => fieldsUsed(lua).size > 0);

  it('finds the account scripts and what they use', () => {
    expect(accountScripts.map(([name]) => name).sort()).toEqual(['admitAccount.lua', 'includes/accountLimits.lua', 'settleAccount-3.lua']);
    expect(fieldsUsed(sources.get('settleAccount-3.lua')!)).toContain('ovl');
    expect(fieldsUsed(sources.get('admitAccount.lua')!)).toContain('lvl_t');
  });

  it('names every field the Lua scripts use', () => {
    for (const [name, lua] of accountScripts) {
      const unknown = [...fieldsUsed(lua)].filter((field) => !named.has(field));
      expect(unknown, `${name} uses fields state-fields.ts does not name`).toEqual([]);
    }
  });

  it('names no field that neither a script nor the config uses', () => {
    const used = new Set(accountScripts.flatMap(([, lua]) => [...fieldsUsed(lua)]));
    // Written from the config by state.ts and read by people, never by a script.
    const configOnly = new Set(['provider', 'group']);
    expect(accountStateFields.filter((field) => !used.has(field) && !configOnly.has(field))).toEqual([]);
  });
});
