/** `--- @include` in relayq's Lua scripts, resolved when a script is loaded (as BullMQ does it). */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadLua } from '../../src/redis/scripts.ts';
import { testPrefix, testRedis } from '../helpers/redis.ts';

const redis = testRedis();
const key = `{${testPrefix('include')}}:counter`;
afterAll(async () => {
  await redis.del(key);
  redis.disconnect();
});

function scriptDir(files: Record<string, string>): URL {
  const dir = mkdtempSync(join(tmpdir(), 'relayq-lua-'));
  mkdirSync(join(dir, 'includes'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return pathToFileURL(`${dir}/`);
}

describe('Lua includes', () => {
  it('replaces each include with its file, nested ones too, each file once, and the script runs', async () => {
    const dir = scriptDir({
      'bump-1.lua':
        '--- @include "includes/twice"\n--- @include "includes/double"\nreturn twice(redis.call("INCRBY", KEYS[1], double(ARGV[1])))\n',
      'includes/double.lua': 'local function double(n) return 2 * tonumber(n) end\n',
      'includes/twice.lua': '--- @include "double"\nlocal function twice(n) return double(n) end\n',
    });
    const lua = loadLua(new URL('bump-1.lua', dir));
    expect(lua).not.toContain('@include');
    expect(lua.match(/local function double/g)).toHaveLength(1);
    expect(await redis.eval(lua, 1, key, 5)).toBe(20);
  });

  it('refuses an include cycle, naming it', () => {
    const dir = scriptDir({
      'loop-0.lua': '--- @include "includes/a"\nreturn 1\n',
      'includes/a.lua': '--- @include "b"\n',
      'includes/b.lua': '--- @include "a.lua"\n',
    });
    expect(() => loadLua(new URL('loop-0.lua', dir))).toThrow(/include cycle: .*a\.lua -> .*b\.lua -> .*a\.lua/);
  });

  it("loads relayq's account scripts with their shared fragment in place", () => {
    for (const name of ['admitAccount.lua', 'settleAccount-3.lua']) {
      const lua = loadLua(new URL(`../../src/redis/scripts/${name}`, import.meta.url));
      expect(lua).not.toContain('@include');
      expect(lua).toContain('local function limitOf(value, d)');
    }
  });
});
