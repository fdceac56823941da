/**
 * What the mount element shows of the view's state, for people and scripts alike: `data-state` on the mount
 * element, and a message element (role=status) over the iframe. Styles are set through the CSSOM, which a
 * strict Content-Security-Policy on the integrator's page allows (a <style> element it might not).
 */
import { CLOSED_STATES, type ViewState } from '../shared/protocol.js';

export const STATUS_CLASS = 'imm-weboffice-status';

type Look = 'hidden' | 'banner' | 'overlay';

function lookOf(state: ViewState): Look {
  if (state === 'ready') return 'hidden';
  if (state === 'refreshing') return 'banner';
  return 'overlay';
}

const BASE: Partial<CSSStyleDeclaration> = {
  position: 'absolute',
  boxSizing: 'border-box',
  font: '15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  zIndex: '2',
};

const LOOKS: Record<Exclude<Look, 'hidden'>, Partial<CSSStyleDeclaration>> = {
  banner: {
    inset: '8px 8px auto auto',
    padding: '4px 12px',
    borderRadius: '12px',
    background: 'rgba(32, 33, 36, 0.85)',
    color: '#fff',
    fontSize: '13px',
    pointerEvents: 'none',
    display: 'block',
  },
  overlay: {
    inset: '0',
    padding: '24px',
    display: 'flex',
    alignItems: 'center',
    justifyContent: 'center',
    textAlign: 'center',
    color: '#202124',
    pointerEvents: 'auto',
  },
};

export class StatusView {
  readonly element: HTMLDivElement;
  readonly #mount: HTMLElement;
  readonly #previousPosition: string;

  constructor(mount: HTMLElement) {
    this.#mount = mount;
    this.#previousPosition = mount.style.position;
    // The message is laid over the iframe, so the mount must be its containing block.
    if (getComputedStyle(mount).position === 'static') mount.style.position = 'relative';
    this.element = document.createElement('div');
    this.element.className = STATUS_CLASS;
    this.element.setAttribute('role', 'status');
    this.element.setAttribute('aria-live', 'polite');
    mount.append(this.element);
  }

  show(state: ViewState, message: string): void {
    this.#mount.dataset.state = state;
    this.element.dataset.state = state;
    this.element.textContent = message;
    const look = lookOf(state);
    this.element.removeAttribute('style');
    if (look === 'hidden') {
      this.element.style.display = 'none';
      return;
    }
    Object.assign(this.element.style, BASE, LOOKS[look]);
    // A closed view covers the iframe entirely; while loading the page shows through faintly.
    this.element.style.background = look === 'banner' ? LOOKS.banner.background! : CLOSED_STATES.includes(state) ? '#f8f9fa' : 'rgba(248, 249, 250, 0.8)';
  }

  remove(): void {
    this.element.remove();
    delete this.#mount.dataset.state;
    this.#mount.style.position = this.#previousPosition;
  }
}
