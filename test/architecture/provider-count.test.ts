/**
 * Adding a provider = one folder + one line in src/providers/index.ts. The proof: the files under
 * src/ and jobs/ outside a provider's folder that name its id as a string literal or import from
 * its folder (the simulator aside: it is the second opinion on the wire formats). For Azure
 * OpenAI and Bedrock that must be one file, the provider list. The count for every provider is
 * printed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { providerNames } from '../../src/providers/index.ts';
import { relativeImports, repoRoot, sourceFiles } from './source-graph.ts';

/** The providers whose count the architecture promises (the last two added). */
const counted = ['azure-openai', 'bedrock'] as const;

const files = sourceFiles().filter((file) => !file.startsWith('src/simulator/'));
const imports = relativeImports(files);

/** String literals (and templates without substitutions) of a file, comments left out. */
function stringLiteralsOf(file: string): Set<string> {
  const source = ts.createSourceFile(file, readFileSync(join(repoRoot, file), 'utf8'), ts.ScriptTarget.Latest, false);
  const found = new Set<string>();
  const visit = (node: ts.Node) => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) found.add(node.text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const literals = new Map(files.map((file) => [file, stringLiteralsOf(file)]));

/** The files outside `src/providers/<id>/` that name `id` or import from that folder, each with why. */
function filesNaming(id: string): { file: string; why: string[] }[] {
  const folder = `src/providers/${id}/`;
  const found: { file: string; why: string[] }[] = [];
  for (const file of files) {
    if (file.startsWith(folder)) continue;
    const why: string[] = [];
    if (literals.get(file)?.has(id)) why.push(`the string '${id}'`);
    for (const edge of imports) {
      if (edge.from === file && edge.to.startsWith(folder)) why.push(`import '${edge.specifier}'`);
    }
    if (why.length > 0) found.push({ file, why });
  }
  return found;
}

describe('files that know a provider, outside its folder', () => {
  const counts = providerNames.map((id) => ({ id, files: filesNaming(id) }));
  const report = counts
    .map(({ id, files: named }) => `${id}: ${named.length}\n${named.map(({ file, why }) => `  ${file} (${why.join(', ')})`).join('\n')}`)
    .join('\n');

  it('prints the count for every provider', () => {
    console.log(`files under src/ and jobs/ (simulator aside) naming a provider outside its folder:\n${report}`);
    expect(counts.find(({ id }) => id === 'anthropic')?.files.map(({ file }) => file)).toContain('src/providers/index.ts');
  });

  for (const id of counted) {
    it(`names ${id} in one file only, the provider list`, () => {
      const named = filesNaming(id).map(({ file, why }) => `${file} (${why.join(', ')})`);
      expect(
        named,
        `${id} is named outside src/providers/${id}/ in ${named.length} files; only src/providers/index.ts may:\n  ${named.join('\n  ')}\n`,
      ).toEqual([`src/providers/index.ts (import './${id}/index.ts')`]);
    });
  }
});
