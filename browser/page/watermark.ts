/**
 * The text watermark (Watermark Type 1) drawn over the whole document: a tile made on a canvas (the text,
 * rotated, with the Horizontal/Vertical spacing around it) repeated as the background of an overlay that spans
 * the document container above every page and lets the pointer through. The defaults are IMM's examples.
 */
import type { Watermark } from './documentApi.js';

const DEFAULTS = { FillStyle: 'rgba(192, 192, 192, 0.6)', Font: 'bold 20px Serif', Rotate: -0.7853982, Horizontal: 50, Vertical: 100 };

export interface WatermarkTile {
  dataUrl: string;
  /** CSS pixels. */
  width: number;
  height: number;
}

function finiteOr(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

export function watermarkTile(watermark: Watermark, pixelRatio = window.devicePixelRatio || 1): WatermarkTile | undefined {
  if (watermark.Type !== 1 || !watermark.Value) return undefined;
  const text = watermark.Value;
  const font = watermark.Font || DEFAULTS.Font;
  const rotate = finiteOr(watermark.Rotate, DEFAULTS.Rotate);
  const gapX = Math.max(0, finiteOr(watermark.Horizontal, DEFAULTS.Horizontal));
  const gapY = Math.max(0, finiteOr(watermark.Vertical, DEFAULTS.Vertical));

  const canvas = document.createElement('canvas');
  const context = canvas.getContext('2d');
  if (!context) return undefined;
  context.font = font;
  const metrics = context.measureText(text);
  const textWidth = metrics.width;
  const ascent = metrics.actualBoundingBoxAscent;
  const descent = metrics.actualBoundingBoxDescent;
  const textHeight = ascent + descent;
  // The rotated text's bounding box, then the spacing around it.
  const cos = Math.abs(Math.cos(rotate));
  const sin = Math.abs(Math.sin(rotate));
  const width = Math.ceil(textWidth * cos + textHeight * sin + gapX);
  const height = Math.ceil(textWidth * sin + textHeight * cos + gapY);

  canvas.width = Math.max(1, Math.round(width * pixelRatio));
  canvas.height = Math.max(1, Math.round(height * pixelRatio));
  context.scale(pixelRatio, pixelRatio);
  context.font = font; // resizing the canvas reset it
  context.fillStyle = watermark.FillStyle || DEFAULTS.FillStyle;
  context.translate(width / 2, height / 2);
  context.rotate(rotate);
  context.fillText(text, -textWidth / 2, (ascent - descent) / 2);
  return { dataUrl: canvas.toDataURL('image/png'), width, height };
}

/** Covers `container` (which must be positioned) with the watermark; returns the overlay, or undefined for none. */
export function drawWatermark(container: HTMLElement, watermark: Watermark): HTMLElement | undefined {
  const tile = watermarkTile(watermark);
  if (!tile) return undefined;
  const overlay = document.createElement('div');
  overlay.className = 'imm-watermark';
  overlay.setAttribute('aria-hidden', 'true');
  overlay.style.backgroundImage = `url("${tile.dataUrl}")`;
  overlay.style.backgroundSize = `${tile.width}px ${tile.height}px`;
  container.append(overlay);
  return overlay;
}
