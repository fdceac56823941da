/**
 * A genuine bug, planted from outside: preloaded into a test server (`NODE_OPTIONS=--import …/plantedBug.js`)
 * so that no test-only route or switch exists in production code. When a decoded request parameter equals
 * `IMM_TEST_PLANTED_BUG`, iterating the parameters (src/api/params.ts) throws a TypeError, exactly as a
 * programming error there would. Every other request is untouched; without the variable this does nothing.
 */
const marker = process.env.IMM_TEST_PLANTED_BUG;

if (marker) {
  const iterate = URLSearchParams.prototype[Symbol.iterator];
  URLSearchParams.prototype[Symbol.iterator] = function* (this: URLSearchParams) {
    for (const entry of iterate.call(this)) {
      if (entry[1] === marker) throw new TypeError("Cannot read properties of undefined (reading 'planted')");
      yield entry;
    }
  } as unknown as typeof iterate;
}

export {};
