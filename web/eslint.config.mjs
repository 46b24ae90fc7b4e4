// ESLint for the page's ES modules (src/movemirror/server/static/js), run by `make lint` from
// the repository root: web/node_modules/.bin/eslint --config web/eslint.config.mjs
import js from '@eslint/js';
import globals from 'globals';

export default [
  {
    files: ['src/movemirror/server/static/js/**/*.js'],
    ...js.configs.recommended,
    languageOptions: {
      ecmaVersion: 'latest',
      sourceType: 'module',
      globals: globals.browser,
    },
  },
];
