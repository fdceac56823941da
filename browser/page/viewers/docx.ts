/**
 * .docx: rendered by docx-preview into the page (it writes its own <style> elements, which is why the page's
 * CSP allows inline styles). Images and embedded fonts become data: URLs, which the CSP allows; altChunks
 * (embedded HTML) are not rendered. PreviewPages keeps the first pages docx-preview laid out (the server cannot
 * cut a .docx into pages until a converter exists, so this one is the page's doing only).
 */
import { renderAsync } from 'docx-preview';
import type { RenderViewer } from './viewer.js';

const CLASS_NAME = 'imm-docx';

export const renderDocx: RenderViewer = async (container, content, { previewPages }) => {
  await renderAsync(content, container, container, {
    className: CLASS_NAME,
    inWrapper: true,
    breakPages: true,
    ignoreLastRenderedPageBreak: true,
    useBase64URL: true,
    renderAltChunks: false,
    renderChanges: false,
    experimental: false,
  });
  if (previewPages > 0) {
    const pages = container.querySelectorAll(`section.${CLASS_NAME}`);
    for (const page of [...pages].slice(previewPages)) page.remove();
    if (pages.length > previewPages) {
      const note = document.createElement('p');
      note.className = 'imm-preview-limit';
      note.textContent = `This preview shows the first ${previewPages} of ${pages.length} pages.`;
      container.append(note);
    }
  }
  return { renderAll: async () => {}, destroy: () => {} };
};
