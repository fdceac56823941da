/**
 * The WebOffice page: a static shell with no document data (the file id in its URL is no credential; the page's
 * script asks the document API with the token the SDK hands it), and the headers that make it safe to embed.
 */

/** The shell. The script and styles are the browser build's; nothing is inline, so `script-src 'self'` holds. */
export function pageHtml(withStyles: boolean): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<title>WebOffice</title>',
    ...(withStyles ? ['<link rel="stylesheet" href="/office/assets/page.css">'] : []),
    '</head>',
    '<body>',
    '<div id="imm-weboffice-root"></div>',
    '<script src="/office/assets/page.js" type="module"></script>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/**
 * Scripts only from this origin, never inline; inline styles are allowed because docx-preview writes them;
 * images also from anywhere (avatars, pictures inside documents); `frame-ancestors` from IMM_FRAME_ANCESTORS.
 */
export function pageSecurityHeaders(frameAncestors: string): Record<string, string> {
  const policy = [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob: http: https:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "base-uri 'none'",
    "form-action 'none'",
    `frame-ancestors ${frameAncestors}`,
  ].join('; ');
  return {
    'content-security-policy': policy,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
  };
}
