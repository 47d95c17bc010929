import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { SluiceError } from '../../errors';

/** The dashboard's two files, bundled from `app/` (TypeScript + preact). */
export interface DashboardAssets {
  readonly js: Uint8Array;
  readonly css: Uint8Array;
  /** Short content hash: the page asks for `app.js?v=<version>`, so a new build is never served stale. */
  readonly version: string;
}

export interface DashboardLocations {
  /** The SPA's entry point; present in a checkout of the repository. */
  readonly sourceEntry: string;
  /** Where `npm run build:dashboard` wrote `app.js` and `app.css`; what an installed package ships. */
  readonly prebuiltDir: string;
}

export const DEFAULT_DASHBOARD_LOCATIONS: DashboardLocations = {
  sourceEntry: join(__dirname, 'app', 'main.tsx'),
  prebuiltDir: join(__dirname, 'static'),
};

/**
 * Bundles the dashboard with esbuild: one minified script and one stylesheet, everything
 * (preact included) inlined, nothing fetched from elsewhere at run time.
 */
export async function bundleDashboard(sourceEntry: string): Promise<{ js: Uint8Array; css: Uint8Array }> {
  const result = await build({
    entryPoints: [sourceEntry],
    bundle: true,
    write: false,
    outdir: 'out',
    entryNames: 'app',
    format: 'iife',
    platform: 'browser',
    target: ['es2020'],
    minify: true,
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'none',
    logLevel: 'silent',
  });
  const file = (ext: string): Uint8Array => {
    const out = result.outputFiles.find((f) => f.path.endsWith(ext));
    if (!out) throw new SluiceError('SLUICE_INTERNAL', `bundling the dashboard produced no ${ext} file`);
    return out.contents;
  };
  return { js: file('.js'), css: file('.css') };
}

/**
 * The dashboard's assets: bundled from the source when it is there (a checkout: always current,
 * about 100 ms), else the prebuilt files (an installed package). Throws naming both places
 * when neither exists.
 */
export async function loadDashboardAssets(
  locations: DashboardLocations = DEFAULT_DASHBOARD_LOCATIONS,
): Promise<DashboardAssets> {
  let files: { js: Uint8Array; css: Uint8Array };
  if (existsSync(locations.sourceEntry)) {
    files = await bundleDashboard(locations.sourceEntry);
  } else if (existsSync(join(locations.prebuiltDir, 'app.js'))) {
    const [js, css] = await Promise.all([
      fs.readFile(join(locations.prebuiltDir, 'app.js')),
      fs.readFile(join(locations.prebuiltDir, 'app.css')),
    ]);
    files = { js, css };
  } else {
    throw new SluiceError(
      'SLUICE_INTERNAL',
      `dashboard assets missing: neither ${locations.sourceEntry} nor ${locations.prebuiltDir}/app.js exists (npm run build:dashboard)`,
    );
  }
  const version = createHash('sha256').update(files.js).update(files.css).digest('hex').slice(0, 12);
  return { ...files, version };
}

/** The single HTML page; no inline script or style, so the content security policy can forbid both. */
export function dashboardPage(version: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sluice</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard/app.css?v=${version}">
</head>
<body>
<div id="app"></div>
<script src="/dashboard/app.js?v=${version}"></script>
</body>
</html>
`;
}
