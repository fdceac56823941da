// Made examples/report.docx once, with the `docx` library (so the format is not written by hand):
//   mkdir /tmp/docxgen && cd /tmp/docxgen && npm init -y && npm install docx@9
//   cp <checkout>/examples/make-report-docx.mjs . && node make-report-docx.mjs <checkout>/examples/report.docx
import fs from 'node:fs';
import { Document, HeadingLevel, Packer, Paragraph, TextRun } from 'docx';

const document = new Document({
  creator: 'imm-weboffice',
  title: 'Quarterly report',
  sections: [
    {
      children: [
        new Paragraph({ text: 'Quarterly report', heading: HeadingLevel.HEADING_1 }),
        new Paragraph({ children: [new TextRun('A sample document for the imm-weboffice README: '), new TextRun({ text: 'open it with GenerateWebofficeToken.', bold: true })] }),
      ],
    },
  ],
});

fs.writeFileSync(process.argv[2] ?? 'report.docx', await Packer.toBuffer(document));
