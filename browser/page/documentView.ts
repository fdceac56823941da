/**
 * One rendered document in the page: the toolbar, the document container with its watermark overlay, and the
 * viewer inside it; and the restrictions of the session's Permission. Removing it takes the document out of the
 * DOM entirely (what a shut-out page must do).
 *
 * Copy and print restrictions are what a browser page can do — no selection, no copy/cut/context menu/drag, an
 * empty printout — and cannot really be enforced: whoever sees a document can photograph it. The watermark is
 * what deters.
 */
import type { DocumentApi, DocumentInfo, ViewerKind } from './documentApi.js';
import { buildToolbar } from './toolbar.js';
import type { RenderViewer, Viewer } from './viewers/viewer.js';
import { drawWatermark } from './watermark.js';

const VIEWERS: Record<Exclude<ViewerKind, 'converter-needed'>, () => Promise<RenderViewer>> = {
  pdf: async () => (await import('./viewers/pdf.js')).renderPdf,
  docx: async () => (await import('./viewers/docx.js')).renderDocx,
  xlsx: async () => (await import('./viewers/xlsx.js')).renderXlsx,
  text: async () => (await import('./viewers/text.js')).renderText,
  csv: async () => (await import('./viewers/csv.js')).renderCsv,
};

export function canRender(kind: ViewerKind): kind is keyof typeof VIEWERS {
  return Object.hasOwn(VIEWERS, kind);
}

function isPrintKey(event: KeyboardEvent): boolean {
  return (event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 'p';
}

export class DocumentView {
  readonly #parts: HTMLElement[] = [];
  readonly #body: HTMLElement;
  readonly #listeners = new AbortController();
  #viewer: Viewer | undefined;

  constructor(
    root: HTMLElement,
    private readonly info: DocumentInfo,
    private readonly api: DocumentApi,
  ) {
    const permission = info.Permission;
    if (!info.Hidecmb) {
      this.#parts.push(
        buildToolbar(info, {
          print: async () => {
            await this.#viewer?.renderAll();
            window.print();
          },
          exportPdf: () => this.#exportPdf(),
          copy: () => this.#copy(),
        }),
      );
    }
    const documentElement = document.createElement('main');
    documentElement.className = 'imm-document';
    documentElement.dataset.viewer = info.Viewer;
    this.#body = document.createElement('div');
    this.#body.className = 'imm-document-body';
    documentElement.append(this.#body);
    drawWatermark(documentElement, info.Watermark);
    this.#parts.push(documentElement);

    const signal = this.#listeners.signal;
    if (!permission.Copy) {
      documentElement.classList.add('imm-no-copy');
      for (const type of ['copy', 'cut', 'contextmenu', 'dragstart', 'selectstart']) {
        document.addEventListener(type, (event) => event.preventDefault(), { signal, capture: true });
      }
    }
    if (!permission.Print || info.CachePreview) {
      root.classList.add('imm-no-print');
      document.addEventListener('keydown', (event) => isPrintKey(event) && event.preventDefault(), { signal, capture: true });
    }
    root.append(...this.#parts);
  }

  /** Renders the document; resolves once its first screenful is shown. */
  async render(content: ArrayBuffer): Promise<void> {
    const kind = this.info.Viewer;
    if (!canRender(kind)) throw new Error(`no viewer for ${kind}`);
    const render = await VIEWERS[kind]();
    this.#viewer = await render(this.#body, content, { previewPages: this.info.PreviewPages });
  }

  remove(root: HTMLElement): void {
    this.#viewer?.destroy();
    this.#viewer = undefined;
    this.#listeners.abort();
    root.classList.remove('imm-no-print');
    for (const part of this.#parts) part.remove();
  }

  async #exportPdf(): Promise<void> {
    const blob = await this.api.exportPdf();
    const url = URL.createObjectURL(blob);
    const link = document.createElement('a');
    link.href = url;
    link.download = `${this.info.Filename.replace(/\.[^.]*$/, '')}.pdf`;
    document.body.append(link);
    link.click();
    link.remove();
    // The download has started by the time the link's click returns; the URL can go a little later.
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }

  async #copy(): Promise<void> {
    const selection = window.getSelection()?.toString() ?? '';
    await navigator.clipboard.writeText(selection || this.#body.innerText);
  }
}
