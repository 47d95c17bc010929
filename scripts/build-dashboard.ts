/**
 * `npm run build:dashboard [-- --outdir <dir>]`: bundles the dashboard SPA
 * (runtime/jobmanager/dashboard/app) into `app.js` and `app.css`. The job manager serves these
 * prebuilt files when the TypeScript source is not there (an installed package); in a checkout
 * it bundles the source itself on the first request. Default outdir:
 * runtime/jobmanager/dashboard/static (git-ignored).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  DEFAULT_DASHBOARD_LOCATIONS,
  bundleDashboard,
} from '../runtime/jobmanager/dashboard/dashboard-assets';

async function main(): Promise<void> {
  const flag = process.argv.indexOf('--outdir');
  const outdir = resolve(flag >= 0 ? process.argv[flag + 1]! : DEFAULT_DASHBOARD_LOCATIONS.prebuiltDir);
  const { js, css } = await bundleDashboard(DEFAULT_DASHBOARD_LOCATIONS.sourceEntry);
  mkdirSync(outdir, { recursive: true });
  writeFileSync(join(outdir, 'app.js'), js);
  writeFileSync(join(outdir, 'app.css'), css);
  process.stdout.write(`dashboard: ${outdir}/app.js (${js.length} bytes), app.css (${css.length} bytes)\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`building the dashboard failed: ${String(err)}\n`);
  process.exit(1);
});
