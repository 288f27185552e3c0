// The two dictionaries have exactly the same keys, no empty strings, the same {placeholders}
// per key, and every t('key') used in src/ exists. Runs without a browser or a server.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');

async function loadDictionary(file) {
  const source = readFileSync(join(SRC, 'i18n', file), 'utf8');
  // zh-CN.ts imports only the type of en.ts; type imports vanish when transpiled.
  const js = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  const mod = await import(`data:text/javascript;base64,${Buffer.from(js).toString('base64')}`);
  return mod.default;
}

const placeholders = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

function sourceFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return name === 'i18n' ? [] : sourceFiles(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

const en = await loadDictionary('en.ts');
const zh = await loadDictionary('zh-CN.ts');

test('en and zh-CN have the same keys', () => {
  const enKeys = Object.keys(en).sort();
  const zhKeys = Object.keys(zh).sort();
  assert.deepEqual(enKeys.filter((k) => !(k in zh)), [], 'keys missing from zh-CN.ts');
  assert.deepEqual(zhKeys.filter((k) => !(k in en)), [], 'keys missing from en.ts');
  assert.ok(enKeys.length > 100, `only ${enKeys.length} keys`);
});

test('no empty strings and the same placeholders in both languages', () => {
  for (const key of Object.keys(en)) {
    assert.ok(en[key].trim(), `en: ${key} is empty`);
    assert.ok(zh[key].trim(), `zh-CN: ${key} is empty`);
    assert.deepEqual(placeholders(zh[key]), placeholders(en[key]), `placeholders of ${key}`);
  }
});

test('the Chinese dictionary is translated', () => {
  const cjk = /[\u4e00-\u9fff]/;
  const untranslated = Object.keys(zh).filter((k) => !cjk.test(zh[k]) && zh[k] === en[k]);
  // Product names, units and protocol names may stay as they are.
  const allowed = new Set(['app.name', 'users.mfa']);
  assert.deepEqual(untranslated.filter((k) => !allowed.has(k)), []);
});

test('every t() key used in the source exists', () => {
  const used = new Set();
  for (const file of sourceFiles(SRC)) {
    for (const m of readFileSync(file, 'utf8').matchAll(/\bt\(\s*'([\w.-]+)'/g)) used.add(m[1]);
  }
  assert.ok(used.size > 50);
  assert.deepEqual([...used].filter((k) => !(k in en)).sort(), []);
});
