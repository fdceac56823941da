/**
 * Real documents for the conversion tests, made here: .docx with `docx`, .xlsx with `@e965/xlsx`, .pptx with
 * `pptxgenjs`, an encrypted .docx with officecrypto-tool, and a PDF with pdf-lib. Legacy formats (.doc, .ppt)
 * are made by LibreOffice itself from those (`legacyCopy`).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { pathToFileURL } from 'node:url';
import { Document, Packer, Paragraph, TextRun } from 'docx';
import * as XLSX from '@e965/xlsx';
import PptxGenJS from 'pptxgenjs';
import officeCrypto from 'officecrypto-tool';
import { PDFDocument } from 'pdf-lib';

export async function makeDocx(text = 'Hello from the conversion tests'): Promise<Buffer> {
  const document = new Document({ sections: [{ children: [new Paragraph({ children: [new TextRun(text)] })] }] });
  return Buffer.from(await Packer.toBuffer(document));
}

export function makeXlsx(): Buffer {
  const book = XLSX.utils.book_new();
  XLSX.utils.book_append_sheet(book, XLSX.utils.aoa_to_sheet([['Item', 'Count'], ['pens', 3], ['books', 5]]), 'Stock');
  return XLSX.write(book, { type: 'buffer', bookType: 'xlsx' }) as Buffer;
}

export async function makePptx(): Promise<Buffer> {
  // An ES module here whose types are read as CommonJS: the class is the default export at run time.
  const Presentation = ((PptxGenJS as unknown as { default?: unknown }).default ?? PptxGenJS) as typeof PptxGenJS.default;
  const deck = new Presentation();
  deck.addSlide().addText('First slide', { x: 1, y: 1, w: 6, h: 1 });
  deck.addSlide().addText('Second slide', { x: 1, y: 1, w: 6, h: 1 });
  return (await deck.write({ outputType: 'nodebuffer' })) as Buffer;
}

export const encrypt = (content: Buffer, password: string): Buffer => officeCrypto.encrypt(content, { password });

export async function makePdf(pages = 1): Promise<Buffer> {
  const pdf = await PDFDocument.create();
  for (let i = 0; i < pages; i++) pdf.addPage([200, 200]);
  return Buffer.from(await pdf.save());
}

/** LibreOffice saves `content` (named `name`) in a legacy format (`doc`, `ppt`, `xls`): a real legacy file. */
export async function legacyCopy(soffice: string, workDir: string, name: string, content: Buffer, format: 'doc' | 'ppt' | 'xls'): Promise<Buffer> {
  const dir = fs.mkdtempSync(path.join(workDir, 'legacy-'));
  fs.writeFileSync(path.join(dir, name), content);
  const profile = pathToFileURL(path.join(dir, 'profile')).href;
  await promisify(execFile)(soffice, ['--headless', '--norestore', `-env:UserInstallation=${profile}`, '--convert-to', format, '--outdir', dir, path.join(dir, name)], { timeout: 120_000 });
  return fs.readFileSync(path.join(dir, `${path.parse(name).name}.${format}`));
}
