// A string catalogue per language with {name} parameters, the language kept in localStorage and set on
// <html lang>. App-independent: each app passes its own catalogue.

export function createI18n(catalogues, { storageKey = 'lang', fallback = 'id' } = {}) {
  const languages = Object.keys(catalogues);
  let lang = languages.includes(localStorage.getItem(storageKey)) ? localStorage.getItem(storageKey) : fallback;

  function t(key, params = {}) {
    const text = catalogues[lang][key] ?? catalogues[fallback][key];
    if (text === undefined) {
      console.warn(`i18n: no text for ${key}`);
      return '';
    }
    return text.replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ''));
  }

  function setLang(next) {
    lang = languages.includes(next) ? next : fallback;
    localStorage.setItem(storageKey, lang);
    document.documentElement.lang = lang;
  }

  /** A label from a server list ({code, label_id, label_en}) in the current language. */
  function refLabel(item) {
    if (!item) return '';
    return item[`label_${lang}`] || item.label_id || item.name || String(item.code ?? '');
  }

  /** The current language's half of a bilingual server message ("Teks / Text"). */
  function serverText(message) {
    if (!message) return '';
    const parts = String(message).split(' / ');
    return parts.length === 2 ? parts[lang === fallback ? 0 : 1] : String(message);
  }

  const has = (key) => key in catalogues[lang] || key in catalogues[fallback];

  return { t, has, setLang, getLang: () => lang, refLabel, serverText, locale: () => catalogues[lang].locale || lang };
}
