// The TypeScript linter: typescript-eslint's recommended rules, and a line
// limit. Formatting itself is Prettier's (.prettierrc.json); `npm run lint` runs both checks.
import tseslint from 'typescript-eslint';

export default tseslint.config({ ignores: ['**/dist/**', '**/node_modules/**', '.wr/**', '.tmp/**'] }, ...tseslint.configs.recommended, {
  rules: {
    'max-len': ['error', { code: 160, ignoreUrls: true, ignoreRegExpLiterals: true }],
    '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
  },
});
