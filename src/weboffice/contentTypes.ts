/**
 * Media types, by file extension: of a document's bytes (never HTML or anything a browser would run, so a
 * document cannot become a page of this origin), and of the page's own built files.
 */

/** How the page shows a document: the viewers it has, or none until a converter exists. */
export type Viewer = 'pdf' | 'docx' | 'xlsx' | 'text' | 'csv' | 'converter-needed';

const VIEWERS: Record<string, Viewer> = { pdf: 'pdf', docx: 'docx', xlsx: 'xlsx', txt: 'text', csv: 'csv' };

const DOCUMENT_TYPES: Record<string, string> = {
  pdf: 'application/pdf',
  txt: 'text/plain; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  docm: 'application/vnd.ms-word.document.macroEnabled.12',
  dotx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.template',
  dotm: 'application/vnd.ms-word.template.macroEnabled.12',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  xlsm: 'application/vnd.ms-excel.sheet.macroEnabled.12',
  xltx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.template',
  xltm: 'application/vnd.ms-excel.template.macroEnabled.12',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  pptm: 'application/vnd.ms-powerpoint.presentation.macroEnabled.12',
  ppsx: 'application/vnd.openxmlformats-officedocument.presentationml.slideshow',
  ppsm: 'application/vnd.ms-powerpoint.slideshow.macroEnabled.12',
  potx: 'application/vnd.openxmlformats-officedocument.presentationml.template',
  potm: 'application/vnd.ms-powerpoint.template.macroEnabled.12',
};

const ASSET_TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  map: 'application/json; charset=utf-8',
  json: 'application/json; charset=utf-8',
  ts: 'text/plain; charset=utf-8', // the SDK's .d.ts
  wasm: 'application/wasm',
  png: 'image/png',
  svg: 'image/svg+xml',
  woff2: 'font/woff2',
  woff: 'font/woff',
  ttf: 'font/ttf',
  otf: 'font/otf',
};

/** The lower-case extension of a file name, '' without one. */
export function extensionOf(filename: string): string {
  const dot = filename.lastIndexOf('.');
  return dot <= 0 ? '' : filename.slice(dot + 1).toLowerCase();
}

/** The table's own entry for an extension: `x.constructor` or `x.__proto__` must not find Object's properties. */
const entryFor = <T>(table: Record<string, T>, filename: string): T | undefined => {
  const extension = extensionOf(filename);
  return Object.hasOwn(table, extension) ? table[extension] : undefined;
};

export function viewerFor(filename: string): Viewer {
  return entryFor(VIEWERS, filename) ?? 'converter-needed';
}

/** The media type a document's bytes are served with; anything unlisted is opaque bytes. */
export function documentContentType(filename: string): string {
  return entryFor(DOCUMENT_TYPES, filename) ?? 'application/octet-stream';
}

export function assetContentType(filename: string): string {
  return entryFor(ASSET_TYPES, filename) ?? 'application/octet-stream';
}
