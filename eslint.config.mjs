// ESLint (flat config): typescript-eslint's type-aware recommended rules over everything tsc compiles
// (src, migrations, test, bench), plain recommended rules over the few JavaScript files. Formatting is
// Prettier's alone (eslint-config-prettier switches off the rules it owns). `npm run lint` runs both
// and fails on any warning. Every exception below says why; an exception in the code needs a
// `-- reason` on its directive (eslint-comments/require-description).
import js from "@eslint/js";
import comments from "@eslint-community/eslint-plugin-eslint-comments/configs";
import prettier from "eslint-config-prettier";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", ".data/", "coverage/"] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  comments.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      "@eslint-community/eslint-comments/require-description": "error",
      "@eslint-community/eslint-comments/disable-enable-pair": ["error", { allowWholeFile: true }],
      // `const { omitted, ...rest } = x` drops a property; `_`-prefixed parameters are positional ones
      // an interface makes us accept.
      "@typescript-eslint/no-unused-vars": [
        "error",
        { ignoreRestSiblings: true, argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" },
      ],
      // Apollo's plugin hooks and similar interfaces are typed as returning promises; an `async` hook
      // that happens not to await anything is the idiom, not a mistake.
      "@typescript-eslint/require-await": "off",
    },
  },
  {
    // Tests read GraphQL and REST answers as JSON of the shape the assertions then check: `any` there
    // comes from the harness's response types (declared once, each with its reason), and reading it
    // unchecked is what an assertion is for. `any` written anywhere else still needs a reason.
    files: ["test/**/*.ts", "**/*.test.ts"],
    rules: {
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-return": "off",
    },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: globals.node },
  },
  {
    files: ["**/*.js"],
    languageOptions: { sourceType: "commonjs" },
    rules: { "@typescript-eslint/no-require-imports": "off" }, // CommonJS files Jest loads as they are
  },
  prettier,
);
