// Guichet's layering, checked by dependency-cruiser: `npm run lint:layers`.
//
// Read it as the map of the code. Dependencies point one way:
//
//   composition roots   src/cli.ts -> src/commands/ -> src/app.ts   (wire everything, may import anything)
//          |
//   edges               src/mail/ (intake)   src/http/ (web admin, /api/v1)   src/jobs/ (schedules)
//          |
//   domain              src/notify/ -> src/tickets/ -> src/accounts/
//          |
//   foundations         src/protocol/ (our email protocol)   src/db/ (Kysely, schema, migrations runner)
//   shared leaves       src/log.ts   src/worker-thread.ts
//   operations          src/logger.ts (pino)   src/metrics.ts (prom-client)   (only the roots import them)
//   frozen              migrations/ (imports nothing from src/)
//
// Each layer lists what it MAY import (a `pathNot` allow-list), so a folder nobody has placed yet is
// forbidden everywhere until it gets a line here. Type-only imports (`import type`) count: the
// layering is about what a module knows of, not only about what runs.
//
// Parser: TypeScript 7 has no JavaScript compiler API, so dependency-cruiser's `tsc` parser is
// unavailable; `@swc/core` (a devDependency) parses the .ts files and keeps `import type` edges.

// Without a working parser for .ts, dependency-cruiser does not fail: it silently skips every .ts
// file and reports no violation. So stop here, loudly, if swc cannot parse an `import type`.
try {
  require('@swc/core').parseSync("import type { Db } from './db/connect.ts';", { syntax: 'typescript' });
} catch (error) {
  throw new Error(
    'lint:layers needs @swc/core (a devDependency) to read the .ts sources; run `npm ci`. ' +
      `Loading it failed: ${error && error.message}`,
  );
}

/** Where each layer lives; a regex on the path relative to the repository root. */
const ROOTS = '^src/(app|cli)[.]ts$|^src/commands/';
const LAUNCHER = '^src/guichet[.]mjs$'; // the `guichet` bin: loads src/cli.ts, compiled or through tsx
// Which code runs (compiled.mjs: dist/ when current, else the sources) and `npm run build`; plain
// JavaScript that imports nothing of Guichet's.
const BUILD = '^src/(compiled|build)[.]mjs$';
const LOG = '^src/log[.]ts$';
const WORKER_THREAD = '^src/worker-thread[.]ts$';
const CONFIG = '^src/config[.]ts$';
// How the running process reports itself (pino, prom-client): built by the composition roots, reached
// by every other layer only through the Log and Metrics types of src/log.ts.
const OPERATIONS = '^src/(logger|metrics)[.]ts$';
const LAYER = (name) => `^src/${name}/`;

/** Every path under src/ that has a place in the map above. */
const PLACED = [
  ROOTS,
  LAUNCHER,
  BUILD,
  LOG,
  WORKER_THREAD,
  CONFIG,
  OPERATIONS,
  ...['protocol', 'db', 'accounts', 'tickets', 'notify', 'mail', 'http', 'jobs'].map(LAYER),
];

/** A layer's rule: files under `from` may import, inside src/, only what `mayImport` lists. */
const onlyImports = (name, comment, from, mayImport) => ({
  name,
  comment,
  severity: 'error',
  from: { path: from },
  to: { path: '^src/', pathNot: mayImport },
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    // ---- foundations -------------------------------------------------------------------------
    onlyImports(
      'protocol-is-a-leaf',
      "src/protocol/ is Guichet's own email protocol (ticket tags, action markers, reply addresses, " +
        'Message-IDs, mailto links). Everything else speaks it, so it depends on nothing of ours: ' +
        'move the needed piece into src/protocol/ instead.',
      LAYER('protocol'),
      [LAYER('protocol')],
    ),
    onlyImports(
      'db-knows-only-the-database',
      'src/db/ is Kysely, the dialects, the schema types and the migration runner. It is the bottom ' +
        'of the stack and knows nothing about tickets, mail or the web; it may log (src/log.ts).',
      LAYER('db'),
      [LAYER('db'), LOG],
    ),
    {
      name: 'migrations-are-frozen',
      comment:
        'A migration must do tomorrow exactly what it did the day it shipped. Importing from src/ ' +
        'would let a later change to the code rewrite history: copy what you need into the migration.',
      severity: 'error',
      from: { path: '^migrations/' },
      to: { path: '^src/' },
    },
    {
      name: 'shared-leaves-import-nothing',
      comment:
        'src/log.ts and src/worker-thread.ts are tiny helpers every layer may use; they can only stay ' +
        'usable from everywhere by importing nothing of ours.',
      severity: 'error',
      from: { path: [LOG, WORKER_THREAD] },
      to: { path: '^src/' },
    },

    onlyImports(
      'operations-know-only-the-log',
      'src/logger.ts and src/metrics.ts turn Log lines and Metrics calls into pino output and a ' +
        'Prometheus registry. They know what they are told and nothing else: what a scrape reads ' +
        '(the outbox depth, the mailbox) is handed in by the composition root.',
      OPERATIONS,
      [LOG],
    ),
    {
      name: 'operations-only-in-composition-roots',
      comment:
        'The intake, the outbox and the web app report through the Log and Metrics ports of ' +
        'src/log.ts, so they can be tested without a registry and never load pino or prom-client ' +
        'themselves; only src/app.ts, src/cli.ts and src/commands/ build the real ones.',
      severity: 'error',
      from: { path: '^src/', pathNot: ROOTS },
      to: { path: OPERATIONS },
    },

    // ---- configuration -----------------------------------------------------------------------
    onlyImports(
      'config-stands-alone',
      'src/config.ts reads and validates config.json / GUICHET_* variables. It may log, nothing more: ' +
        'the shape of the configuration must not depend on how the code is organised.',
      CONFIG,
      [LOG],
    ),
    {
      name: 'config-only-in-composition-roots',
      comment:
        'Only src/app.ts, src/cli.ts and src/commands/ read the configuration; they hand each part ' +
        'the plain values it needs. A layer that imports Config is coupled to the file format and ' +
        'cannot be tested without building a whole configuration.',
      severity: 'error',
      from: { path: '^src/', pathNot: ROOTS },
      to: { path: CONFIG },
    },

    // ---- domain ------------------------------------------------------------------------------
    onlyImports(
      'accounts-stay-below-tickets',
      'src/accounts/ (contacts, organisations, staff) is the base of the domain: it may use the ' +
        'database, the protocol and the log. Mail intake and notices are wired in by the ' +
        'composition roots through interfaces accounts/ declares, never imported.',
      LAYER('accounts'),
      [LAYER('accounts'), LAYER('db'), LAYER('protocol'), LOG],
    ),
    onlyImports(
      'tickets-know-no-edge',
      'src/tickets/ holds the workflow rules and the staff verbs and is the only writer of tickets. ' +
        'It must not know how a change arrived (mail, HTTP, a job) nor how it is announced ' +
        '(notify/): those needs are ports declared here and implemented outside.',
      LAYER('tickets'),
      [LAYER('tickets'), LAYER('accounts'), LAYER('db'), LAYER('protocol'), LOG],
    ),
    onlyImports(
      'notify-stays-off-the-edges',
      'src/notify/ (notices, renderer, outbox, sender) turns domain events into outgoing mail. It ' +
        'reads tickets and accounts and speaks the protocol; it knows nothing of the intake ' +
        'pipeline, the web admin, the jobs or the commands.',
      LAYER('notify'),
      [LAYER('notify'), LAYER('tickets'), LAYER('accounts'), LAYER('db'), LAYER('protocol'), LOG, WORKER_THREAD],
    ),

    // ---- edges -------------------------------------------------------------------------------
    onlyImports(
      'mail-intake-goes-through-the-domain',
      'src/mail/ is the intake pipeline: it parses, classifies and routes inbound mail, then calls ' +
        'the ticket and account verbs. It never imports notify/: notices go through the ports the ' +
        'domain declares, wired by the composition root. Nor http/, jobs/ or commands/. Its ' +
        "thread's entry (prepare.worker.mjs) asks src/compiled.mjs which code to load.",
      LAYER('mail'),
      [LAYER('mail'), LAYER('tickets'), LAYER('accounts'), LAYER('db'), LAYER('protocol'), LOG, WORKER_THREAD, BUILD],
    ),
    onlyImports(
      'http-goes-through-the-domain',
      'src/http/ (the Hono app and /api/v1) is an edge like mail/: it calls the ticket and account ' +
        'verbs and never reaches into the intake pipeline, the notices, the jobs or the commands.',
      LAYER('http'),
      [LAYER('http'), LAYER('tickets'), LAYER('accounts'), LAYER('db'), LAYER('protocol'), LOG],
    ),
    onlyImports(
      'jobs-go-through-the-domain',
      'src/jobs/ are the schedules (auto-close…): timed calls of ticket and account verbs, ' +
        'nothing more.',
      LAYER('jobs'),
      [LAYER('jobs'), LAYER('tickets'), LAYER('accounts'), LAYER('db'), LOG],
    ),

    onlyImports(
      'the-build-knows-nothing-of-guichet',
      'src/compiled.mjs and src/build.mjs decide which code runs and compile it; they run before ' +
        'any of it is loaded, so they import nothing of Guichet but each other.',
      BUILD,
      [BUILD],
    ),

    // ---- composition roots -------------------------------------------------------------------
    {
      name: 'only-the-launcher-imports-cli',
      comment:
        'src/cli.ts is the outermost composition root; only the `guichet` launcher (src/guichet.mjs) ' +
        'loads it.',
      severity: 'error',
      from: { path: '^src/', pathNot: LAUNCHER },
      to: { path: '^src/cli[.]ts$' },
    },
    {
      name: 'only-cli-imports-commands',
      comment:
        'src/commands/ are the operator commands, dispatched by src/cli.ts. Nothing else runs them.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/cli[.]ts$', LAYER('commands')] },
      to: { path: LAYER('commands') },
    },
    {
      name: 'only-cli-and-commands-import-app',
      comment:
        'src/app.ts wires the whole application together; whatever imports it depends on everything. ' +
        'Only src/cli.ts and src/commands/ may. A type every layer needs (like Log) belongs in a ' +
        'shared leaf (src/log.ts), not in app.ts.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/cli[.]ts$', LAYER('commands')] },
      to: { path: '^src/app[.]ts$' },
    },

    // ---- the map has no blank spots ----------------------------------------------------------
    {
      name: 'every-src-file-has-a-layer',
      comment:
        'Every file under src/ sits in one of the layers named in .dependency-cruiser.cjs. A file ' +
        'outside them has no rules; decide where it belongs, and add its folder to the file.',
      severity: 'error',
      from: { path: '^src/', pathNot: PLACED },
      to: {},
    },
    {
      name: 'nothing-imports-an-unplaced-file',
      comment:
        'The other half of every-src-file-has-a-layer: not even the composition roots may import a ' +
        'src/ file that has no layer yet.',
      severity: 'error',
      from: {},
      to: { path: '^src/', pathNot: PLACED },
    },

    // ---- whole-graph hygiene -----------------------------------------------------------------
    {
      name: 'no-circular',
      comment:
        'A cycle welds its modules into one: none can be understood, tested or moved alone, and ' +
        'with ES modules a cycle can read a binding before it is initialised. Type-only cycles count ' +
        'too. Break it by moving the shared piece down a layer, or by a port (an interface the lower ' +
        'module declares).',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-dev-dependencies-in-production-code',
      comment:
        'src/ and migrations/ run in production, where `npm ci --omit=dev` leaves devDependencies ' +
        '(vitest, playwright-core, typescript, @swc/core…) out. Move the package to dependencies, or ' +
        'the code to tests/.',
      severity: 'error',
      from: { path: '^(src|migrations)/' },
      to: { dependencyTypes: ['npm-dev'] },
    },
    {
      name: 'no-undeclared-packages',
      comment:
        'A package that is not in package.json only works while another package happens to pull it ' +
        'in: declare it in dependencies.',
      severity: 'error',
      from: { path: '^(src|migrations)/' },
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'no-unresolvable-imports',
      comment:
        'The import names a file or package that does not exist (a typo, a moved file, a missing ' +
        'install): it would fail at run time.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],

  options: {
    // TypeScript 7 has no JS API, so no `tsc` parser; swc parses .ts and keeps `import type` edges.
    parser: 'swc',
    // Look at packages (for the devDependency rules) but do not walk into them: fast, and their
    // insides are not ours to police.
    doNotFollow: { path: ['node_modules'] },
    // Resolve package.json "exports" the way Node does for our ESM code (e.g. `hono/http-exception`).
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
      mainFields: ['module', 'main'],
    },
  },
};
