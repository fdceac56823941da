/**
 * .docx: rendered by docx-preview into the page (it writes its own <style> elements, which is why the page's
 * CSP allows inline styles). Images and embedded fonts become data: URLs, which the CSP allows; altChunks
 * (embedded HTML) are not rendered.
 */
import { renderAsync } from 'docx-preview';
import type { RenderViewer } from './viewer.js';

export const renderDocx: RenderViewer = async (container, content) => {
  await renderAsync(content, container, container, {
    className: 'imm-docx',
    inWrapper: true,
    breakPages: true,
    ignoreLastRenderedPageBreak: true,
    useBase64URL: true,
    renderAltChunks: false,
    renderChanges: false,
    experimental: false,
  });
  return { renderAll: async () => {}, destroy: () => {} };
};
