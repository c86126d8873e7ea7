/**
 * The simulator is the second opinion on the providers' wire formats: none of its code may come
 * from relayq's own providers, executors or anything else outside src/simulator/.
 */
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const simulatorDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../src/simulator');

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files = await Promise.all(
    entries.map((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return sourceFiles(path);
      return Promise.resolve(entry.name.endsWith('.ts') ? [path] : []);
    }),
  );
  return files.flat();
}

/** Relative import specifiers of a source file (static imports, re-exports and dynamic imports). */
function relativeImports(source: string): string[] {
  const pattern = /(?:from\s+|import\s*\(\s*|import\s+)'(\.{1,2}\/[^']+)'/g;
  return [...source.matchAll(pattern)].map((match) => match[1] ?? '');
}

describe('simulator independence', () => {
  it('imports nothing from outside src/simulator/ but packages', async () => {
    const files = await sourceFiles(simulatorDir);
    expect(files.length).toBeGreaterThan(10);
    const outside: string[] = [];
    for (const file of files) {
      for (const specifier of relativeImports(await readFile(file, 'utf8'))) {
        const target = relative(simulatorDir, resolve(dirname(file), specifier));
        if (target.startsWith('..')) outside.push(`${relative(simulatorDir, file)} → ${specifier}`);
      }
    }
    expect(outside).toEqual([]);
  });

  it('sees an import that leaves the folder', () => {
    const specifiers = relativeImports("import { x } from '../../providers/anthropic/index.ts';\nexport * from './y.ts';");
    expect(specifiers).toEqual(['../../providers/anthropic/index.ts', './y.ts']);
  });
});
