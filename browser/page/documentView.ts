/**
 * One rendered document in the page: the toolbar, the document container with its watermark overlay, and the
 * viewer inside it; and the restrictions of the session's Permission. Removing it takes the document out of the
 * DOM entirely (what a shut-out page must do).
 *
 * Copy and print restrictions are what a browser page can do — no selection, no copy/cut/context menu/drag, an
 * empty printout — and cannot really be enforced: whoever sees a document can photograph it. The watermark is
 * what deters.
 */
import { DocumentApiError, type DocumentApi, type DocumentInfo, type ViewerKind } from './documentApi.js';
import { isEditable, renderEditor, type Editor } from './editor.js';
import { SAVE_WORDS } from './wording.js';
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

/** The largest document edited in the page (the server's limit on a save too). */
const MAX_EDITABLE_BYTES = 20 * 1024 * 1024;

/** How a save ended, for the SDK's `save` event (`conflict` and `failed` also reject `ins.save()`). */
export interface SaveOutcome {
  result: 'ok' | 'nochange' | 'conflict' | 'failed';
  message: string;
  version: number;
}

function isPrintKey(event: KeyboardEvent): boolean {
  return (event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 'p';
}

export class DocumentView {
  readonly #parts: HTMLElement[] = [];
  readonly #body: HTMLElement;
  readonly #listeners = new AbortController();
  readonly #documentElement: HTMLElement;
  readonly #conflict: HTMLElement;
  readonly #editable: boolean;
  #viewer: Viewer | undefined;
  #editor: Editor | undefined;
  /** The version the edit started from: what a save names in If-Match. */
  #base: { version: number; etag: string };
  #history: HTMLElement | undefined;
  readonly onSave: (outcome: SaveOutcome) => void;

  constructor(
    root: HTMLElement,
    private readonly info: DocumentInfo,
    private readonly api: DocumentApi,
    onSave: (outcome: SaveOutcome) => void = () => {},
  ) {
    // Every save's outcome is shown in the toolbar too, whether the Save button or `ins.save()` asked for it.
    this.onSave = (outcome) => {
      const notice = this.#parts[0]?.querySelector('.imm-notice');
      if (notice) notice.textContent = outcome.message;
      onSave(outcome);
    };
    const permission = info.Permission;
    this.#editable = !permission.Readonly && isEditable(info.Viewer) && info.Size <= MAX_EDITABLE_BYTES;
    this.#base = { version: info.Version, etag: info.ETag };
    if (!info.Hidecmb) {
      this.#parts.push(
        buildToolbar(info, {
          print: async () => {
            await this.#viewer?.renderAll();
            window.print();
          },
          exportPdf: () => this.#exportPdf(),
          copy: () => this.#copy(),
          ...(this.#editable && { save: async () => SAVE_WORDS[(await this.save()).result] }),
          ...(permission.History && { history: () => this.#toggleHistory() }),
          ...(!permission.Readonly && !this.#editable && { viewOnly: SAVE_WORDS.viewOnly(info.Extension) }),
        }),
      );
    }
    const documentElement = document.createElement('main');
    this.#documentElement = documentElement;
    documentElement.className = 'imm-document';
    documentElement.dataset.viewer = info.Viewer;
    if (this.#editable) documentElement.dataset.editing = 'true';
    this.#conflict = document.createElement('div');
    this.#conflict.className = 'imm-conflict';
    this.#conflict.setAttribute('role', 'alert');
    this.#conflict.hidden = true;
    this.#body = document.createElement('div');
    this.#body.className = 'imm-document-body';
    documentElement.append(this.#conflict, this.#body);
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
    if (this.#editable && isEditable(kind)) {
      const editor = renderEditor(this.#body, kind, content);
      this.#editor = editor;
      this.#viewer = { renderAll: async () => {}, destroy: () => editor.destroy() };
      return;
    }
    const render = await VIEWERS[kind]();
    this.#viewer = await render(this.#body, content, { previewPages: this.info.PreviewPages });
  }

  /**
   * Saves the edit as the next version of the one it started from: `nochange` when nothing was edited (or the
   * view does not edit); a conflict (someone saved meanwhile) shows the offer to reload, and rejects.
   */
  async save(): Promise<{ result: 'ok' | 'nochange' }> {
    const editor = this.#editor;
    if (!editor || !editor.dirty()) return this.#saved({ result: 'nochange', message: SAVE_WORDS.nochange, version: this.#base.version });
    let answer;
    try {
      answer = await this.api.save(editor.bytes(), this.#base.etag);
    } catch (error) {
      const conflict = error instanceof DocumentApiError && error.status === 409 && error.code === 'VersionConflict';
      if (conflict) this.#offerReload();
      this.onSave({ result: conflict ? 'conflict' : 'failed', message: conflict ? SAVE_WORDS.conflict : (error as Error).message, version: this.#base.version });
      throw error;
    }
    if (editor === this.#editor) {
      editor.markSaved();
      this.#base = { version: answer.Version, etag: answer.ETag };
    }
    this.#historyStale();
    return this.#saved({ result: answer.Result, message: SAVE_WORDS[answer.Result], version: answer.Version });
  }

  #saved(outcome: SaveOutcome & { result: 'ok' | 'nochange' }): { result: 'ok' | 'nochange' } {
    this.onSave(outcome);
    return { result: outcome.result };
  }

  /** The conflict banner: the edit cannot be saved over a newer version; reloading shows that one instead. */
  #offerReload(): void {
    this.#conflict.replaceChildren();
    const text = document.createElement('span');
    text.textContent = SAVE_WORDS.conflict;
    const reload = document.createElement('button');
    reload.type = 'button';
    reload.className = 'imm-button imm-reload';
    reload.textContent = 'Reload the latest version';
    reload.addEventListener('click', async () => {
      reload.disabled = true;
      try {
        await this.#reloadLatest();
      } catch (error) {
        text.textContent = `${SAVE_WORDS.conflict} Reloading failed: ${(error as Error).message}`;
        reload.disabled = false;
      }
    });
    this.#conflict.append(text, reload);
    this.#conflict.hidden = false;
  }

  async #reloadLatest(): Promise<void> {
    const latest = await this.api.contentOf('latest');
    const kind = this.info.Viewer;
    if (!isEditable(kind)) return;
    this.#viewer?.destroy();
    const editor = renderEditor(this.#body, kind, latest.bytes);
    this.#editor = editor;
    this.#viewer = { renderAll: async () => {}, destroy: () => editor.destroy() };
    this.#base = { version: latest.version, etag: latest.etag };
    this.#conflict.hidden = true;
  }

  /** The History panel: every version, newest first; opening one shows its content read-only. */
  async #toggleHistory(): Promise<void> {
    if (this.#history) {
      this.#history.remove();
      this.#history = undefined;
      return;
    }
    const panel = document.createElement('aside');
    panel.className = 'imm-history';
    panel.setAttribute('aria-label', 'Versions');
    const heading = document.createElement('h2');
    heading.textContent = 'Versions';
    const list = document.createElement('ol');
    list.className = 'imm-history-list';
    const preview = document.createElement('div');
    preview.className = 'imm-history-preview';
    panel.append(heading, list, preview);
    let previewViewer: Viewer | undefined;
    for (const entry of await this.api.versions()) {
      const item = document.createElement('li');
      item.dataset.version = String(entry.Version);
      const open = document.createElement('button');
      open.type = 'button';
      open.className = 'imm-button imm-open-version';
      open.textContent = `Version ${entry.Version}`;
      const when = document.createElement('span');
      when.className = 'imm-version-time';
      when.textContent = ` ${new Date(entry.CreatedTime).toLocaleString()} · ${entry.Size} bytes`;
      open.addEventListener('click', async () => {
        const kind = this.info.Viewer;
        if (!canRender(kind)) return;
        const { bytes } = await this.api.contentOf(entry.Version);
        previewViewer?.destroy();
        preview.replaceChildren();
        delete preview.dataset.version;
        const caption = document.createElement('p');
        caption.className = 'imm-history-caption';
        caption.textContent = `Version ${entry.Version} (read-only)`;
        const content = document.createElement('div');
        preview.append(caption, content);
        previewViewer = await (await VIEWERS[kind]())(content, bytes, { previewPages: this.info.PreviewPages });
        // Named only once shown: the version's viewer loads and renders after the caption.
        preview.dataset.version = String(entry.Version);
      });
      item.append(open, when);
      list.append(item);
    }
    this.#history = panel;
    this.#documentElement.append(panel);
  }

  /** A save added a version: an open History panel is listed again. */
  #historyStale(): void {
    if (!this.#history) return;
    this.#history.remove();
    this.#history = undefined;
    void this.#toggleHistory();
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
