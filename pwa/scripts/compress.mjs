// Pre-compresses the built text files (JS, CSS, HTML, manifest) as Brotli (.br) and gzip (.gz) beside
// them, so the server sends them compressed without compressing per request (server/pwa/routes.py).
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const TEXT = /\.(js|css|html|webmanifest|json|svg)$/;
let plain = 0; let gz = 0; let br = 0;
const staff = { plain: 0, gz: 0 };

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) { walk(path); continue; }
    if (!TEXT.test(name)) continue;
    const data = readFileSync(path);
    const gzipped = gzipSync(data, { level: 9 });
    const brotli = brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: data.length } });
    writeFileSync(`${path}.gz`, gzipped);
    writeFileSync(`${path}.br`, brotli);
    if (path.startsWith(join('dist', 'assets'))) { plain += data.length; gz += gzipped.length; br += brotli.length; }
    if (path.startsWith(join('dist', 'staff', 'assets'))) { staff.plain += data.length; staff.gz += gzipped.length; }
  }
}

walk('dist');
console.log(`app JS + CSS: ${plain} bytes, gzip ${gz}, brotli ${br}`);
console.log(`staff JS + CSS: ${staff.plain} bytes, gzip ${staff.gz}`);
