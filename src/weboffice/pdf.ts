/**
 * What the server does to PDFs with pdf-lib: cut a document to its first pages (PreviewPages), stamp a text
 * watermark on every page (exports), and lay plain text out as pages (txt and csv exports).
 *
 * The standard PDF fonts only (no font files to ship): they cover Latin-1 (WinAnsi); any other character is
 * written as `?`. Office formats and full Unicode come with the document converter.
 */
import { PDFDocument, StandardFonts, degrees, rgb, type PDFFont } from 'pdf-lib';
import { parseFillStyle, parseFont, type FontStyle, type TextWatermark } from './watermark.js';

/** The most pages a document may have (spec §2.1); text exports stop there. */
export const MAX_PAGES = 5000;

export class EncryptedPdf extends Error {}

/** A PDF to change (cut, stamp), as pdf-lib reads it; an encrypted one is `EncryptedPdf`. */
export async function openPdf(bytes: Uint8Array): Promise<PDFDocument> {
  try {
    return await PDFDocument.load(bytes, { updateMetadata: false });
  } catch (err) {
    if ((err as Error).name === 'EncryptedPDFError') throw new EncryptedPdf('the PDF is encrypted');
    throw err;
  }
}

/**
 * The first `count` pages of a PDF as a new document, or undefined when it has no more than that. The pages
 * are copied into a fresh document, so nothing of the pages left out (content, images, fonts) is in the bytes.
 */
export async function firstPages(bytes: Uint8Array, count: number): Promise<Uint8Array | undefined> {
  const source = await openPdf(bytes);
  if (source.getPageCount() <= count) return undefined;
  const cut = await PDFDocument.create({ updateMetadata: false });
  const pages = await cut.copyPages(source, [...Array(count).keys()]);
  for (const page of pages) cut.addPage(page);
  return cut.save();
}

function standardFont(style: FontStyle): StandardFonts {
  const variants: Record<FontStyle['family'], [StandardFonts, StandardFonts, StandardFonts, StandardFonts]> = {
    serif: [StandardFonts.TimesRoman, StandardFonts.TimesRomanBold, StandardFonts.TimesRomanItalic, StandardFonts.TimesRomanBoldItalic],
    'sans-serif': [StandardFonts.Helvetica, StandardFonts.HelveticaBold, StandardFonts.HelveticaOblique, StandardFonts.HelveticaBoldOblique],
    monospace: [StandardFonts.Courier, StandardFonts.CourierBold, StandardFonts.CourierOblique, StandardFonts.CourierBoldOblique],
  };
  return variants[style.family][(style.bold ? 1 : 0) + (style.italic ? 2 : 0)];
}

/** `text` with every character the font cannot write replaced by `?` (tabs become spaces, controls vanish). */
function writable(text: string, font: PDFFont): string {
  const supported = new Set(font.getCharacterSet());
  return [...text.replace(/\t/g, '    ')]
    .filter((c) => c >= ' ' || c === '\n')
    .map((c) => (c === '\n' || supported.has(c.codePointAt(0)!) ? c : '?'))
    .join('');
}

/** At most this many marks per page: tiny text with no spacing would otherwise mean thousands. */
const MAX_MARKS_PER_PAGE = 600;

/**
 * Tiles the watermark over every page as the page draws it over the view: marks `Horizontal` / `Vertical` apart,
 * turned by `Rotate`, in `FillStyle` with its alpha, `Font`'s size (CSS px as PDF points) and family.
 */
export async function stampWatermark(doc: PDFDocument, watermark: TextWatermark): Promise<void> {
  const style = parseFont(watermark.Font);
  const font = await doc.embedFont(standardFont(style));
  const colour = parseFillStyle(watermark.FillStyle);
  const text = writable(watermark.Value, font).replace(/\n/g, ' ');
  const size = style.sizePx;
  const textWidth = font.widthOfTextAtSize(text, size);
  // The canvas turns clockwise for a positive angle (y points down); PDF turns counter-clockwise (y points up).
  const angle = -watermark.Rotate;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  for (const page of doc.getPages()) {
    const { width, height } = page.getSize();
    const reach = Math.hypot(width, height) / 2 + textWidth;
    let stepX = Math.max(textWidth + watermark.Horizontal, 1);
    let stepY = Math.max(size + watermark.Vertical, 1);
    const marks = ((2 * reach) / stepX) * ((2 * reach) / stepY);
    if (marks > MAX_MARKS_PER_PAGE) {
      const scale = Math.sqrt(marks / MAX_MARKS_PER_PAGE);
      stepX *= scale;
      stepY *= scale;
    }
    // A grid in the turned frame, centred on the page, wide enough to cover every corner once turned.
    for (let v = -reach; v <= reach; v += stepY) {
      for (let u = -reach; u <= reach; u += stepX) {
        const x = width / 2 + u * cos - v * sin;
        const y = height / 2 + u * sin + v * cos;
        if (x < -textWidth || x > width + textWidth || y < -textWidth || y > height + textWidth) continue;
        page.drawText(text, {
          x, y, size, font,
          color: rgb(colour.red, colour.green, colour.blue),
          opacity: colour.alpha,
          rotate: degrees((angle * 180) / Math.PI),
        });
      }
    }
  }
}

const A4: [number, number] = [595.28, 841.89];
const MARGIN = 50;
const TEXT_SIZE = 10;
const LINE_HEIGHT = TEXT_SIZE * 1.35;

/**
 * Plain text laid out on A4 pages (lines wrapped to the width), at most `maxPages` of them (PreviewPages; never
 * more than MAX_PAGES): the text beyond is never written, so it is nowhere in the bytes.
 */
export async function textToPdf(text: string, options: { title: string; monospace: boolean; maxPages?: number }): Promise<PDFDocument> {
  const maxPages = Math.min(options.maxPages ?? MAX_PAGES, MAX_PAGES);
  const doc = await PDFDocument.create();
  doc.setTitle(options.title);
  doc.setProducer('imm-weboffice');
  const font = await doc.embedFont(options.monospace ? StandardFonts.Courier : StandardFonts.Helvetica);
  const maxWidth = A4[0] - 2 * MARGIN;
  const linesPerPage = Math.floor((A4[1] - 2 * MARGIN) / LINE_HEIGHT);
  let page = doc.addPage(A4);
  let line = 0;
  const write = (row: string) => {
    if (line === linesPerPage) {
      if (doc.getPageCount() === maxPages) return false;
      page = doc.addPage(A4);
      line = 0;
    }
    if (row !== '') page.drawText(row, { x: MARGIN, y: A4[1] - MARGIN - TEXT_SIZE - line * LINE_HEIGHT, size: TEXT_SIZE, font });
    line++;
    return true;
  };
  for (const paragraph of writable(text.replace(/\r\n?/g, '\n'), font).split('\n')) {
    for (const row of wrap(paragraph, (s) => font.widthOfTextAtSize(s, TEXT_SIZE), maxWidth)) {
      if (!write(row)) return doc;
    }
  }
  return doc;
}

/** Splits a line at spaces to fit `maxWidth`; a word longer than the width is broken where it must. */
function wrap(paragraph: string, widthOf: (s: string) => number, maxWidth: number): string[] {
  if (widthOf(paragraph) <= maxWidth) return [paragraph];
  const rows: string[] = [];
  let row = '';
  for (const word of paragraph.split(/(?<= )/)) {
    if (widthOf(row + word) <= maxWidth) {
      row += word;
      continue;
    }
    if (row !== '') rows.push(row.trimEnd());
    row = '';
    for (const c of word) {
      if (row !== '' && widthOf(row + c) > maxWidth) {
        rows.push(row);
        row = '';
      }
      row += c;
    }
  }
  rows.push(row.trimEnd());
  return rows;
}
