/** The README is a contract: its code table and configuration table must say what the code does. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ERROR_CATALOG, isDefinedHere, type ErrorCode } from '../src/core/errors.js';
import { SETTINGS } from '../src/config.js';

const readme = fs.readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../README.md'), 'utf8');

/** Rows of the markdown table whose header row starts with `| first |`. */
function tableRows(first: string): string[][] {
  const lines = readme.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`| ${first} |`));
  assert.notEqual(start, -1, `README has a table starting with "${first}"`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line.split(/(?<!\\)\|/).slice(1, -1).map((cell) => cell.trim().replace(/^`|`$/g, '')));
  }
  return rows;
}

test('the README error table lists every code of the catalog with its HTTP status, and nothing else', () => {
  const documented = new Map(tableRows('Code').map(([code, status]) => [code, Number(status)]));
  const catalog = new Map(Object.entries(ERROR_CATALOG).map(([code, entry]) => [code, entry.status]));
  assert.deepEqual([...documented.keys()].sort(), [...catalog.keys()].sort());
  for (const [code, status] of catalog) assert.equal(documented.get(code), status, `status of ${code}`);
});

test('the README names exactly the codes defined here (Recommend → IMM_ERROR_DOCS_URL), under the heading its default links to', () => {
  const sentence = /The codes defined here \(([^)]*)\)/.exec(readme);
  assert.ok(sentence, 'README has "The codes defined here (…)"');
  const named = [...sentence[1].matchAll(/`([^`]+)`/g)].map((m) => m[1]);
  const definedHere = (Object.keys(ERROR_CATALOG) as ErrorCode[]).filter(isDefinedHere);
  assert.deepEqual(named.sort(), definedHere.sort());
  assert.match(readme, /^### Error codes$/m, 'the heading behind the anchor #error-codes');
});

test('the README configuration table lists every setting with its variable and flag', () => {
  const documented = tableRows('Variable').map(([variable, flag]) => `${variable} ${flag}`);
  const settings = Object.values(SETTINGS).map((s) => `${s.env} ${s.flag.split(' ')[0]}`);
  assert.deepEqual(documented.sort(), settings.sort());
});

test('the README gives the two set-up commands', () => {
  assert.match(readme, /^npm start$/m);
  assert.match(readme, /^npm test$/m);
});
