// typescript-eslint's recommended rules, and the rooms of DESIGN.md §3 and who may import whom, as a check that fails CI.
import tseslint from 'typescript-eslint';

/** An import of another room, reached by any number of `../`. */
const room = (...names) => `^(\\.\\./)+(${names.join('|')})(/.*)?$`;
const ioModules = '^(node:|pg$|nodemailer$|express$|pino$|@temporalio/(client|worker|activity)$)';
/** Of the workflows, the rooms that start or name them see only their shared vocabulary. */
const onlyContracts = (folder) => ({ regex: '^(\\.\\./)+workflows/(?!contracts$)', message: `${folder} imports only workflows/contracts.ts of the workflows` });
const apiImports = [
  { regex: room('activities', 'worker', 'scripts', 'tests'), message: 'api/ imports domain/, db/ and workflows/contracts.ts' },
  onlyContracts('api/'),
];

/** One block per room: the files, and the imports they may not make. */
const rooms = [
  {
    files: ['domain/**/*.ts'],
    patterns: [
      { regex: room('workflows', 'activities', 'db', 'api', 'worker', 'scripts', 'tests'), message: 'domain/ imports nothing of the other rooms' },
      { regex: ioModules, message: 'this room does no I/O' },
    ],
  },
  {
    files: ['workflows/**/*.ts'],
    patterns: [
      { regex: room('db', 'api', 'worker', 'scripts', 'tests'), message: 'workflows/ import domain/, @temporalio/workflow and the types of activities/' },
      { regex: room('activities'), allowTypeImports: true, message: 'workflows/ import only the types of activities/' },
      { regex: ioModules, message: 'workflow code is deterministic: no I/O' },
    ],
  },
  {
    files: ['activities/**/*.ts'],
    patterns: [
      { regex: room('api', 'worker', 'scripts', 'tests'), message: 'activities/ import domain/, db/ and workflows/contracts.ts' },
      onlyContracts('activities/'),
    ],
  },
  {
    files: ['db/**/*.ts'],
    patterns: [
      { regex: room('activities', 'api', 'worker', 'scripts', 'tests'), message: 'db/ imports domain/ and workflows/contracts.ts' },
      onlyContracts('db/'),
    ],
  },
  { files: ['api/**/*.ts'], patterns: apiImports },
  {
    // Pages and routes are two doors to the same use cases, which live in api/commands/.
    files: ['api/pages/**/*.ts'],
    patterns: [{ regex: '^\\.\\./routes/', message: 'a page calls a use case of api/commands/, not a route module' }, ...apiImports],
  },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test-artifacts/**'] },
  ...tseslint.configs.recommended.map((config) => ({ ...config, files: ['**/*.ts', '**/*.mts'] })),
  {
    files: ['**/*.ts', '**/*.mts'],
    rules: {
      // A leading underscore names what a destructuring leaves out on purpose.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Still used where untyped JSON comes in: database rows, the OpenAPI document, audit event data (issue 11, typed vocabulary).
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  ...rooms.map(({ files, patterns }) => ({
    files,
    languageOptions: { parser: tseslint.parser },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns }] },
  })),
);
