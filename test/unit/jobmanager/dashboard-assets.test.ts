import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_DASHBOARD_LOCATIONS,
  bundleDashboard,
  dashboardPage,
  loadDashboardAssets,
} from '../../../runtime/jobmanager/dashboard/dashboard-assets';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'sluice-dashboard-assets-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

test('from the source in a checkout: one script with preact inside, one stylesheet, no remote URL', async () => {
  const assets = await loadDashboardAssets();
  const js = Buffer.from(assets.js).toString('utf8');
  expect(js.length).toBeGreaterThan(10_000);
  expect(js).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
  expect(js).not.toMatch(/\bimport\s*\(/);
  expect(Buffer.from(assets.css).toString('utf8')).toContain('.vertex');
  expect(assets.version).toMatch(/^[0-9a-f]{12}$/);
  expect(dashboardPage(assets.version)).toContain(`/dashboard/app.js?v=${assets.version}`);
});

test('from prebuilt files when the source is not there (an installed package)', async () => {
  const { js, css } = await bundleDashboard(DEFAULT_DASHBOARD_LOCATIONS.sourceEntry);
  await fs.writeFile(join(dir, 'app.js'), js);
  await fs.writeFile(join(dir, 'app.css'), css);
  const assets = await loadDashboardAssets({ sourceEntry: join(dir, 'missing.tsx'), prebuiltDir: dir });
  expect(Buffer.from(assets.js)).toEqual(Buffer.from(js));
});

test('neither: an error naming both places and the build command', async () => {
  const missing = { sourceEntry: join(dir, 'nope', 'main.tsx'), prebuiltDir: join(dir, 'nope') };
  await expect(loadDashboardAssets(missing)).rejects.toThrow(
    /nope\/main\.tsx.*nope\/app\.js.*build:dashboard/,
  );
});
