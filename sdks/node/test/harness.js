'use strict';

// The test harness: the real `prodvisual serve` on loopback, the bench photos served over
// loopback HTTP, and a webhook receiver. Nothing here imitates the server.

const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const PACKSHOTS = path.join(process.env.PRODVISUAL_BENCH_DIR || path.join(REPO_ROOT, '..', 'shared', 'bench'), 'packshots');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function locateExecutable() {
  const explicit = process.env.PRODVISUAL_EXECUTABLE;
  if (explicit) {
    fs.accessSync(explicit, fs.constants.X_OK);
    return explicit;
  }
  for (const configuration of ['debug', 'release']) {
    const candidate = path.join(REPO_ROOT, '.build', configuration, 'prodvisual');
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // try the next one
    }
  }
  throw new Error(`No prodvisual executable under ${REPO_ROOT}/.build/{debug,release}: run \`swift build --product prodvisual\` or set PRODVISUAL_EXECUTABLE.`);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

async function getStatus(url) {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return null;
  }
}

/** `prodvisual serve` on a fresh data directory and a free loopback port. */
class ServerProcess {
  static async start({ rateLimitPerMinute = 1_000_000 } = {}) {
    const server = new ServerProcess();
    server.executable = locateExecutable();
    server.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pv-sdk-node-'));
    server.port = await freePort();
    server.baseUrl = `http://127.0.0.1:${server.port}`;
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('PRODVISUAL_')));
    env.PRODVISUAL_RATE_LIMIT_PER_DAY = '100000000';
    const stdout = fs.openSync(path.join(server.dataDir, 'stdout.log'), 'a');
    const stderr = fs.openSync(path.join(server.dataDir, 'stderr.log'), 'a');
    server.child = spawn(
      server.executable,
      ['serve', '--host', '127.0.0.1', '--port', String(server.port), '--data-dir', server.dataDir,
        '--allow-private-sources', '--rate-limit-per-minute', String(rateLimitPerMinute)],
      { stdio: ['ignore', stdout, stderr], env },
    );
    fs.closeSync(stdout);
    fs.closeSync(stderr);
    server.exited = new Promise((resolve) => server.child.once('exit', (code, signal) => resolve({ code, signal })));
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (server.child.exitCode !== null) throw new Error(`the server exited (${server.child.exitCode})\n${server.stderrTail()}`);
      if ((await getStatus(`${server.baseUrl}/health`)) === 200) break;
      if (Date.now() > deadline) {
        await server.stop();
        throw new Error(`the server was not healthy within 60 s\n${server.stderrTail()}`);
      }
      await sleep(100);
    }
    server.readKeys();
    return server;
  }

  readKeys() {
    const text = fs.readFileSync(path.join(this.dataDir, 'stdout.log'), 'utf8');
    for (const line of text.split('\n')) {
      const token = line.trim().split(/\s+/).pop();
      if (line.includes('Live key (spends credits):') && token.startsWith('pv_live_')) this.liveKey = token;
      if (line.includes('Test key (free, watermarked):') && token.startsWith('pv_test_')) this.testKey = token;
    }
    if (!this.liveKey || !this.testKey) throw new Error(`the server printed no first-start keys:\n${text}`);
  }

  /** A live key on a new account with `credits`, made by the operator command. */
  createKey(credits = 0) {
    const output = execFileSync(this.executable, ['keys', 'create', '--data-dir', this.dataDir, '--credits', String(credits)], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    return output.trim().split('\n').pop();
  }

  get outputsDir() {
    return path.join(this.dataDir, 'outputs');
  }

  stderrTail(lines = 30) {
    try {
      return fs.readFileSync(path.join(this.dataDir, 'stderr.log'), 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no stderr log)';
    }
  }

  async stop() {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
      await this.exited;
      clearTimeout(timer);
    }
    if (!process.env.PRODVISUAL_KEEP_TEST_DATA) fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}

function listen(server) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
}

/**
 * Source images over loopback: /packshots/<path> (the bench photos, read in place),
 * /slow/<seconds>/<path> (the same after a delay), /too-large.jpg (11 MB), /not-an-image.jpg.
 */
class SourceServer {
  static async start() {
    if (!fs.existsSync(PACKSHOTS)) throw new Error(`The bench photos are missing: expected them in ${PACKSHOTS}`);
    const source = new SourceServer();
    source.photos = fs
      .readdirSync(PACKSHOTS, { recursive: true })
      .map(String)
      .filter((name) => name.endsWith('.jpg') && fs.statSync(path.join(PACKSHOTS, name)).size <= 150_000)
      .sort();
    if (source.photos.length === 0) throw new Error(`No JPEG of at most 150 kB in ${PACKSHOTS}`);
    source.server = http.createServer((request, response) => source.handle(request, response));
    source.server.keepAliveTimeout = 1000;
    source.baseUrl = `http://127.0.0.1:${await listen(source.server)}`;
    return source;
  }

  async handle(request, response) {
    let pathname = new URL(request.url, 'http://localhost').pathname;
    if (pathname === '/too-large.jpg') {
      const size = 11 * 1024 * 1024;
      response.writeHead(200, { 'Content-Type': 'image/jpeg', 'Content-Length': size });
      const chunk = Buffer.alloc(64 * 1024);
      chunk.set([0xff, 0xd8, 0xff, 0xe0]);
      for (let sent = 0; sent < size && !response.destroyed; sent += chunk.length) {
        if (!response.write(chunk)) await new Promise((resolve) => { response.once('drain', resolve); response.once('close', resolve); });
      }
      response.end();
      return;
    }
    if (pathname === '/not-an-image.jpg') {
      const body = Buffer.from('This is a text file, not a photo.\n'.repeat(20));
      response.writeHead(200, { 'Content-Type': 'image/jpeg', 'Content-Length': body.length });
      response.end(body);
      return;
    }
    const slow = pathname.match(/^\/slow\/([0-9.]+)\/(.+)$/);
    if (slow) {
      await sleep(Number(slow[1]) * 1000);
      pathname = `/packshots/${slow[2]}`;
    }
    if (pathname.startsWith('/packshots/')) {
      const file = path.resolve(PACKSHOTS, decodeURIComponent(pathname.slice('/packshots/'.length)));
      if (file.startsWith(path.resolve(PACKSHOTS) + path.sep) && fs.existsSync(file)) {
        const body = fs.readFileSync(file);
        response.writeHead(200, { 'Content-Type': 'image/jpeg', 'Content-Length': body.length });
        response.end(body);
        return;
      }
    }
    response.writeHead(404).end();
  }

  url(index = 0) {
    return `${this.baseUrl}/packshots/${this.photos[index % this.photos.length]}`;
  }

  slowUrl(seconds, index = 0) {
    return `${this.baseUrl}/slow/${seconds}/${this.photos[index % this.photos.length]}`;
  }

  /** A cheap generation: a small white-background JPEG. */
  item(index = 0, extra = {}) {
    return { imageUrl: this.url(index), style: 'white_bg', dimensions: '400x400', format: 'jpeg', ...extra };
  }

  stop() {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(resolve));
  }
}

/** A customer's webhook endpoint on loopback: records every POST (raw body, headers) and answers 200. */
class WebhookReceiver {
  static async start() {
    const receiver = new WebhookReceiver();
    receiver.deliveries = [];
    receiver.server = http.createServer((request, response) => {
      const chunks = [];
      request.on('data', (chunk) => chunks.push(chunk));
      request.on('end', () => {
        receiver.deliveries.push({ body: Buffer.concat(chunks), headers: request.headers, receivedAt: Date.now() });
        response.writeHead(200).end();
      });
    });
    receiver.url = `http://127.0.0.1:${await listen(receiver.server)}/hook`;
    return receiver;
  }

  /** The first delivery of `event` whose data names `id`. */
  async waitFor(event, id, timeout = 30_000) {
    const deadline = Date.now() + timeout;
    while (Date.now() < deadline) {
      const found = this.deliveries.find((delivery) => {
        const payload = JSON.parse(delivery.body.toString('utf8'));
        return payload.event === event && (payload.data.id === id || payload.data.batch_id === id);
      });
      if (found) return found;
      await sleep(50);
    }
    throw new Error(`no ${event} delivery for ${id} within ${timeout} ms; got ${this.deliveries.length}`);
  }

  stop() {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(resolve));
  }
}

/** Replaces the server's outputs folder with a file, so that storing a render fails (500). */
class BrokenOutputs {
  constructor(server) {
    this.outputs = server.outputsDir;
    this.aside = `${this.outputs}.aside`;
    fs.renameSync(this.outputs, this.aside);
    fs.writeFileSync(this.outputs, 'not a folder');
  }

  restore() {
    if (fs.existsSync(this.aside)) {
      fs.unlinkSync(this.outputs);
      fs.renameSync(this.aside, this.outputs);
    }
  }
}

module.exports = { ServerProcess, SourceServer, WebhookReceiver, BrokenOutputs, sleep, REPO_ROOT };
