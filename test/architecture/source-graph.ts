/**
 * The import graph of relayq's own sources (src/ and jobs/), read with TypeScript's own
 * pre-processor: static imports, `export ... from`, side-effect imports and `import('...')`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** One relative import: the importing file and the file it names, both relative to the repo root with `/`. */
export interface SourceImport {
  from: string;
  to: string;
  specifier: string;
}

/** Every .ts file under `dirs` (relative to the repo root, `/`-separated), sorted. */
export function sourceFiles(dirs: readonly string[] = ['src', 'jobs']): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(repoRoot, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) files.push(path);
    }
  };
  for (const dir of dirs) walk(dir);
  return files.sort();
}

/** The module specifiers a file names (static, re-exports, side-effect and dynamic imports). */
export function specifiersOf(file: string): string[] {
  const text = readFileSync(join(repoRoot, file), 'utf8');
  return ts.preProcessFile(text, true, true).importedFiles.map((imported) => imported.fileName);
}

/** The relative imports of `files`, resolved to repo paths (package imports left out). */
export function relativeImports(files: readonly string[]): SourceImport[] {
  const imports: SourceImport[] = [];
  for (const file of files) {
    for (const specifier of specifiersOf(file)) {
      if (!specifier.startsWith('./') && !specifier.startsWith('../')) continue;
      const target = relative(repoRoot, resolve(repoRoot, dirname(file), specifier))
        .split(sep)
        .join('/');
      imports.push({ from: file, to: target, specifier });
    }
  }
  return imports;
}

/**
 * The folder a file belongs to in the architecture: the first level under src/ (`src/scheduler`;
 * a file directly under src/ is its own unit, `src/runtime.ts`), or the job type under jobs/
 * (`jobs/prompt`). Anything else (tests, bench) is outside the graph.
 */
export function folderOf(path: string): string | undefined {
  const parts = path.split('/');
  if ((parts[0] === 'src' || parts[0] === 'jobs') && parts.length >= 2) return `${parts[0]}/${parts[1]}`;
  return undefined;
}

/** Folder → folder edges, each with the file imports that make it. */
export function folderGraph(imports: readonly SourceImport[]): Map<string, Map<string, SourceImport[]>> {
  const graph = new Map<string, Map<string, SourceImport[]>>();
  for (const edge of imports) {
    const from = folderOf(edge.from);
    const to = folderOf(edge.to);
    if (from === undefined || to === undefined || from === to) continue;
    let targets = graph.get(from);
    if (targets === undefined) graph.set(from, (targets = new Map()));
    const list = targets.get(to) ?? [];
    list.push(edge);
    targets.set(to, list);
  }
  return graph;
}

/** The strongly connected groups of more than one folder (Tarjan), each sorted; every one holds a cycle. */
export function cyclicGroups(graph: Map<string, Map<string, unknown>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const groups: string[][] = [];
  let next = 0;
  const nodes = new Set<string>([...graph.keys(), ...[...graph.values()].flatMap((targets) => [...targets.keys()])]);
  const visit = (node: string) => {
    index.set(node, next);
    low.set(node, next);
    next += 1;
    stack.push(node);
    onStack.add(node);
    for (const target of graph.get(node)?.keys() ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(node, Math.min(low.get(node)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node)!, index.get(target)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const group: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        group.push(member);
      } while (member !== node);
      if (group.length > 1) groups.push(group.sort());
    }
  };
  for (const node of [...nodes].sort()) if (!index.has(node)) visit(node);
  return groups;
}

/** One shortest cycle through `start` inside `group` (breadth-first), as a folder path ending at `start`. */
export function cycleThrough(graph: Map<string, Map<string, unknown>>, group: readonly string[], start: string): string[] {
  const inGroup = new Set(group);
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift()!;
    for (const target of graph.get(node)?.keys() ?? []) {
      if (!inGroup.has(target)) continue;
      if (target === start) {
        const path = [node];
        while (path[0] !== start) path.unshift(previous.get(path[0]!)!);
        return [...path, start];
      }
      if (!previous.has(target) && target !== start) {
        previous.set(target, node);
        queue.push(target);
      }
    }
  }
  return [start];
}
