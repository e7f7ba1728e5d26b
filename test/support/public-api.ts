// A package's public exports against the API list of its README, for a test per package:
//   expect(publicApiDrift('errors')).toEqual({ undocumented: [], unexported: [] })
// The exports are read from the entry's source with the TypeScript checker, so type-only
// exports count as much as values. The README's list is its `## API` section: each bullet names
// one or more exports in backticks before its first " — " (the rest of the line is prose).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The names `packages/<name>/src/<entry>.ts` exports (values and types), sorted. */
export function exportedNames(name: string, entry = 'index'): string[] {
  const file = `${root}packages/${name}/src/${entry}.ts`;
  const program = ts.createProgram([file], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2023,
    noEmit: true,
    skipLibCheck: true,
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  const symbol = source && checker.getSymbolAtLocation(source);
  if (!symbol) throw new Error(`${file}: not a module`);
  return checker
    .getExportsOfModule(symbol)
    .map((s) => s.getName())
    .sort();
}

/** The names the `## API` section of `packages/<name>/README.md` lists, sorted. */
export function documentedNames(name: string): string[] {
  const text = readFileSync(`${root}packages/${name}/README.md`, 'utf8');
  const start = text.search(/^## API\s*$/m);
  if (start < 0) throw new Error(`packages/${name}/README.md has no "## API" section`);
  const rest = text.slice(start).split('\n').slice(1);
  const end = rest.findIndex((line) => /^## /.test(line));
  const names = new Set<string>();
  for (const line of end < 0 ? rest : rest.slice(0, end)) {
    if (!/^\s*- /.test(line)) continue;
    const head = line.split(' — ')[0] ?? '';
    for (const m of head.matchAll(/`([A-Za-z_$][\w$]*)`/g)) names.add(m[1] as string);
  }
  return [...names].sort();
}

/** What differs: exports the README does not list, and listed names that are not exported. */
export function publicApiDrift(name: string): { undocumented: string[]; unexported: string[] } {
  const exported = exportedNames(name);
  const documented = new Set(documentedNames(name));
  const exportedSet = new Set(exported);
  return {
    undocumented: exported.filter((n) => !documented.has(n)),
    unexported: [...documented].filter((n) => !exportedSet.has(n)),
  };
}
