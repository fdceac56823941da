/**
 * How a receiver knows a notification came from this service: the header
 * `x-imm-signature: t=<ms since epoch>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. The time is signed too, so
 * a receiver can refuse old replays; the id (`x-imm-notification-id`, and `Id` in the body) de-duplicates retries.
 */
import { createHmac } from 'node:crypto';
import { safeEqual } from '../core/safeEqual.js';

export const SIGNATURE_HEADER = 'x-imm-signature';
export const NOTIFICATION_ID_HEADER = 'x-imm-notification-id';

export function signNotification(secret: string, body: string, timestampMs: number): string {
  return `t=${timestampMs},v1=${createHmac('sha256', secret).update(`${timestampMs}.${body}`, 'utf8').digest('hex')}`;
}

/** What a receiver does (and the tests): true when `header` signs `body` with `secret` within `toleranceMs` of `nowMs`. */
export function verifyNotification(secret: string, body: string, header: string | undefined, nowMs = Date.now(), toleranceMs = 5 * 60_000): boolean {
  const match = /^t=(\d{1,16}),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!match) return false;
  const timestampMs = Number(match[1]);
  if (Math.abs(nowMs - timestampMs) > toleranceMs) return false;
  return safeEqual(signNotification(secret, body, timestampMs), header!);
}
