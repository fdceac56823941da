/**
 * LibreOffice for the conversion suites: the `soffice` this machine has (IMM_SOFFICE, else on PATH). Where it is
 * missing the suites are skipped with a loud message — unless IMM_REQUIRE_LIBREOFFICE=1 (CI), where that is a
 * failure.
 */
import { findSoffice } from '../../src/conversion/soffice.js';

export const SOFFICE: string | undefined = findSoffice(process.env.IMM_SOFFICE === 'none' ? undefined : process.env.IMM_SOFFICE);

/** Options for a LibreOffice suite's `describe`: `skip` with the reason where there is no soffice. */
export function libreOfficeSuite(): { skip?: string } {
  if (SOFFICE) return {};
  const why = 'LIBREOFFICE TESTS SKIPPED: no soffice on PATH (apt-get install libreoffice-core-nogui libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui)';
  if (process.env.IMM_REQUIRE_LIBREOFFICE === '1') throw new Error(`${why}, but IMM_REQUIRE_LIBREOFFICE=1 requires them`);
  console.error(`\n${'!'.repeat(100)}\n!!! ${why}\n${'!'.repeat(100)}\n`);
  return { skip: why };
}
