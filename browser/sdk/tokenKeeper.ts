/**
 * Keeps the view's access token alive: refreshes it through the integrator's `refreshToken` callback before it
 * runs out, shares one refresh among every caller that asks while it is in flight, and retries a failed
 * refresh with backoff for as long as the current token still works.
 *
 * How early: a quarter of the token's lifetime before it runs out, but never more than 5 minutes before — with
 * IMM's 30-minute tokens, at 25 minutes. The lead leaves room for several retries (1 s, 2 s, 4 s … up to 30 s
 * apart) while the old token still works, for a slow integrator backend and for the page's 5-second poll;
 * refreshing much earlier would only spend more RefreshWebofficeToken calls, each of which IMM bills. Short
 * tokens (tests, demos) scale the lead down with them.
 */

export interface TokenInfo {
  token: string;
  timeout: number;
}

export const MAX_REFRESH_LEAD_MS = 5 * 60_000;
const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 30_000;
// setTimeout fires at once for delays above 2^31 - 1 ms.
const MAX_TIMER_MS = 2 ** 31 - 1;

/** How long before a token of this lifetime runs out the keeper refreshes it. */
export function refreshLead(timeoutMs: number): number {
  return Math.min(MAX_REFRESH_LEAD_MS, timeoutMs / 4);
}

/** The `{ token, timeout }` an integrator hands over, checked; throws a TypeError naming what is wrong. */
export function checkTokenInfo(value: unknown, from: string): TokenInfo {
  const info = value as Partial<TokenInfo> | null | undefined;
  if (typeof info !== 'object' || info === null) throw new TypeError(`${from} must give { token, timeout }`);
  if (typeof info.token !== 'string' || info.token === '') throw new TypeError(`${from}: token must be a non-empty string`);
  if (typeof info.timeout !== 'number' || !Number.isFinite(info.timeout) || info.timeout <= 0) {
    throw new TypeError(`${from}: timeout must be the token's remaining lifetime in milliseconds (a positive number)`);
  }
  return { token: info.token, timeout: info.timeout };
}

export interface TokenKeeperEvents {
  /** A token to hand to the page (set by the integrator or refreshed). */
  token(info: TokenInfo): void;
  refreshing(): void;
  refreshed(): void;
  /** Refreshing failed until the current token ran out. */
  failed(error: unknown): void;
}

export class TokenKeeper {
  #token: string | undefined;
  #expiresAt = 0;
  #dueAt = Infinity;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #inFlight: Promise<void> | undefined;
  #stopped = false;

  constructor(
    private readonly refreshToken: (() => TokenInfo | Promise<TokenInfo>) | undefined,
    private readonly events: TokenKeeperEvents,
    private readonly now: () => number = Date.now,
  ) {}

  get token(): string | undefined {
    return this.#token;
  }

  /** Milliseconds the current token still works (0 when none or run out). */
  remaining(): number {
    return Math.max(0, this.#expiresAt - this.now());
  }

  set(info: TokenInfo): void {
    if (this.#stopped) return;
    this.#token = info.token;
    this.#expiresAt = this.now() + info.timeout;
    this.#dueAt = this.refreshToken ? this.#expiresAt - refreshLead(info.timeout) : Infinity;
    this.#schedule();
    this.events.token(info);
  }

  /** Refreshes now if a refresh is due (after the machine slept or the tab was hidden, timers run late). */
  refreshIfDue(): void {
    if (this.now() >= this.#dueAt) void this.refresh();
  }

  /** Refreshes the token; every caller while one refresh is in flight gets that same refresh. */
  refresh(): Promise<void> {
    if (!this.refreshToken || this.#stopped) return Promise.resolve();
    this.#inFlight ??= this.#refreshWithRetries(this.refreshToken).finally(() => (this.#inFlight = undefined));
    return this.#inFlight;
  }

  /** No more refreshes (the session ended, or the view was destroyed). */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    if (this.#dueAt === Infinity) return;
    this.#timer = setTimeout(() => void this.refresh(), Math.min(MAX_TIMER_MS, Math.max(0, this.#dueAt - this.now())));
  }

  async #refreshWithRetries(refreshToken: () => TokenInfo | Promise<TokenInfo>): Promise<void> {
    this.events.refreshing();
    let retryIn = FIRST_RETRY_MS;
    for (;;) {
      try {
        // A callback may return the object itself or a Promise of it; `await` takes both.
        const info = checkTokenInfo(await refreshToken(), 'refreshToken');
        if (this.#stopped) return;
        this.set(info);
        this.events.refreshed();
        return;
      } catch (error) {
        if (this.#stopped) return;
        const left = this.remaining();
        if (left <= 0) {
          this.events.failed(error);
          return;
        }
        console.warn('imm-weboffice: refreshing the access token failed; retrying', error);
        await new Promise((resolve) => setTimeout(resolve, Math.min(retryIn, left)));
        retryIn = Math.min(MAX_RETRY_MS, retryIn * 2);
        if (this.#stopped) return;
      }
    }
  }
}
