// The TypeScript linter: typescript-eslint's recommended rules, and a line
// limit. Formatting itself is Prettier's (.prettierrc.json); `npm run lint` runs both checks.
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.wr/**', '.tmp/**', 'test-artifacts/**'] },
  ...tseslint.configs.recommended,
  // The web console's React code: the rules of hooks, beside the same TypeScript rules as everywhere.
  { files: ['packages/console/**/*.{ts,tsx}'], ...reactHooks.configs.flat.recommended },
  {
    rules: {
      'max-len': ['error', { code: 160, ignoreUrls: true, ignoreRegExpLiterals: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
);
