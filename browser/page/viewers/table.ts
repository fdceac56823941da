/**
 * A grid of cell texts as an HTML table, built with DOM calls and textContent only (cell data is never parsed
 * as HTML), a few hundred rows at a time as the reader scrolls.
 */
import { renderProgressively, type Viewer } from './viewer.js';

const ROWS_PER_PIECE = 200;

/** Excel-style column names: A … Z, AA … */
export function columnName(index: number): string {
  let name = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) name = String.fromCharCode(65 + ((n - 1) % 26)) + name;
  return name;
}

/** A table with a spreadsheet's header row: an empty corner, then A, B, C … for `columns` columns. */
export function spreadsheetTable(className: string, columns: number): HTMLTableElement {
  const table = document.createElement('table');
  table.className = className;
  const head = table.createTHead().insertRow();
  head.append(document.createElement('th'));
  for (let c = 0; c < columns; c++) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = columnName(c);
    head.append(th);
  }
  return table;
}

export function renderTable(container: HTMLElement, rows: readonly (readonly unknown[])[]): Viewer {
  const columns = rows.reduce((most, row) => Math.max(most, row.length), 0);
  const table = spreadsheetTable('imm-table', columns);
  const body = table.createTBody();
  const sentinel = document.createElement('div');
  sentinel.className = 'imm-sentinel';
  container.append(table, sentinel);

  let next = 0;
  return renderProgressively(sentinel, () => {
    const end = Math.min(rows.length, next + ROWS_PER_PIECE);
    const piece = document.createDocumentFragment();
    for (; next < end; next++) {
      const tr = document.createElement('tr');
      const th = document.createElement('th');
      th.scope = 'row';
      th.textContent = String(next + 1);
      tr.append(th);
      const row = rows[next];
      for (let c = 0; c < columns; c++) {
        const td = document.createElement('td');
        const value = row[c];
        td.textContent = value === undefined || value === null ? '' : String(value);
        tr.append(td);
      }
      piece.append(tr);
    }
    body.append(piece);
    return next < rows.length;
  });
}
