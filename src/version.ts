import fs from 'node:fs';

/** This package's version: package.json is two folders above the compiled file (dist/src/), in a checkout or installed. */
export function packageVersion(): string {
  return (JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}
