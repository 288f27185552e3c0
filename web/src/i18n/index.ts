// Every visible string comes from one of two dictionaries with the same keys (the type of zh-CN
// is derived from en, and tests/i18n_keys.test.mjs checks both files). The choice is remembered
// in localStorage; the first visit follows the browser's language.
import en from './en';
import zhCN from './zh-CN';

export type Key = keyof typeof en;
export type Lang = 'zh-CN' | 'en';

const dictionaries: Record<Lang, Record<Key, string>> = { 'zh-CN': zhCN, en };
const STORAGE_KEY = 'vigil.lang';

function initialLang(): Lang {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved === 'zh-CN' || saved === 'en') return saved;
  } catch {
    // Storage can be disabled; fall back to the browser's language.
  }
  return navigator.language.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

let current: Lang = initialLang();

export function lang(): Lang {
  return current;
}

export function setLang(next: Lang): void {
  current = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // Not remembered; the switch still applies to this page.
  }
  document.documentElement.lang = next;
}

// t('users.created', {name: 'x'}) replaces {name} in the string.
export function t(key: Key, params?: Record<string, string | number>): string {
  let s = dictionaries[current][key] ?? dictionaries.en[key] ?? key;
  if (params) {
    for (const [k, v] of Object.entries(params)) s = s.split(`{${k}}`).join(String(v));
  }
  return s;
}

// A string about a count: the key's ".one" form when the language's plural rules call `count`
// "one" (English: 1 event), else the key's own. Chinese has one form: its ".one" entries are the
// same text.
export function tn(key: Key, count: number, params?: Record<string, string | number>): string {
  const one = `${key}.one`;
  if (one in dictionaries.en && new Intl.PluralRules(current).select(count) === 'one') return t(one as Key, params);
  return t(key, params);
}

// A label for a value from the server (role, permission, status key) when the dictionary has
// one, else the value itself.
export function tMaybe(key: string, fallback: string): string {
  const d = dictionaries[current] as Record<string, string>;
  return d[key] ?? fallback;
}

document.documentElement.lang = current;
