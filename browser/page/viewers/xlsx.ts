/** .xlsx: read by SheetJS (@e965/xlsx), each sheet a table (textContent only), the sheets as tabs. */
import { read, utils } from '@e965/xlsx';
import { renderTable } from './table.js';
import type { RenderViewer, Viewer } from './viewer.js';

export const renderXlsx: RenderViewer = async (container, content) => {
  const workbook = read(new Uint8Array(content), { type: 'array', dense: true });
  const tabs = document.createElement('div');
  tabs.className = 'imm-sheet-tabs';
  tabs.setAttribute('role', 'tablist');
  const sheetArea = document.createElement('div');
  sheetArea.className = 'imm-sheet';
  container.append(tabs, sheetArea);

  let current: Viewer | undefined;
  const show = (name: string) => {
    current?.destroy();
    sheetArea.replaceChildren();
    // raw: false gives each cell's formatted text, as the spreadsheet shows it.
    const rows = utils.sheet_to_json<unknown[]>(workbook.Sheets[name], { header: 1, raw: false, defval: '', blankrows: true });
    current = renderTable(sheetArea, rows);
    for (const tab of tabs.children) tab.setAttribute('aria-selected', String((tab as HTMLElement).dataset.sheet === name));
  };
  for (const name of workbook.SheetNames) {
    const tab = document.createElement('button');
    tab.type = 'button';
    tab.setAttribute('role', 'tab');
    tab.dataset.sheet = name;
    tab.textContent = name;
    tab.addEventListener('click', () => show(name));
    tabs.append(tab);
  }
  if (workbook.SheetNames.length > 0) show(workbook.SheetNames[0]);
  tabs.hidden = workbook.SheetNames.length < 2;
  return {
    renderAll: async () => current?.renderAll(),
    destroy: () => current?.destroy(),
  };
};
