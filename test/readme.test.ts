/**
 * The README and docs/ are a contract: the error table and the configuration table must say what the code does,
 * the README must give the two set-up commands, and every link between the pages must lead somewhere.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ERROR_CATALOG, isDefinedHere, type ErrorCode } from '../src/core/errors.js';
import { SETTINGS, DEFAULT_ERROR_DOCS_URL } from '../src/config.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const page = (file: string) => fs.readFileSync(path.join(REPO, file), 'utf8');
const readme = page('README.md');
const DOC_FILES = ['README.md', ...fs.readdirSync(path.join(REPO, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** Rows of the markdown table of `file` whose header row starts with `| first |`. */
function tableRows(file: string, first: string): string[][] {
  const lines = page(file).split('\n');
  const start = lines.findIndex((l) => l.startsWith(`| ${first} |`));
  assert.notEqual(start, -1, `${file} has a table starting with "${first}"`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line.split(/(?<!\\)\|/).slice(1, -1).map((cell) => cell.trim().replace(/^`|`$/g, '')));
  }
  return rows;
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchorsOf(file: string): Set<string> {
  const headings = page(file).split('\n').filter((l) => /^#{1,6} /.test(l));
  return new Set(headings.map((h) => h.replace(/^#+ /, '').trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-')));
}

test('the error table (docs/api.md) lists every code of the catalog with its HTTP status, and nothing else', () => {
  const documented = new Map(tableRows('docs/api.md', 'Code').map(([code, status]) => [code, Number(status)]));
  const catalog = new Map(Object.entries(ERROR_CATALOG).map(([code, entry]) => [code, entry.status]));
  assert.deepEqual([...documented.keys()].sort(), [...catalog.keys()].sort());
  for (const [code, status] of catalog) assert.equal(documented.get(code), status, `status of ${code}`);
});

test('the docs name exactly the codes defined here (Recommend → IMM_ERROR_DOCS_URL), under the heading its default links to', () => {
  const api = page('docs/api.md');
  const sentence = /The codes defined here \(([^)]*)\)/.exec(api);
  assert.ok(sentence, 'docs/api.md has "The codes defined here (…)"');
  const named = [...sentence[1].matchAll(/`([^`]+)`/g)].map((m) => m[1]);
  const definedHere = (Object.keys(ERROR_CATALOG) as ErrorCode[]).filter(isDefinedHere);
  assert.deepEqual(named.sort(), definedHere.sort());
  const [file, anchor] = DEFAULT_ERROR_DOCS_URL.split('#');
  assert.ok(anchorsOf(file).has(anchor), `the default IMM_ERROR_DOCS_URL ${DEFAULT_ERROR_DOCS_URL} leads to a heading`);
});

test('the configuration table (docs/configuration.md) lists every setting with its variable and flag', () => {
  const documented = tableRows('docs/configuration.md', 'Variable').map(([variable, flag]) => `${variable} ${flag}`);
  const settings = Object.values(SETTINGS).map((s) => `${s.env} ${s.flag.split(' ')[0]}`);
  assert.deepEqual(documented.sort(), settings.sort());
});

test('the README gives the two set-up commands', () => {
  assert.match(readme, /^npm start$/m);
  assert.match(readme, /^npm test$/m);
});

test('every relative link of the README and docs/ leads to a file of the repository (and its anchor to a heading)', () => {
  const broken: string[] = [];
  for (const file of DOC_FILES) {
    for (const [, target] of page(file).matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target)) continue; // http(s), mailto
      const [where, anchor] = target.split('#');
      const linked = where === '' ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), where));
      if (!fs.existsSync(path.join(REPO, linked))) broken.push(`${file}: ${target} (no ${linked})`);
      else if (anchor && linked.endsWith('.md') && !anchorsOf(linked).has(anchor)) broken.push(`${file}: ${target} (no heading #${anchor} in ${linked})`);
    }
  }
  assert.deepEqual(broken, []);
});

test('the README stays short: what a newcomer needs, the reference in docs/', () => {
  const lines = readme.split('\n').length;
  assert.ok(lines <= 260, `README.md has ${lines} lines`);
  for (const file of DOC_FILES.filter((f) => f !== 'README.md' && f !== 'docs/README.md')) {
    assert.ok(page('docs/README.md').includes(`](${path.posix.basename(file)})`), `docs/README.md links to ${file}`);
  }
});
