'use strict';

// Runs the README's examples as written against the real server. Only the placeholders change:
// the key, the server's address, and the example.com photos (the bench photos on loopback).
// The package is installed the way the README says, into a scratch project.

const assert = require('node:assert/strict');
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const PACKAGE_DIR = path.resolve(__dirname, '..');
const README = fs.readFileSync(path.join(PACKAGE_DIR, 'README.md'), 'utf8');

/** The ```js blocks of the README, in order. */
const examples = [...README.matchAll(/```js\n([\s\S]*?)```/g)].map((match) => match[1]);

const DOCUMENT_EXAMPLE = `const { ProdVisual } = require('prodvisual');

const client = new ProdVisual('pv_live_a1b2c3d4...');

const result = await client.generate({
  imageUrl: 'https://example.com/product.jpg',
  style: 'lifestyle',
  platform: 'amazon'
});

console.log(result.outputUrl);
`;

function hasNpm() {
  try {
    execFileSync('npm', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A scratch project with the package installed: `npm pack` then `npm install` of the tarball
 * (offline: it has no dependencies), or a plain copy of the packed files where npm is absent. */
function scratchProject() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pv-sdk-node-readme-'));
  fs.writeFileSync(path.join(dir, 'package.json'), '{"name": "readme-examples", "private": true}\n');
  if (hasNpm()) {
    const options = { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' };
    const tarball = execFileSync('npm', ['pack', PACKAGE_DIR, '--silent'], options).trim().split('\n').pop();
    execFileSync('npm', ['install', `./${tarball}`, '--offline', '--no-audit', '--no-fund', '--silent'], options);
  } else {
    const target = path.join(dir, 'node_modules', 'prodvisual');
    fs.mkdirSync(target, { recursive: true });
    for (const file of ['package.json', 'index.js', 'index.d.ts', 'README.md']) {
      fs.copyFileSync(path.join(PACKAGE_DIR, file), path.join(target, file));
    }
  }
  return dir;
}

function substitute(code, { server, sources }) {
  let result = code
    .replaceAll('pv_live_a1b2c3d4...', server.liveKey)
    .replaceAll('http://127.0.0.1:8080', server.baseUrl)
    .replaceAll('https://example.com/product.jpg', sources.url(0));
  for (const n of [1, 2, 3]) result = result.replaceAll(`https://example.com/product${n}.jpg`, sources.url(n));
  return result;
}

/** Top-level `await`, as in the document, needs an async context: an async function around it. */
function inAsyncFunction(code) {
  return `(async () => {\n${code}\n})().catch((error) => { console.error(error); process.exit(1); });\n`;
}

function run(dir, file, code, env = {}) {
  fs.writeFileSync(path.join(dir, file), code);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file], { cwd: dir, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('exit', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`${file} exited ${code}: ${stderr}`))));
  });
}

module.exports = { examples, DOCUMENT_EXAMPLE, scratchProject, substitute, inAsyncFunction, run };
