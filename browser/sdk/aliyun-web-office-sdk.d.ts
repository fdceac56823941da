/**
 * Types of the WebOffice JS-SDK of imm-weboffice: the same shape as IMM's `aliyun-web-office-sdk.min.js`
 * (global `aliyun`), so a page written for IMM works with only the script URL changed.
 *
 * This file is the single statement of the public API: the SDK's source is type-checked against it
 * (browser/sdk/index.ts) and the build ships it beside the script as `aliyun-web-office-sdk.d.ts`.
 */
declare namespace aliyun {
  /** What `setToken` takes and what `refreshToken` returns: an access token and its lifetime in milliseconds. */
  interface TokenInfo {
    token: string;
    timeout: number;
  }

  /**
   * The state of the view, also the mount element's `data-state` and the name of the event fired on entering it.
   * `expired`, `revoked`, `superseded` and `error` show no document any more.
   */
  type State = 'loading' | 'ready' | 'refreshing' | 'expired' | 'revoked' | 'superseded' | 'error';

  /** The payload of every event: the state entered and words a person understands. */
  interface StateEvent {
    state: State;
    message: string;
  }

  /**
   * What the `save` event carries besides the state: how a save ended (`ok`: a new version; `nochange`: nothing
   * to save; `conflict`: someone saved a newer version first, and the view offers to reload it; `failed`) and the
   * version now current.
   */
  interface SaveEvent extends StateEvent {
    result: 'ok' | 'nochange' | 'conflict' | 'failed';
    version: number;
  }

  /** Events: one per state, `fileOpen` once, when the document is first shown, and `save` after every save. */
  type EventName = State | 'fileOpen' | 'save';

  interface ConfigOptions {
    /** The element the view is mounted in (an iframe is appended to it). */
    mount: HTMLElement;
    /** `WebofficeURL` of GenerateWebofficeToken. */
    url: string;
    /**
     * Called before the access token runs out (a quarter of its lifetime before, at most 5 minutes before):
     * returns, or resolves to, a fresh `{ token, timeout }` (from RefreshWebofficeToken through your backend).
     */
    refreshToken?: () => TokenInfo | Promise<TokenInfo>;
  }

  interface SaveResult {
    result: 'ok' | 'nochange';
  }

  interface Instance {
    /** The `url` given to `config`. */
    readonly url: string;
    /** The iframe holding the document. */
    readonly iframe: HTMLIFrameElement;
    /** The current state (also `mount.dataset.state`). */
    readonly state: State;
    /** Hands an access token to the view; `timeout` is its remaining lifetime in milliseconds. */
    setToken(info: TokenInfo): void;
    /** Resolves when the document is shown; rejects if the view closes (expired, revoked, …) before that. */
    ready(): Promise<void>;
    on(event: EventName, listener: (event: StateEvent | SaveEvent) => void): void;
    off(event: EventName, listener: (event: StateEvent | SaveEvent) => void): void;
    /**
     * Saves the edit as the document's next version (.txt and .csv, when Permission.Readonly is false):
     * `{ result: 'nochange' }` when nothing was edited or the view is read-only; rejects (with `code`
     * `VersionConflict`) when someone saved a newer version first — the view then offers to reload it.
     */
    save(): Promise<SaveResult>;
    /** Removes the iframe and everything the SDK added, and stops refreshing. */
    destroy(): void;
  }

  /** Mounts the WebOffice page of `options.url` in `options.mount`. */
  function config(options: ConfigOptions): Instance;
}
