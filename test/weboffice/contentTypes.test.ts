/**
 * What a document's or asset's name says about it: its viewer and its media type, from the extension alone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assetContentType, documentContentType, viewerFor } from '../../src/weboffice/contentTypes.js';

test('known extensions, in any case, name their viewer and media type; anything else is converted and opaque', () => {
  assert.equal(viewerFor('Report.PDF'), 'pdf');
  assert.equal(viewerFor('notes.txt'), 'text');
  assert.equal(viewerFor('slides.pptx'), 'converter-needed');
  assert.equal(viewerFor('no-extension'), 'converter-needed');
  assert.equal(documentContentType('a.pdf'), 'application/pdf');
  assert.equal(documentContentType('a.unknown'), 'application/octet-stream');
  assert.equal(assetContentType('font.woff2'), 'font/woff2');
});

test('an extension that names a property of every object (constructor, __proto__, toString) is no known type', () => {
  for (const extension of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
    assert.equal(viewerFor(`x.${extension}`), 'converter-needed', extension);
    assert.equal(documentContentType(`x.${extension}`), 'application/octet-stream', extension);
    assert.equal(assetContentType(`x.${extension}`), 'application/octet-stream', extension);
  }
});
