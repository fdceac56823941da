/** .csv: parsed by papaparse, shown as a table. */
import Papa from 'papaparse';
import { renderTable } from './table.js';
import { decodeText, type RenderViewer } from './viewer.js';

export const renderCsv: RenderViewer = async (container, content) => {
  const parsed = Papa.parse<string[]>(decodeText(content), { skipEmptyLines: 'greedy' });
  return renderTable(container, parsed.data);
};
