/**
 * The open-loop generator as a process of its own: `node dist/bench/openLoop.js URL REQUESTS.json RATE SECONDS WARM_UP`
 * offers RATE requests per second of the file's requests (the first WARM_UP seconds not counted) and prints
 * its LoadResult as JSON.
 */
import fs from 'node:fs';
import { openLoop } from './loadGenerators.js';
import type { RawRequest } from '../test/helpers/signedHttp.js';

const [url, file, rate, seconds, warmUp] = process.argv.slice(2);
const requests = JSON.parse(fs.readFileSync(file, 'utf8')) as RawRequest[];
process.stdout.write(JSON.stringify(await openLoop(url, requests, Number(rate), Number(seconds), Number(warmUp))));
