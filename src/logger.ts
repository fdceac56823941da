import pino, { type Logger } from 'pino';

/**
 * Structured logs on stderr (stdout carries only the ready line and CLI output). Nothing here logs a URL
 * query, a body or a header value; the redaction list is a second guard for fields that must never appear.
 */
export function createLogger(level: string): Logger {
  return pino(
    {
      level,
      base: { service: 'imm-weboffice' },
      redact: {
        paths: [
          'AccessKeySecret',
          'AccessToken',
          'RefreshToken',
          'secret',
          'headers.authorization',
          'headers["x-acs-security-token"]',
          'headers["x-weboffice-token"]',
          '*.AccessKeySecret',
          '*.AccessToken',
          '*.RefreshToken',
          '*.secret',
        ],
        censor: '[redacted]',
      },
    },
    pino.destination(2),
  );
}
