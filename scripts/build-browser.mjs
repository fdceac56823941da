#!/usr/bin/env node
// The browser half of the build (after `tsc -p .`): type-checks browser/ (its own tsconfig, DOM lib), then
// bundles with esbuild into dist/browser/, which the server serves:
//   sdk/aliyun-web-office-sdk.min.js   the JS SDK, an IIFE defining the global `aliyun` (+ its .d.ts)
//   page/page.js, page/page.css, page/chunk-*.js   the page's script (an ES module; each viewer a lazy chunk)
//   page/pdf.worker.min.mjs and pdf.js's standard fonts, CMaps, ICC profile and decoders, flat beside it
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist/browser');
const require = createRequire(import.meta.url);

execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'browser'), '--noEmit'], { stdio: 'inherit' });

fs.rmSync(out, { recursive: true, force: true });

// Integrators' pages run in all sorts of browsers: the SDK is lowered further than the page.
await esbuild.build({
  entryPoints: [path.join(root, 'browser/sdk/index.ts')],
  outfile: path.join(out, 'sdk/aliyun-web-office-sdk.min.js'),
  bundle: true,
  format: 'iife',
  globalName: 'aliyun',
  platform: 'browser',
  target: ['es2020'],
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
});
fs.copyFileSync(path.join(root, 'browser/sdk/aliyun-web-office-sdk.d.ts'), path.join(out, 'sdk/aliyun-web-office-sdk.d.ts'));

await esbuild.build({
  entryPoints: { page: path.join(root, 'browser/page/main.ts') },
  outdir: path.join(out, 'page'),
  chunkNames: 'chunk-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022'],
  minify: true,
  legalComments: 'linked',
  logLevel: 'warning',
});
await esbuild.build({
  entryPoints: { page: path.join(root, 'browser/page/page.css') },
  outdir: path.join(out, 'page'),
  bundle: true,
  minify: true,
  logLevel: 'warning',
});

// pdf.js loads these by name from the folder it is told (the page's own asset folder, served flat).
const pdfjs = path.dirname(require.resolve('pdfjs-dist/package.json'));
fs.copyFileSync(path.join(pdfjs, 'build/pdf.worker.min.mjs'), path.join(out, 'page/pdf.worker.min.mjs'));
for (const folder of ['standard_fonts', 'cmaps', 'iccs', 'wasm']) {
  for (const name of fs.readdirSync(path.join(pdfjs, folder))) {
    if (!name.startsWith('LICENSE')) fs.copyFileSync(path.join(pdfjs, folder, name), path.join(out, 'page', name));
  }
}
