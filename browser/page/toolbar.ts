/**
 * The toolbar: the document's name, who is viewing (User.Name and Avatar), and print / export / copy — each
 * offered only when the session's Permission grants it — and save / history when the view edits or may browse
 * versions. Hidecmb leaves the toolbar out altogether.
 */
import type { DocumentInfo } from './documentApi.js';

export interface ToolbarActions {
  print(): Promise<void>;
  exportPdf(): Promise<void>;
  copy(): Promise<void>;
  /** Offered when the view edits the document; resolves with what to tell the person. */
  save?(): Promise<string>;
  /** Offered with Permission.History. */
  history?(): Promise<void>;
  /** Shown when the session could edit but this format is view-only here. */
  viewOnly?: string;
}

function avatarUrl(avatar: string | undefined): string | undefined {
  if (!avatar) return undefined;
  try {
    const url = new URL(avatar);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

export function buildToolbar(info: DocumentInfo, actions: ToolbarActions): HTMLElement {
  const bar = document.createElement('header');
  bar.className = 'imm-toolbar';
  bar.setAttribute('role', 'toolbar');

  const title = document.createElement('span');
  title.className = 'imm-title';
  title.textContent = info.Filename;
  bar.append(title);

  const notice = document.createElement('span');
  notice.className = 'imm-notice';
  notice.setAttribute('role', 'status');

  const button = (name: string, label: string, action: () => Promise<string | void>, done?: string) => {
    const element = document.createElement('button');
    element.type = 'button';
    element.className = `imm-button imm-${name}`;
    element.dataset.action = name;
    element.textContent = label;
    element.addEventListener('click', async () => {
      element.disabled = true;
      notice.textContent = '';
      try {
        const said = await action();
        notice.textContent = said ?? done ?? '';
      } catch (error) {
        notice.textContent = `${label} failed: ${(error as Error).message}`;
      } finally {
        element.disabled = false;
      }
    });
    return element;
  };
  const permission = info.Permission;
  if (actions.save) bar.append(button('save', 'Save', actions.save));
  if (actions.history) bar.append(button('history', 'History', actions.history));
  // CachePreview sessions cannot print (as in IMM).
  if (permission.Print && !info.CachePreview) bar.append(button('print', 'Print', actions.print));
  if (permission.Export) bar.append(button('export', 'Export PDF', actions.exportPdf));
  if (permission.Copy) bar.append(button('copy', 'Copy', actions.copy, 'Copied.'));
  bar.append(notice);
  if (actions.viewOnly) {
    const viewOnly = document.createElement('span');
    viewOnly.className = 'imm-view-only';
    viewOnly.textContent = actions.viewOnly;
    bar.append(viewOnly);
  }

  const user = document.createElement('span');
  user.className = 'imm-user';
  const avatar = avatarUrl(info.User.Avatar);
  if (avatar) {
    const img = document.createElement('img');
    img.className = 'imm-avatar';
    img.alt = '';
    img.referrerPolicy = 'no-referrer';
    img.src = avatar;
    user.append(img);
  }
  const name = document.createElement('span');
  name.className = 'imm-user-name';
  name.textContent = info.User.Name || 'Unknown';
  user.append(name);
  user.title = `Viewing as ${name.textContent}`;
  bar.append(user);
  return bar;
}
