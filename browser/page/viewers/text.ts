/** .txt: the text itself (textContent, never markup), a piece of lines at a time as the reader scrolls. */
import { decodeText, renderProgressively, type RenderViewer } from './viewer.js';

const CHARACTERS_PER_PIECE = 64 * 1024;

export const renderText: RenderViewer = async (container, content) => {
  const text = decodeText(content);
  const sentinel = document.createElement('div');
  sentinel.className = 'imm-sentinel';
  container.append(sentinel);
  let offset = 0;
  return renderProgressively(sentinel, () => {
    let end = Math.min(text.length, offset + CHARACTERS_PER_PIECE);
    // End a piece after a line break, so no line is split over two pieces.
    if (end < text.length) {
      const lineEnd = text.indexOf('\n', end);
      end = lineEnd === -1 ? text.length : lineEnd + 1;
    }
    const pre = document.createElement('pre');
    pre.className = 'imm-text';
    pre.textContent = text.slice(offset, end);
    sentinel.before(pre);
    offset = end;
    return offset < text.length;
  });
};
