import tseslint from 'typescript-eslint';

/**
 * Layers of runtime/, lowest first (docs/architecture.md §10). A folder may import its own tier
 * and the ones below, never one above: shared vocabulary (deployment descriptors, execution
 * states, resource profiles, the control protocol) lives low, in deployment/ and rpc/.
 */
const LAYERS = [
  ['util', 'config'],
  ['api', 'graph', 'deployment', 'state', 'storage', 'coordination', 'network', 'wire', 'rpc', 'checkpoint'],
  ['services'],
  ['taskmanager'],
  ['jobmanager'],
  ['minicluster', 'client'],
  ['cli'],
];

const layerRules = LAYERS.flatMap((tier, index) => {
  const above = LAYERS.slice(index + 1).flat();
  return above.length === 0
    ? []
    : tier.map((folder) => ({
        files: [`runtime/${folder}/**`],
        rules: {
          'no-restricted-imports': [
            'error',
            {
              patterns: above.map((upper) => ({
                group: [`**/${upper}`, `**/${upper}/**`],
                message: `runtime/${folder} sits below runtime/${upper} (docs/architecture.md §10): move what both need to a lower, neutral module.`,
              })),
            },
          ],
        },
      }));
});

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'cdk.out/**', 'bin/**', '.scratch/**', '.sluice/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  { files: ['runtime/cli/**', 'bench/**', 'local/**', 'test/**', 'functions/**'], rules: { 'no-console': 'off' } },
  ...layerRules,
);
