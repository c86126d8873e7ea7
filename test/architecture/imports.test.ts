/**
 * Imports run one way: no cycle among the folders of src/ (and jobs/), and nothing under src/
 * imports jobs/ (jobs/<queue>/ sits on top of src/). `src/providers/<name>/` count as
 * `src/providers`. A failure prints each cycle with a file import for every step.
 */
import { describe, expect, it } from 'vitest';
import { cycleThrough, cyclicGroups, folderGraph, relativeImports, sourceFiles, type SourceImport } from './source-graph.ts';

const files = sourceFiles();
const imports = relativeImports(files);

describe('import direction', () => {
  it('reads the sources (sanity check of the parser)', () => {
    expect(files.length).toBeGreaterThan(50);
    const specifiers = imports.filter((edge) => edge.from === 'src/providers/index.ts').map((edge) => edge.specifier);
    expect(specifiers).toContain('./types.ts');
  });

  it('finds and prints a cycle (sanity check of the cycle finder)', () => {
    const graph = new Map([
      ['src/a', new Map([['src/b', []]])],
      ['src/b', new Map([['src/c', []]])],
      [
        'src/c',
        new Map([
          ['src/a', []],
          ['src/d', []],
        ]),
      ],
    ]);
    expect(cyclicGroups(graph)).toEqual([['src/a', 'src/b', 'src/c']]);
    expect(cycleThrough(graph, ['src/a', 'src/b', 'src/c'], 'src/a')).toEqual(['src/a', 'src/b', 'src/c', 'src/a']);
  });

  it('has no cycle among the folders of src/ and jobs/', () => {
    const graph = folderGraph(imports);
    const problems = cyclicGroups(graph).map((group) => {
      const cycle = cycleThrough(graph, group, group[0]!);
      const steps = cycle.slice(0, -1).map((from, step) => {
        const to = cycle[step + 1]!;
        const examples = graph.get(from)!.get(to)!;
        return `    ${from} → ${to}: ${describeImport(examples[0]!)}${examples.length > 1 ? ` (and ${examples.length - 1} more)` : ''}`;
      });
      return `  folders ${group.join(', ')} import each other; one cycle: ${cycle.join(' → ')}\n${steps.join('\n')}`;
    });
    expect(problems, `folder import cycles:\n${problems.join('\n')}\n`).toEqual([]);
  });

  it('has nothing under src/ import jobs/', () => {
    const upward = imports.filter((edge) => edge.from.startsWith('src/') && edge.to.startsWith('jobs/')).map(describeImport);
    expect(upward, `src/ must not import jobs/ (what src/ needs of a job lives in src/):\n  ${upward.join('\n  ')}\n`).toEqual([]);
  });
});

function describeImport(edge: SourceImport): string {
  return `${edge.from} imports '${edge.specifier}'`;
}
