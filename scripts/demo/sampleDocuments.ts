/**
 * Documents of every format the page renders, made with well-kept libraries (pdf-lib, docx, SheetJS,
 * papaparse): the demo's sample documents and the browser tests' fixtures, so neither commits binary files.
 */
import { Document, HeadingLevel, PageBreak, Packer, Paragraph, TextRun } from 'docx';
import { PDFDocument, StandardFonts, rgb } from 'pdf-lib';
import Papa from 'papaparse';
import * as XLSX from '@e965/xlsx';

/** A PDF with one page per entry, each page's lines written in Helvetica from the top. */
export async function pdfDocument(pages: readonly (readonly string[])[]): Promise<Buffer> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  for (const lines of pages) {
    const page = pdf.addPage([595, 842]); // A4 in points
    lines.forEach((line, i) => page.drawText(line, { x: 56, y: 770 - i * 28, size: i === 0 ? 22 : 14, font, color: rgb(0.1, 0.1, 0.1) }));
  }
  return Buffer.from(await pdf.save());
}

/** A .docx whose first paragraph is a heading and the others plain paragraphs (each on a page of its own with `pageBreaks`). */
export async function docxDocument(paragraphs: readonly string[], { pageBreaks = false } = {}): Promise<Buffer> {
  const [heading, ...rest] = paragraphs;
  const document = new Document({
    sections: [
      {
        children: [
          new Paragraph({ heading: HeadingLevel.HEADING_1, children: [new TextRun(heading ?? '')] }),
          ...rest.map((text) => new Paragraph({ children: pageBreaks ? [new PageBreak(), new TextRun(text)] : [new TextRun(text)] })),
        ],
      },
    ],
  });
  return Packer.toBuffer(document);
}

/** An .xlsx with one sheet per entry (sheet name → rows of cells). */
export function xlsxDocument(sheets: Record<string, readonly (readonly (string | number)[])[]>): Buffer {
  const workbook = XLSX.utils.book_new();
  for (const [name, rows] of Object.entries(sheets)) XLSX.utils.book_append_sheet(workbook, XLSX.utils.aoa_to_sheet(rows.map((row) => [...row])), name);
  return XLSX.write(workbook, { type: 'buffer', bookType: 'xlsx' }) as Buffer;
}

export function csvDocument(rows: readonly (readonly string[])[]): Buffer {
  return Buffer.from(Papa.unparse(rows.map((row) => [...row])), 'utf8');
}

export function textDocument(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}
