/**
 * PDF: rendered by pdf.js (pdfjs-dist), a page at a time — every page gets a placeholder of its size, and a
 * page is drawn (canvas plus pdf.js's text layer, so its text can be found and, if allowed, selected) only as it
 * scrolls near the visible area. The worker, standard fonts, CMaps and decoders are files of the page's own
 * asset folder (the CSP allows scripts and workers from 'self' only). `isEvalSupported: false`: the CSP forbids
 * eval, so pdf.js must not try to compile PostScript functions with `new Function`.
 */
import { getDocument, GlobalWorkerOptions, TextLayer, type PDFDocumentProxy, type PageViewport } from 'pdfjs-dist';
import type { RenderViewer, Viewer } from './viewer.js';

const assets = new URL('./', import.meta.url).href;
GlobalWorkerOptions.workerSrc = `${assets}pdf.worker.min.mjs`;

const PAGE_GAP_PX = 16;
const MAX_SCALE = 2;

class PdfPages implements Viewer {
  readonly #pdf: PDFDocumentProxy;
  readonly #scale: number;
  readonly #pages: HTMLDivElement[] = [];
  readonly #drawn = new Map<number, Promise<void>>();
  readonly #observer: IntersectionObserver;
  #destroyed = false;

  constructor(container: HTMLElement, pdf: PDFDocumentProxy, firstViewport: PageViewport, scale: number) {
    this.#pdf = pdf;
    this.#scale = scale;
    this.#observer = new IntersectionObserver(
      (entries) => {
        for (const entry of entries) if (entry.isIntersecting) void this.draw(Number((entry.target as HTMLElement).dataset.pageNumber));
      },
      // root: the page's own document, so the margin counts even inside a cross-origin iframe.
      { root: document, rootMargin: '100% 0px' },
    );
    for (let number = 1; number <= pdf.numPages; number++) {
      const page = document.createElement('div');
      page.className = 'imm-pdf-page';
      page.dataset.pageNumber = String(number);
      page.setAttribute('aria-label', `Page ${number}`);
      // Until drawn, a page is assumed the size of the first one (corrected when it is drawn).
      this.#size(page, firstViewport);
      this.#pages.push(page);
      container.append(page);
      this.#observer.observe(page);
    }
    container.style.setProperty('--imm-page-gap', `${PAGE_GAP_PX}px`);
  }

  #size(page: HTMLDivElement, viewport: PageViewport): void {
    page.style.width = `${Math.floor(viewport.width)}px`;
    page.style.height = `${Math.floor(viewport.height)}px`;
  }

  draw(number: number): Promise<void> {
    let drawn = this.#drawn.get(number);
    if (!drawn) {
      drawn = this.#drawPage(number).catch((error: unknown) => {
        if (this.#destroyed) return;
        console.error(`imm-weboffice: page ${number} could not be drawn`, error);
        this.#pages[number - 1].dataset.failed = 'true';
        if (number === 1) throw error; // the view cannot say it is ready without its first page
      });
      this.#drawn.set(number, drawn);
    }
    return drawn;
  }

  async #drawPage(number: number): Promise<void> {
    const element = this.#pages[number - 1];
    this.#observer.unobserve(element);
    const page = await this.#pdf.getPage(number);
    if (this.#destroyed) return;
    const viewport = page.getViewport({ scale: this.#scale });
    this.#size(element, viewport);
    element.style.setProperty('--total-scale-factor', String(this.#scale));

    const ratio = window.devicePixelRatio || 1;
    const canvas = document.createElement('canvas');
    canvas.width = Math.floor(viewport.width * ratio);
    canvas.height = Math.floor(viewport.height * ratio);
    canvas.className = 'imm-pdf-canvas';
    const textLayer = document.createElement('div');
    textLayer.className = 'textLayer';
    element.append(canvas, textLayer);
    await page.render({ canvas, viewport, transform: ratio === 1 ? undefined : [ratio, 0, 0, ratio, 0, 0] }).promise;
    if (this.#destroyed) return;
    await new TextLayer({ textContentSource: page.streamTextContent(), container: textLayer, viewport }).render();
    element.dataset.rendered = 'true';
    page.cleanup();
  }

  async renderAll(): Promise<void> {
    for (let number = 1; number <= this.#pages.length && !this.#destroyed; number++) await this.draw(number);
  }

  destroy(): void {
    this.#destroyed = true;
    this.#observer.disconnect();
    void this.#pdf.destroy();
  }
}

export const renderPdf: RenderViewer = async (container, content) => {
  const pdf = await getDocument({
    data: new Uint8Array(content),
    isEvalSupported: false,
    enableXfa: false,
    standardFontDataUrl: assets,
    cMapUrl: assets,
    cMapPacked: true,
    wasmUrl: assets,
    iccUrl: assets,
  }).promise;
  const first = await pdf.getPage(1);
  const natural = first.getViewport({ scale: 1 });
  const available = Math.max(320, container.clientWidth - 2 * PAGE_GAP_PX);
  const scale = Math.min(MAX_SCALE, available / natural.width);
  const pages = new PdfPages(container, pdf, first.getViewport({ scale }), scale);
  await pages.draw(1); // the first page is there before the view says it is ready
  return pages;
};
