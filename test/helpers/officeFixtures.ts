/**
 * Real Office documents for the conversion tests, made here rather than committed: .docx with `docx` and .xlsx
 * with SheetJS (the demo's sample documents), .pptx by LibreOffice from a flat ODF presentation written here,
 * legacy .doc / .xls / .ppt by LibreOffice from those, and password-protected OOXML with officecrypto-tool.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { pathToFileURL } from 'node:url';
import officeCrypto from 'officecrypto-tool';
import { docxDocument, xlsxDocument } from '../../scripts/demo/sampleDocuments.js';

export { docxDocument as makeDocx, xlsxDocument as makeXlsx };

export const encrypt = (content: Buffer, password: string): Buffer => officeCrypto.encrypt(content, { password });

const escapeXml = (text: string) => text.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** Runs LibreOffice once to save `name` (with `content`) as `format`, in a folder and profile of its own. */
async function saveAs(soffice: string, workDir: string, name: string, content: Buffer | string, format: string): Promise<Buffer> {
  const dir = fs.mkdtempSync(path.join(workDir, 'fixture-'));
  fs.writeFileSync(path.join(dir, name), content);
  const profile = pathToFileURL(path.join(dir, 'profile')).href;
  await promisify(execFile)(soffice, ['--headless', '--norestore', `-env:UserInstallation=${profile}`, '--convert-to', format, '--outdir', dir, path.join(dir, name)], { timeout: 120_000 });
  const made = fs.readFileSync(path.join(dir, `${path.parse(name).name}.${format}`));
  fs.rmSync(dir, { recursive: true, force: true });
  return made;
}

/** A .pptx with one slide per entry, each showing its text. */
export function makePptx(soffice: string, workDir: string, slides: readonly string[]): Promise<Buffer> {
  const pages = slides
    .map((text, i) => `<draw:page draw:name="slide${i + 1}"><draw:frame svg:x="2cm" svg:y="2cm" svg:width="20cm" svg:height="3cm"><draw:text-box><text:p>${escapeXml(text)}</text:p></draw:text-box></draw:frame></draw:page>`)
    .join('');
  const fodp = `<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0" office:version="1.2" office:mimetype="application/vnd.oasis.opendocument.presentation"><office:body><office:presentation>${pages}</office:presentation></office:body></office:document>`;
  return saveAs(soffice, workDir, 'deck.fodp', fodp, 'pptx');
}

/** LibreOffice saves `content` (named `name`) in a legacy format: a real .doc, .xls or .ppt. */
export function legacyCopy(soffice: string, workDir: string, name: string, content: Buffer, format: 'doc' | 'ppt' | 'xls'): Promise<Buffer> {
  return saveAs(soffice, workDir, name, content, format);
}
