/**
 * The watermark a session shows: Generate's `Watermark` with every field filled in, so that the page (drawing
 * over the view) and the server (stamping exports) draw the same thing. And the CSS of `FillStyle` and `Font`
 * read into numbers a PDF can use. Pure.
 */
import type { WebofficeWatermark } from '../tokens/webofficeOptions.js';

export interface TextWatermark {
  Type: 1;
  Value: string;
  /** A CSS colour with alpha. */
  FillStyle: string;
  /** A CSS font shorthand. */
  Font: string;
  /** Radians, as the canvas rotates (clockwise on screen when positive). */
  Rotate: number;
  /** Space between marks, in CSS pixels. */
  Horizontal: number;
  Vertical: number;
}

export type EffectiveWatermark = TextWatermark | { Type: 0 };

/** The examples of IMM's documentation, used wherever Generate left a field out. */
export const WATERMARK_DEFAULTS = { FillStyle: 'rgba(192, 192, 192, 0.6)', Font: 'bold 20px Serif', Rotate: -0.7853982, Horizontal: 50, Vertical: 100 } as const;

export function effectiveWatermark(watermark: WebofficeWatermark | undefined): EffectiveWatermark {
  if (watermark?.Type !== 1 || !watermark.Value) return { Type: 0 };
  return {
    Type: 1,
    Value: watermark.Value,
    FillStyle: watermark.FillStyle ?? WATERMARK_DEFAULTS.FillStyle,
    Font: watermark.Font ?? WATERMARK_DEFAULTS.Font,
    Rotate: watermark.Rotate ?? WATERMARK_DEFAULTS.Rotate,
    Horizontal: watermark.Horizontal ?? WATERMARK_DEFAULTS.Horizontal,
    Vertical: watermark.Vertical ?? WATERMARK_DEFAULTS.Vertical,
  };
}

/** A colour as PDF takes it: components 0–1, and the opacity. */
export interface Rgba {
  red: number;
  green: number;
  blue: number;
  alpha: number;
}

// A Map, not an object: a FillStyle of `__proto__` or `constructor` must not find Object's own properties.
const NAMED_COLOURS = new Map<string, [number, number, number]>(Object.entries({
  black: [0, 0, 0], white: [255, 255, 255], gray: [128, 128, 128], grey: [128, 128, 128], silver: [192, 192, 192],
  red: [255, 0, 0], green: [0, 128, 0], blue: [0, 0, 255], yellow: [255, 255, 0], orange: [255, 165, 0],
  purple: [128, 0, 128], lightgray: [211, 211, 211], lightgrey: [211, 211, 211], darkgray: [169, 169, 169], darkgrey: [169, 169, 169],
}));

/** `rgb()`/`rgba()` (commas or spaces, `/ alpha`, percentages), `#rgb[a]`, `#rrggbb[aa]`, a few names; else the default. */
export function parseFillStyle(css: string): Rgba {
  const text = css.trim().toLowerCase();
  const fallback = () => parseFillStyle(WATERMARK_DEFAULTS.FillStyle);
  const fromBytes = (r: number, g: number, b: number, a = 1): Rgba => ({ red: r / 255, green: g / 255, blue: b / 255, alpha: a });
  const named = NAMED_COLOURS.get(text);
  if (named) return fromBytes(...named);
  const hex = /^#([0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/.exec(text)?.[1];
  if (hex) {
    const pairs = hex.length <= 4 ? [...hex].map((c) => c + c) : hex.match(/../g)!;
    const [r, g, b, a] = pairs.map((pair) => parseInt(pair, 16));
    return fromBytes(r, g, b, a === undefined ? 1 : a / 255);
  }
  const functional = /^rgba?\(\s*([^)]*)\)$/.exec(text)?.[1];
  if (!functional) return fallback();
  const parts = functional.split(/\s*[,/]\s*|\s+/).filter(Boolean);
  if (parts.length !== 3 && parts.length !== 4) return fallback();
  const channel = (part: string, scale: number): number => (part.endsWith('%') ? (Number(part.slice(0, -1)) / 100) * scale : Number(part));
  const [r, g, b] = parts.slice(0, 3).map((part) => channel(part, 255));
  const a = parts[3] === undefined ? 1 : channel(parts[3], 1);
  if (![r, g, b, a].every(Number.isFinite)) return fallback();
  const clamp = (n: number, max: number) => Math.min(max, Math.max(0, n));
  return fromBytes(clamp(r, 255), clamp(g, 255), clamp(b, 255), clamp(a, 1));
}

export interface FontStyle {
  sizePx: number;
  bold: boolean;
  italic: boolean;
  family: 'serif' | 'sans-serif' | 'monospace';
}

/** The parts of a CSS font shorthand a PDF's standard fonts can follow: size (px or pt), weight, style, generic family. */
export function parseFont(css: string): FontStyle {
  const text = css.toLowerCase();
  const size = /(\d+(?:\.\d+)?)(px|pt)\b/.exec(text);
  const sizePx = size ? Number(size[1]) * (size[2] === 'pt' ? 4 / 3 : 1) : 20;
  const weight = /\b(bold|bolder|[6-9]00)\b/.test(text);
  const italic = /\b(italic|oblique)\b/.test(text);
  const family = /mono|courier/.test(text) ? 'monospace' : /sans/.test(text) ? 'sans-serif' : /serif|times|song|ming/.test(text) ? 'serif' : 'sans-serif';
  return { sizePx: Math.min(Math.max(sizePx, 4), 400), bold: weight, italic, family };
}
