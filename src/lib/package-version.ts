import { readFileSync } from 'node:fs';

/**
 * relayq's version, from its package.json: two folders up from src/lib/ in a checkout, three
 * from dist/src/lib/ in the built package.
 */
export function packageVersion(): string {
  for (const path of ['../../package.json', '../../../package.json']) {
    try {
      const manifest = JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as { name?: unknown; version?: unknown };
      if (manifest.name === 'relayq' && typeof manifest.version === 'string') return manifest.version;
    } catch {
      // not this folder
    }
  }
  return 'unknown';
}
