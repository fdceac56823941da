/**
 * The script of the WebOffice page (/office/{w|s|p|f}/{fileId}). It waits for the access token from its parent
 * (the JS SDK; accepted only from window.parent, and from then on only from that origin), opens the document
 * through the document API (`open` first, which makes this page load the token's holder), renders it, polls the
 * info every 5 s, and shuts the document out of the DOM when the token expires, is revoked or is superseded.
 */
import { MESSAGE_SOURCE, parseSdkMessage, type PageState, type PageToSdk } from '../shared/protocol.js';
import { DocumentApi, DocumentApiError, newHolderId, type DocumentInfo } from './documentApi.js';
import { canRender, DocumentView } from './documentView.js';
import { conversionWords, converterNeededWords, isTransient, readyWords, stateForError, WORDS } from './wording.js';

const POLL_INTERVAL_MS = 5_000;
const OPEN_TRIES = 3;
const OPEN_RETRY_MS = 1_000;
const ROOT_ID = 'imm-weboffice-root';

class WebOfficePage {
  readonly #root: HTMLElement;
  readonly #message: HTMLElement;
  readonly #api: DocumentApi;
  #token: string | undefined;
  #parentOrigin: string | undefined;
  #state: PageState | 'waiting' = 'waiting';
  #view: DocumentView | undefined;
  #poll: ReturnType<typeof setTimeout> | undefined;
  /** Bumped whenever the view is opened again or shut: late answers of an older attempt are dropped. */
  #attempt = 0;

  constructor(root: HTMLElement, fileId: string) {
    this.#root = root;
    this.#message = document.createElement('div');
    this.#message.className = 'imm-message';
    this.#message.setAttribute('role', 'status');
    this.#message.setAttribute('aria-live', 'polite');
    root.append(this.#message);
    this.#api = new DocumentApi(fileId, newHolderId(), () => this.#token ?? '');
  }

  start(): void {
    if (window.parent === window) {
      this.#show('error', WORDS.notEmbedded);
      return;
    }
    window.addEventListener('message', (event) => this.#receive(event));
    this.#show('loading', WORDS.waiting);
    // Carries nothing, so any origin may hear it; the token comes back only to us.
    this.#postToParent({ source: MESSAGE_SOURCE, type: 'hello' }, '*');
  }

  #receive(event: MessageEvent): void {
    if (event.source !== window.parent) return;
    if (this.#parentOrigin !== undefined && event.origin !== this.#parentOrigin) return;
    const message = parseSdkMessage(event.data);
    if (!message) return;
    if (message.type === 'token') {
      this.#parentOrigin ??= event.origin;
      this.#token = message.token;
      // A new token reopens a view that expired (the SDK refreshed late, e.g. after the machine slept).
      if (this.#state === 'waiting' || this.#state === 'expired') void this.#open();
      return;
    }
    // `ins.save()`: the view saves its edit (nothing to save while it is read-only or unchanged).
    const origin = this.#parentOrigin ?? event.origin;
    const respond = (result: unknown) => this.#postToParent({ source: MESSAGE_SOURCE, type: 'response', id: message.id, result }, origin);
    if (!this.#view) {
      respond({ result: 'nochange' });
      return;
    }
    this.#view.save().then(respond, (error: unknown) => {
      const code = error instanceof DocumentApiError ? error.code : '';
      respond({ error: { code, message: error instanceof Error ? error.message : String(error) } });
    });
  }

  /** Opens and renders the document; a failure of the network or the service is tried again a few times. */
  async #open(tries = 1): Promise<void> {
    const attempt = this.#close();
    if (tries === 1) this.#report('loading', WORDS.loading);
    let info: DocumentInfo;
    try {
      info = await this.#api.open();
      if (attempt !== this.#attempt) return;
      if (!canRender(info.Viewer)) {
        this.#shutOut('error', converterNeededWords(info.Extension));
        return;
      }
      this.#view = new DocumentView(this.#root, info, this.#api, (outcome) => {
        if (this.#parentOrigin !== undefined) this.#postToParent({ source: MESSAGE_SOURCE, type: 'save', ...outcome }, this.#parentOrigin);
      });
      this.#schedulePoll(attempt);
      let content = await this.#api.content();
      // A converted format: the server says how far its conversion is until the PDF is ready.
      while (!(content instanceof ArrayBuffer)) {
        this.#report('loading', conversionWords(content));
        const retryMs = Math.min(Math.max(content.RetryAfterMs, 200), 5_000);
        await new Promise((resolve) => setTimeout(resolve, retryMs));
        if (attempt !== this.#attempt) return;
        content = await this.#api.content();
        if (attempt !== this.#attempt) return;
      }
      if (attempt !== this.#attempt) return;
      await this.#view.render(content);
      if (attempt !== this.#attempt) return;
    } catch (error) {
      if (attempt !== this.#attempt) return;
      if (isTransient(error) && tries < OPEN_TRIES) {
        this.#close();
        setTimeout(() => void this.#open(tries + 1), OPEN_RETRY_MS * tries);
        return;
      }
      const { state, message } = stateForError(error);
      this.#shutOut(state, message);
      return;
    }
    this.#report('ready', readyWords(info.Filename));
  }

  #schedulePoll(attempt: number): void {
    this.#poll = setTimeout(async () => {
      try {
        await this.#api.info();
      } catch (error) {
        if (attempt !== this.#attempt) return;
        if (!isTransient(error)) {
          const { state, message } = stateForError(error);
          this.#shutOut(state, message);
          return;
        }
      }
      if (attempt === this.#attempt) this.#schedulePoll(attempt);
    }, POLL_INTERVAL_MS);
  }

  /** Removes the document from the DOM and stops polling; returns the new attempt number. */
  #close(): number {
    clearTimeout(this.#poll);
    this.#view?.remove(this.#root);
    this.#view = undefined;
    return ++this.#attempt;
  }

  #shutOut(state: PageState, message: string): void {
    this.#close();
    this.#report(state, message);
  }

  #report(state: PageState, message: string): void {
    this.#state = state;
    this.#show(state, message);
    if (this.#parentOrigin !== undefined) this.#postToParent({ source: MESSAGE_SOURCE, type: 'state', state, message }, this.#parentOrigin);
  }

  #show(state: PageState, message: string): void {
    this.#root.dataset.state = state;
    this.#message.textContent = message;
    this.#message.hidden = state === 'ready';
  }

  #postToParent(message: PageToSdk, targetOrigin: string): void {
    window.parent.postMessage(message, targetOrigin);
  }
}

const match = /^\/office\/[wspf]\/([0-9a-f]{40})$/.exec(location.pathname);
const root = document.getElementById(ROOT_ID) ?? document.body.appendChild(Object.assign(document.createElement('div'), { id: ROOT_ID }));
if (match) new WebOfficePage(root, match[1]).start();
else root.textContent = 'This is not the address of a WebOffice document.';
