/**
 * One mounted WebOffice view: the iframe of the page at `url`, the token handed to it by postMessage (never in a
 * URL), its state shown on the mount element, and the token kept alive by a TokenKeeper.
 */
import {
  CLOSED_STATES,
  MESSAGE_SOURCE,
  parsePageMessage,
  type PageState,
  type SdkToPage,
  type ViewState,
} from '../shared/protocol.js';
import { StatusView } from './statusView.js';
import { checkTokenInfo, TokenKeeper, type TokenInfo } from './tokenKeeper.js';

type Listener = (event: aliyun.StateEvent | aliyun.SaveEvent) => void;

const SDK_MESSAGES: Record<'loading' | 'refreshing' | 'expired', string> = {
  loading: 'Opening the document…',
  refreshing: 'Renewing your access to the document…',
  expired: 'Your access to this document has expired and could not be renewed. Open the document again to continue.',
};
const SAVE_TIMEOUT_MS = 30_000;

/** Sessions that ended for good: a new token of the same session would not (and must not) bring the view back. */
const ENDED: readonly ViewState[] = ['revoked', 'superseded'];

export class WebOfficeInstance implements aliyun.Instance {
  readonly url: string;
  readonly iframe: HTMLIFrameElement;
  readonly #origin: string;
  readonly #status: StatusView;
  readonly #keeper: TokenKeeper;
  readonly #listeners = new Map<aliyun.EventName, Set<Listener>>();
  readonly #pendingRequests = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  readonly #ready: Promise<void>;
  #settleReady!: { resolve(): void; reject(error: Error): void };
  #state: ViewState = 'loading';
  #pageState: PageState = 'loading';
  #pageMessage = SDK_MESSAGES.loading;
  #pageHello = false;
  /** Requests made before the page said hello, sent when it does. */
  #afterHello: Array<() => void> = [];
  #opened = false;
  #nextRequestId = 1;
  #destroyed = false;
  readonly #onMessage = (event: MessageEvent) => this.#receive(event);
  readonly #onWake = () => {
    if (document.visibilityState === 'visible') this.#keeper.refreshIfDue();
  };

  constructor(options: aliyun.ConfigOptions) {
    if (!options || !(options.mount instanceof HTMLElement)) throw new TypeError('aliyun.config: mount must be an element');
    if (typeof options.url !== 'string') throw new TypeError('aliyun.config: url must be the WebofficeURL');
    const url = new URL(options.url, location.href);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError('aliyun.config: url must be an http(s) URL');
    if (options.refreshToken !== undefined && typeof options.refreshToken !== 'function') {
      throw new TypeError('aliyun.config: refreshToken must be a function');
    }
    this.url = options.url;
    this.#origin = url.origin;

    this.#ready = new Promise<void>((resolve, reject) => (this.#settleReady = { resolve, reject }));
    this.#ready.catch(() => {}); // only the caller of ready() should hear of a rejection

    this.#keeper = new TokenKeeper(options.refreshToken, {
      token: (info) => this.#post({ source: MESSAGE_SOURCE, type: 'token', token: info.token, timeout: info.timeout }),
      refreshing: () => this.#enter('refreshing', SDK_MESSAGES.refreshing),
      refreshed: () => {
        if (this.#state === 'refreshing') this.#enter(this.#pageState, this.#pageMessage);
      },
      // The keeper goes on: a later setToken (or a refresh the page asks for) brings the view back.
      failed: (error) => {
        console.error('imm-weboffice: the access token ran out and could not be refreshed', error);
        this.#enter('expired', SDK_MESSAGES.expired);
      },
    });

    this.#status = new StatusView(options.mount);
    this.iframe = document.createElement('iframe');
    this.iframe.title = 'Document';
    this.iframe.allow = 'clipboard-write';
    this.iframe.referrerPolicy = 'origin';
    Object.assign(this.iframe.style, { display: 'block', width: '100%', height: '100%', border: '0' });
    window.addEventListener('message', this.#onMessage);
    document.addEventListener('visibilitychange', this.#onWake);
    window.addEventListener('online', this.#onWake);
    this.#status.show('loading', SDK_MESSAGES.loading);
    this.iframe.src = url.href;
    options.mount.prepend(this.iframe);
  }

  get state(): aliyun.State {
    return this.#state;
  }

  setToken(info: aliyun.TokenInfo): void {
    if (this.#destroyed) return;
    this.#keeper.set(checkTokenInfo(info, 'setToken'));
  }

  ready(): Promise<void> {
    return this.#ready;
  }

  on(event: aliyun.EventName, listener: Listener): void {
    if (typeof listener !== 'function') throw new TypeError('on: the listener must be a function');
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener);
  }

  off(event: aliyun.EventName, listener: Listener): void {
    this.#listeners.get(event)?.delete(listener);
  }

  async save(): Promise<aliyun.SaveResult> {
    const result = (await this.#request('save')) as (Partial<aliyun.SaveResult> & { error?: { code?: unknown; message?: unknown } }) | null;
    if (result?.error) {
      // A conflict (someone saved a newer version), a read-only session, a network failure: the page says which.
      const error = new Error(`save: ${String(result.error.message ?? 'the document could not be saved')}`);
      (error as Error & { code?: string }).code = typeof result.error.code === 'string' ? result.error.code : '';
      throw error;
    }
    if (!result || (result.result !== 'ok' && result.result !== 'nochange')) throw new Error('save: the page gave no result');
    return { result: result.result };
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#keeper.stop();
    window.removeEventListener('message', this.#onMessage);
    document.removeEventListener('visibilitychange', this.#onWake);
    window.removeEventListener('online', this.#onWake);
    for (const pending of this.#pendingRequests.values()) pending.reject(new Error('the view was destroyed'));
    this.#pendingRequests.clear();
    this.#settleReady.reject(new Error('the view was destroyed'));
    this.iframe.remove();
    this.#status.remove();
    this.#listeners.clear();
  }

  #receive(event: MessageEvent): void {
    // Only our own iframe, and only while it shows the page's origin (not whatever it was navigated to).
    if (event.source !== this.iframe.contentWindow || event.origin !== this.#origin) return;
    const message = parsePageMessage(event.data);
    if (!message) return;
    switch (message.type) {
      case 'hello':
        this.#pageHello = true;
        this.#sendCurrentToken();
        for (const send of this.#afterHello.splice(0)) send();
        return;
      case 'state':
        this.#pageState = message.state;
        this.#pageMessage = message.message;
        this.#onPageState(message.state, message.message);
        return;
      case 'save':
        this.#emit('save', { state: this.#state, message: message.message, result: message.result, version: message.version });
        return;
      case 'response': {
        const pending = this.#pendingRequests.get(message.id);
        this.#pendingRequests.delete(message.id);
        pending?.resolve(message.result);
        return;
      }
    }
  }

  #onPageState(state: PageState, message: string): void {
    if (ENDED.includes(state)) this.#keeper.stop();
    // The server found the token expired before our clock did (or the machine slept): try a refresh; the page
    // opens the document again when it gets the new token.
    if (state === 'expired') void this.#keeper.refresh();
    if (this.#state === 'refreshing' && state === 'ready') return; // the banner stays until the refresh ends
    this.#enter(state, message);
  }

  #enter(state: ViewState, message: string): void {
    if (this.#destroyed) return;
    const changed = state !== this.#state;
    this.#state = state;
    this.#status.show(state, message);
    if (state === 'ready' && !this.#opened) {
      this.#opened = true;
      this.#settleReady.resolve();
      this.#emit('fileOpen', { state, message });
    }
    if (CLOSED_STATES.includes(state) && !this.#opened) this.#settleReady.reject(new Error(message));
    if (changed) this.#emit(state, { state, message });
  }

  #emit(name: aliyun.EventName, event: aliyun.StateEvent | aliyun.SaveEvent): void {
    for (const listener of [...(this.#listeners.get(name) ?? [])]) {
      try {
        listener(event);
      } catch (error) {
        console.error(`imm-weboffice: a '${name}' listener threw`, error);
      }
    }
  }

  #sendCurrentToken(): void {
    const token = this.#keeper.token;
    if (token !== undefined) this.#post({ source: MESSAGE_SOURCE, type: 'token', token, timeout: this.#keeper.remaining() });
  }

  /** Posts to the page, readable only by the page's origin; before the page said hello it would be lost. */
  #post(message: SdkToPage): void {
    if (!this.#pageHello || this.#destroyed) return;
    this.iframe.contentWindow?.postMessage(message, this.#origin);
  }

  #request(method: 'save'): Promise<unknown> {
    if (this.#destroyed) return Promise.reject(new Error('the view was destroyed'));
    const id = this.#nextRequestId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pendingRequests.delete(id);
        reject(new Error(`${method}: the page did not answer`));
      }, SAVE_TIMEOUT_MS);
      this.#pendingRequests.set(id, {
        resolve: (value) => (clearTimeout(timer), resolve(value)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      });
      const send = () => this.iframe.contentWindow?.postMessage({ source: MESSAGE_SOURCE, type: 'request', id, method }, this.#origin);
      if (this.#pageHello) send();
      else this.#afterHello.push(send);
    });
  }
}
