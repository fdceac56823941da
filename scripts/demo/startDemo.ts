/**
 * The demo: the service (`imm-weboffice serve`, as a user starts it) on a data directory of its own with
 * sample documents of every format, and the integrator app on a second port. Short access tokens, so a refresh
 * is seen within a minute.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import RPCClient from '@alicloud/pop-core';
import { startIntegrator, type Integrator, type ViewOptions } from './integrator.js';
import { csvDocument, docxDocument, pdfDocument, textDocument, xlsxDocument } from './sampleDocuments.js';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/cli.js');
const PROJECT = 'demo';
const BUCKET = 'demo-documents';
const run = promisify(execFile);

export interface DemoOptions {
  servicePort: number;
  integratorPort: number;
  accessTokenTtlSeconds: number;
}

export interface Demo {
  serviceUrl: string;
  integrator: Integrator;
  stop(): Promise<void>;
}

async function sampleDocuments(): Promise<Record<string, Buffer>> {
  return {
    'handbook.pdf': await pdfDocument([
      ['imm-weboffice demo', 'A PDF rendered by pdf.js, a page at a time.', 'The watermark is drawn over every page.', 'Scroll down: the next pages are drawn as they come into view.'],
      ['Page two', 'The SDK refreshes the access token before it expires;', 'watch the events on the right.'],
      ['Page three', 'Delete the project (DeleteProject) and the page is shut out.'],
    ]),
    'letter.docx': await docxDocument(['A Word document', 'Rendered in the browser by docx-preview.', 'Opened with an access token handed over by postMessage, never in a URL.']),
    'budget.xlsx': xlsxDocument({
      Budget: [['Item', 'Q1', 'Q2'], ['Servers', 1200, 1350], ['Licences', 300, 300], ['Total', 1500, 1650]],
      Notes: [['Read by SheetJS, shown as a table of text.']],
    }),
    'notes.txt': textDocument('Plain text, shown as it is.\nSecond line.\n'),
    'contacts.csv': csvDocument([['Name', 'City'], ['Alice', 'Hangzhou'], ['Bob', 'Shanghai']]),
  };
}

const VIEWS: Record<string, Omit<ViewOptions, 'sourceUri' | 'projectName'> & { key: string }> = {
  pdf: {
    key: 'handbook.pdf',
    title: 'PDF with a watermark',
    permission: { Readonly: true, Print: true, Copy: true },
    user: { Id: 'alice', Name: 'Alice' },
    watermark: { Type: 1, Value: 'CONFIDENTIAL · Alice', FillStyle: 'rgba(220, 38, 38, 0.25)', Font: 'bold 22px sans-serif', Rotate: -0.5235988, Horizontal: 80, Vertical: 90 },
  },
  docx: { key: 'letter.docx', title: 'Word document (.docx)', permission: { Readonly: true, Copy: false }, user: { Id: 'bob', Name: 'Bob' } },
  xlsx: { key: 'budget.xlsx', title: 'Spreadsheet (.xlsx)', permission: { Readonly: true, Print: true, Copy: true }, user: { Id: 'carol', Name: 'Carol' } },
  txt: { key: 'notes.txt', title: 'Text (.txt), toolbar hidden (Hidecmb)', hidecmb: true },
  csv: { key: 'contacts.csv', title: 'CSV (.csv)', permission: { Readonly: true, Export: true, Print: true }, user: { Id: 'dan', Name: 'Dan' } },
};

export async function startDemo(options: DemoOptions): Promise<Demo> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'imm-weboffice-demo-'));
  const env = {
    ...process.env,
    IMM_DATA_DIR: dataDir,
    IMM_PORT: String(options.servicePort),
    IMM_ACCESS_TOKEN_TTL: String(options.accessTokenTtlSeconds),
    IMM_LOG_LEVEL: 'warn',
  };
  const service = spawn(process.execPath, [CLI, 'serve'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const serviceUrl = await new Promise<string>((resolve, reject) => {
    let out = '';
    service.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const match = /imm-weboffice listening on (\S+)/.exec(out);
      if (match) resolve(match[1]);
    });
    service.once('exit', (code) => reject(new Error(`the service exited with ${code} before it was ready`)));
  });
  const stopService = () => new Promise<void>((resolve) => (service.exitCode !== null ? resolve() : (service.once('exit', () => resolve()), service.kill('SIGTERM'))));

  try {
    const root = JSON.parse(fs.readFileSync(path.join(dataDir, 'root-credentials.json'), 'utf8'));
    const cli = (...args: string[]) => run(process.execPath, [CLI, ...args], { env });
    await cli('bucket', 'create', BUCKET, '--account', root.AccountId);
    const files = path.join(dataDir, 'samples');
    fs.mkdirSync(files);
    for (const [name, bytes] of Object.entries(await sampleDocuments())) {
      fs.writeFileSync(path.join(files, name), bytes);
      await cli('object', 'put', `oss://${BUCKET}/${name}`, path.join(files, name));
    }
    const client = new RPCClient({ accessKeyId: root.AccessKeyId, accessKeySecret: root.AccessKeySecret, endpoint: serviceUrl, apiVersion: '2020-09-30' });
    await client.request('CreateProject', { ProjectName: PROJECT }, { method: 'POST' });

    const integrator = await startIntegrator({ serviceUrl, credentials: root, port: options.integratorPort });
    for (const [name, { key, ...view }] of Object.entries(VIEWS)) {
      integrator.addView(name, { ...view, sourceUri: `oss://${BUCKET}/${key}`, projectName: PROJECT });
    }
    return {
      serviceUrl,
      integrator,
      stop: async () => {
        await integrator.close();
        await stopService();
        fs.rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await stopService();
    throw error;
  }
}
