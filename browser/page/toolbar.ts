/**
 * The toolbar: the document's name, who is viewing (User.Name and Avatar), and print / export / copy — each
 * offered only when the session's Permission grants it. Hidecmb leaves the toolbar out altogether.
 */
import type { DocumentInfo } from './documentApi.js';

export interface ToolbarActions {
  print(): Promise<void>;
  exportPdf(): Promise<void>;
  copy(): Promise<void>;
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

  const button = (name: string, label: string, action: () => Promise<void>, done?: string) => {
    const element = document.createElement('button');
    element.type = 'button';
    element.className = `imm-button imm-${name}`;
    element.dataset.action = name;
    element.textContent = label;
    element.addEventListener('click', async () => {
      element.disabled = true;
      notice.textContent = '';
      try {
        await action();
        if (done) notice.textContent = done;
      } catch (error) {
        notice.textContent = `${label} failed: ${(error as Error).message}`;
      } finally {
        element.disabled = false;
      }
    });
    return element;
  };
  const permission = info.Permission;
  // CachePreview sessions cannot print (as in IMM).
  if (permission.Print && !info.CachePreview) bar.append(button('print', 'Print', actions.print));
  if (permission.Export) bar.append(button('export', 'Export PDF', actions.exportPdf));
  if (permission.Copy) bar.append(button('copy', 'Copy', actions.copy, 'Copied.'));
  bar.append(notice);

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
