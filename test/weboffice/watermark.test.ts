/** The watermark's CSS read into what a PDF can draw, and the defaults the page and the export share. Pure. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { effectiveWatermark, parseFillStyle, parseFont, WATERMARK_DEFAULTS } from '../../src/weboffice/watermark.js';

const near = (actual: number, expected: number) => assert.ok(Math.abs(actual - expected) < 1e-9, `${actual} ≈ ${expected}`);

test('FillStyle: rgba/rgb with commas, spaces or a slash, percentages, hex with and without alpha, names', () => {
  const cases: [string, [number, number, number, number]][] = [
    ['rgba(192, 192, 192, 0.6)', [192, 192, 192, 0.6]],
    ['rgb(255 0 0 / 50%)', [255, 0, 0, 0.5]],
    ['RGB(100%, 0%, 50%)', [255, 0, 127.5, 1]],
    ['#f00', [255, 0, 0, 1]],
    ['#ff000080', [255, 0, 0, 128 / 255]],
    ['#00ff00', [0, 255, 0, 1]],
    ['silver', [192, 192, 192, 1]],
  ];
  for (const [css, [r, g, b, a]] of cases) {
    const colour = parseFillStyle(css);
    near(colour.red, r / 255);
    near(colour.green, g / 255);
    near(colour.blue, b / 255);
    near(colour.alpha, a);
  }
});

test('FillStyle: anything unreadable is the default colour; every reading is within 0–1', () => {
  assert.deepEqual(parseFillStyle('hsl(10, 20%, 30%)'), parseFillStyle(WATERMARK_DEFAULTS.FillStyle));
  assert.deepEqual(parseFillStyle('rgba(1, 2)'), parseFillStyle(WATERMARK_DEFAULTS.FillStyle));
  // Names of Object's own properties are no colour names (fast-check found `__proto__` once).
  for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) assert.deepEqual(parseFillStyle(name), parseFillStyle(WATERMARK_DEFAULTS.FillStyle), name);
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.tuple(fc.double(), fc.double(), fc.double(), fc.double()).map((n) => `rgba(${n.join(', ')})`)), (css) => {
      const colour = parseFillStyle(css);
      for (const value of Object.values(colour)) assert.ok(value >= 0 && value <= 1, `${css} → ${JSON.stringify(colour)}`);
    }),
  );
});

test('Font: size in px (pt scaled), weight, style and generic family', () => {
  assert.deepEqual(parseFont('bold 20px Serif'), { sizePx: 20, bold: true, italic: false, family: 'serif' });
  assert.deepEqual(parseFont('italic 12pt "Helvetica Neue", sans-serif'), { sizePx: 16, bold: false, italic: true, family: 'sans-serif' });
  assert.deepEqual(parseFont('700 9px monospace'), { sizePx: 9, bold: true, italic: false, family: 'monospace' });
  assert.equal(parseFont('huge').sizePx, 20, 'no size: the default');
  assert.equal(parseFont('9000px serif').sizePx, 400, 'bounded');
});

test('a Type 1 watermark gets every missing field from the defaults; Type 0, or no text, is no watermark', () => {
  assert.deepEqual(effectiveWatermark({ Type: 1, Value: 'Hi', Rotate: 0 }), { Type: 1, Value: 'Hi', ...WATERMARK_DEFAULTS, Rotate: 0 });
  assert.deepEqual(effectiveWatermark({ Type: 0, Value: 'Hi' }), { Type: 0 });
  assert.deepEqual(effectiveWatermark({ Value: 'Hi' }), { Type: 0 });
  assert.deepEqual(effectiveWatermark(undefined), { Type: 0 });
});
