#!/usr/bin/env node
// `npm start` runs the build that `npm install` made (through `prepare`); it never compiles, so nodes started
// together from one checkout cannot race on dist/. This only refuses a missing or stale build, naming the fix,
// instead of starting code older than the checkout (after a `git pull`, say).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const built = path.join(root, 'dist/src/cli.js');

function newestSource(dir) {
  let newest = { file: '', mtimeMs: 0 };
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const file = path.join(entry.parentPath ?? entry.path, entry.name);
    const { mtimeMs } = fs.statSync(file);
    if (mtimeMs > newest.mtimeMs) newest = { file, mtimeMs };
  }
  return newest;
}

if (!fs.existsSync(built)) {
  console.error('imm-weboffice: not built yet (dist/src/cli.js is missing): run `npm run build` (npm install does it), then `npm start`');
  process.exit(1);
}
const source = newestSource(path.join(root, 'src'));
if (source.mtimeMs > fs.statSync(built).mtimeMs) {
  console.error(`imm-weboffice: the build is older than ${path.relative(root, source.file)}: run \`npm run build\`, then \`npm start\``);
  process.exit(1);
}
