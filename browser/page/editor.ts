/**
 * Editing in the page, for the formats it can write back honestly: .txt as a text area, .csv as a grid of
 * editable cells (papaparse reads and writes it). Cell data is only ever text (textContent / value), never markup.
 */
import Papa from 'papaparse';
import { decodeText } from './viewers/viewer.js';
import { columnName, spreadsheetTable } from './viewers/table.js';

export type EditableKind = 'text' | 'csv';

export interface Editor {
  /** The document as edited, as the bytes to save (UTF-8). */
  bytes(): Uint8Array;
  /** Whether it differs from what was loaded or last saved. */
  dirty(): boolean;
  /** What is shown now is what the server has (after a save). */
  markSaved(): void;
  destroy(): void;
}

export function isEditable(kind: string): kind is EditableKind {
  return kind === 'text' || kind === 'csv';
}

export function renderEditor(container: HTMLElement, kind: EditableKind, content: ArrayBuffer): Editor {
  const editor = kind === 'text' ? textEditor(container, decodeText(content)) : gridEditor(container, decodeText(content));
  let saved = editor.text();
  return {
    bytes: () => new TextEncoder().encode(editor.text()),
    dirty: () => editor.text() !== saved,
    markSaved: () => void (saved = editor.text()),
    destroy: editor.destroy,
  };
}

function textEditor(container: HTMLElement, text: string) {
  const area = document.createElement('textarea');
  area.className = 'imm-text-editor';
  area.spellcheck = false;
  area.setAttribute('aria-label', 'Document text');
  area.value = text;
  container.append(area);
  return { text: () => area.value, destroy: () => area.remove() };
}

function gridEditor(container: HTMLElement, text: string) {
  const parsed = Papa.parse<string[]>(text, { skipEmptyLines: 'greedy' });
  const rows = parsed.data.length > 0 ? parsed.data : [['']];
  const columns = rows.reduce((most, row) => Math.max(most, row.length), 1);
  // Line ending as loaded, so an untouched file saves as the same bytes.
  const newline = text.includes('\r\n') ? '\r\n' : '\n';
  const trailing = /\r?\n$/.test(text);
  const wrapper = document.createElement('div');
  wrapper.className = 'imm-grid-editor';
  const table = spreadsheetTable('imm-table imm-grid', columns);
  const body = table.createTBody();
  const addRow = (values: readonly string[]) => {
    const tr = body.insertRow();
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = String(body.rows.length);
    tr.append(th);
    for (let c = 0; c < columns; c++) {
      const input = document.createElement('input');
      input.className = 'imm-cell';
      input.value = values[c] ?? '';
      input.setAttribute('aria-label', `${columnName(c)}${body.rows.length}`);
      tr.insertCell().append(input);
    }
  };
  for (const row of rows) addRow(row);
  const more = document.createElement('button');
  more.type = 'button';
  more.className = 'imm-button imm-add-row';
  more.textContent = 'Add row';
  more.addEventListener('click', () => addRow([]));
  wrapper.append(table, more);
  container.append(wrapper);
  const original = rows.map((row) => Array.from({ length: columns }, (_, c) => row[c] ?? ''));
  const current = () =>
    Array.from(body.rows, (tr) => Array.from(tr.querySelectorAll<HTMLInputElement>('input.imm-cell'), (input) => input.value));
  return {
    text: () => {
      const values = current();
      // Unchanged cells give back the loaded text itself (quoting and all).
      if (JSON.stringify(values) === JSON.stringify(original)) return text;
      return Papa.unparse(values, { newline }) + (trailing ? newline : '');
    },
    destroy: () => wrapper.remove(),
  };
}
