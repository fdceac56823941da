/**
 * The browser build's files (`npm run build` writes them to dist/browser/), served as they are: the page's
 * script and styles, and the JS-SDK. Read from disk when they changed (size or modification time), with an
 * ETag of their content; a name never leaves its folder.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { assetContentType } from './contentTypes.js';

/** dist/browser/, found from this file's compiled place (dist/src/weboffice/). */
export const BROWSER_BUILD_DIR = fileURLToPath(new URL('../../browser/', import.meta.url));

export interface BuiltFile {
  bytes: Buffer;
  /** A strong ETag: the MD5 of the bytes, quoted. */
  etag: string;
  contentType: string;
}

/** Segments of letters, digits, `.`, `_`, `-`, never starting with a dot: so no `..`, no hidden files. */
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

export interface BuiltFiles {
  /** The file at `relative` (slash-separated) under the folder, or undefined when there is none. */
  read(relative: string): Promise<BuiltFile | undefined>;
}

export function builtFiles(folder: string): BuiltFiles {
  const root = path.resolve(folder);
  const cache = new Map<string, { mark: string; file: BuiltFile }>();
  return {
    async read(relative) {
      const segments = relative.split('/');
      if (segments.length > 8 || !segments.every((segment) => SEGMENT.test(segment))) return undefined;
      const file = path.join(root, ...segments);
      if (!file.startsWith(root + path.sep)) return undefined;
      let stat;
      try {
        stat = await fs.stat(file);
      } catch {
        return undefined;
      }
      if (!stat.isFile()) return undefined;
      const mark = `${stat.size}:${stat.mtimeMs}`;
      const cached = cache.get(file);
      if (cached?.mark === mark) return cached.file;
      const bytes = await fs.readFile(file);
      const built: BuiltFile = { bytes, etag: `"${createHash('md5').update(bytes).digest('hex')}"`, contentType: assetContentType(file) };
      cache.set(file, { mark, file: built });
      return built;
    },
  };
}
