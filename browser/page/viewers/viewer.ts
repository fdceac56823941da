/** What every viewer gives the page: it renders into a container, and can be torn down. */
export interface Viewer {
  /** Renders whatever is still lazy (all PDF pages, all table rows), e.g. before printing. */
  renderAll(): Promise<void>;
  destroy(): void;
}

export interface RenderOptions {
  /** The session's PreviewPages: show at most this many pages (0 = no limit). */
  previewPages: number;
}

/** Resolves once the first screenful is shown; the rest may follow lazily. */
export type RenderViewer = (container: HTMLElement, content: ArrayBuffer, options: RenderOptions) => Promise<Viewer>;

/**
 * Calls `renderNext` again each time `sentinel` nears the visible area, until it returns false: the way long
 * text and tables are shown a piece at a time. `renderNext` appends before the sentinel.
 */
export function renderProgressively(sentinel: HTMLElement, renderNext: () => boolean): Viewer {
  let more = renderNext();
  const observer = new IntersectionObserver(
    (entries) => {
      if (!entries.some((entry) => entry.isIntersecting)) return;
      more = renderNext();
      // Observing again reports at once whether the sentinel, pushed down by the new piece, is still near.
      observer.unobserve(sentinel);
      if (more) observer.observe(sentinel);
    },
    // root: the page's own document, so the margin counts even inside a cross-origin iframe.
    { root: document, rootMargin: '600px 0px' },
  );
  if (more) observer.observe(sentinel);
  return {
    async renderAll() {
      while (more) more = renderNext();
      observer.disconnect();
    },
    destroy: () => observer.disconnect(),
  };
}

/** UTF-8 when the bytes are UTF-8 (a BOM is dropped), else GB 18030 (what Chinese Windows writes). */
export function decodeText(content: ArrayBuffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(content);
  } catch {
    return new TextDecoder('gb18030').decode(content);
  }
}
