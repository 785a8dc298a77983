// ESLint for the PWA: the recommended rules plus eslint-plugin-no-unsanitized, so markup reaches the page
// only through lib/html.js (`html` escapes by default; `render` / `append` are the one sink).
import js from '@eslint/js';
import nounsanitized from 'eslint-plugin-no-unsanitized';
import globals from 'globals';

export default [
  { ignores: ['dist/**', 'node_modules/**'] },
  js.configs.recommended,
  nounsanitized.configs.recommended,
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: { ...globals.browser, ...globals.serviceworker } },
    rules: {
      'no-unsanitized/property': ['error', { escape: { taggedTemplates: ['html'] } }],
      'no-unsanitized/method': ['error', { escape: { taggedTemplates: ['html'] } }],
      'no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  { files: ['scripts/**', 'tests/**', '*.config.js'], languageOptions: { globals: globals.node } },
];
