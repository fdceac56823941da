/**
 * The fenced code blocks of the README and docs/, each with the check declared right above it
 * (`<!-- check: KIND ARGS -->`, an HTML comment the reader does not see). See codeBlocks.test.ts for the kinds.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface CodeBlock {
  /** Relative to the repository, e.g. `docs/api.md`. */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  text: string;
  /** The declaration's words (`['run-js', 'twice']`), or undefined when the line above is no `check:` comment. */
  check?: string[];
  /** The file name the block gives itself in its first line (`// demo.mjs — …`), if any. */
  name?: string;
}

export const DECLARATION = /^<!-- check: (.+?) -->$/;

/** The markdown files whose blocks are checked: the README and every page of docs/. */
export function docFiles(repo: string): string[] {
  const docs = fs.readdirSync(path.join(repo, 'docs')).filter((f) => f.endsWith('.md')).sort();
  return ['README.md', ...docs.map((f) => `docs/${f}`)];
}

/** Every fenced block of `file`; also the declarations that stand above no block (`orphans`, by line). */
export function codeBlocks(repo: string, file: string): { blocks: CodeBlock[]; orphans: number[] } {
  const lines = fs.readFileSync(path.join(repo, file), 'utf8').split('\n');
  const blocks: CodeBlock[] = [];
  const declared = new Set<number>();
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i]);
    if (!open) continue;
    const close = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
    if (close === -1) throw new Error(`${file}:${i + 1}: a code fence that is never closed`);
    let above = i - 1;
    while (above >= 0 && lines[above].trim() === '') above--;
    const declaration = above >= 0 ? DECLARATION.exec(lines[above].trim()) : null;
    if (declaration) declared.add(above);
    const text = lines.slice(i + 1, close).join('\n') + '\n';
    blocks.push({
      file,
      line: i + 1,
      lang: open[1],
      text,
      check: declaration ? declaration[1].trim().split(/\s+/) : undefined,
      name: /^\/\/ (\S+\.m?js)\b/.exec(text)?.[1],
    });
    i = close;
  }
  const orphans = lines.flatMap((l, i) => (DECLARATION.test(l.trim()) && !declared.has(i) ? [i + 1] : []));
  return { blocks, orphans };
}

/** The commands of a shell block: its lines without comments and blank lines. */
export function shellCommands(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/(^|\s)#.*$/, '').trim())
    .filter((l) => l !== '');
}
