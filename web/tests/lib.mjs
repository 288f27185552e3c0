// Helpers of the console's browser tests: RFC 6238 codes, Debian's Chromium under
// playwright-core, signing in, screenshots.
import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM = process.env.VIGIL_CHROMIUM ?? '/usr/bin/chromium';

// RFC 4648 base32 (upper or lower case, padding optional).
export function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const clean = text.replace(/[\s=]/g, '').toUpperCase();
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of clean) {
    const idx = alphabet.indexOf(ch);
    if (idx < 0) throw new Error(`not base32: ${ch}`);
    value = (value << 5) | idx;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

// RFC 4226 HOTP with HMAC-SHA1, 6 digits.
export function hotp(key, counter) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', key).update(msg).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const bin = ((mac[offset] & 0x7f) << 24) | (mac[offset + 1] << 16) | (mac[offset + 2] << 8) | mac[offset + 3];
  return String(bin % 1_000_000).padStart(6, '0');
}

// RFC 6238: the time step of `ms` (30 s steps from the Unix epoch).
export const timeStep = (ms = Date.now()) => Math.floor(ms / 1000 / 30);

export async function launch() {
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'vigil-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    ignoreHTTPSErrors: true,
    locale: 'en-US',
    viewport: { width: 1360, height: 860 },
  });
  const close = async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  };
  return { context, close };
}

// A TOTP code source for one server: each call waits for a time step whose code the server has
// not seen yet (a code is accepted once) and returns that step's code.
export function freshCodes() {
  let lastStep;
  return (key) => {
    const step = Math.max(timeStep(), (lastStep ?? -1) + 1);
    lastStep = step;
    return hotp(key, step);
  };
}

// Script errors and console errors of `page` (other than 4xx responses the tests provoke) are
// collected into `problems`.
export function watchPage(page, problems) {
  page.setDefaultTimeout(10_000);
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/status of 4\d\d/.test(msg.text())) problems.push(msg.text());
  });
  page.on('pageerror', (err) => problems.push(String(err)));
  return page;
}

// Launches Chromium and returns its context and first page, watched by watchPage().
export async function openPage(problems) {
  const { context } = await launch();
  const page = watchPage(context.pages()[0] ?? (await context.newPage()), problems);
  return { context, page };
}

// Signs in on the sign-in form `page` shows now (opened by the test, or where the console sent
// it): user name and password; with `code`, submits once, waits for the one-time code field and
// submits the code. Where the console goes next is for the caller to check.
export async function fillSignIn(page, username, password, code) {
  const tid = (id) => page.locator(`[data-testid="${id}"]`);
  await tid('login-username').fill(username);
  await tid('login-password').fill(password);
  if (code) {
    await tid('login-submit').click();
    await tid('login-totp').waitFor();
    await tid('login-totp').fill(code);
  }
  await tid('login-submit').click();
}

// Opens the sign-in page of the console at `url` and signs in there (see fillSignIn).
export async function signIn(page, url, username, password, code) {
  await page.goto(`${url}/#/login`);
  await fillSignIn(page, username, password, code);
}

export function screenshotDir() {
  const dir = process.env.VIGIL_SCREENSHOTS ?? join(tmpdir(), 'vigil-console-screenshots');
  mkdirSync(dir, { recursive: true });
  return dir;
}
