/**
 * Whole-app synthesis the way `cdk synth` does it: the Dockerfile image asset is staged from
 * the repo root (no Docker needed), `.dockerignore` keeps heavy and irrelevant folders out,
 * and a concrete account/region synthesizes offline given the availability-zones context.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT, synthesizeSluice, type SynthesizedSluice } from '../helpers/cdk-app';

let outdir: string;
let assetSynth: SynthesizedSluice;
let concrete: SynthesizedSluice;

beforeAll(() => {
  outdir = mkdtempSync(path.join(tmpdir(), 'sluice-cdk-'));
  assetSynth = synthesizeSluice({ image: { kind: 'asset', directory: REPO_ROOT } }, { outdir });
  concrete = synthesizeSluice(
    { env: { account: '111111111111', region: 'eu-west-1' } },
    {
      context: {
        'availability-zones:account=111111111111:region=eu-west-1': [
          'eu-west-1a',
          'eu-west-1b',
          'eu-west-1c',
        ],
      },
    },
  );
}, 120_000);

afterAll(() => {
  rmSync(outdir, { recursive: true, force: true });
});

function stagedImageDir(): string {
  assetSynth.app.synth();
  const dirs = readdirSync(outdir).filter(
    (d) => d.startsWith('asset.') && existsSync(path.join(outdir, d, 'Dockerfile')),
  );
  expect(dirs).toHaveLength(1);
  return path.join(outdir, dirs[0] as string);
}

test('the image asset stages the repo root with the Dockerfile but without excluded folders', () => {
  const staged = stagedImageDir();
  const entries = readdirSync(staged);
  expect(entries).toEqual(
    expect.arrayContaining(['Dockerfile', 'package.json', 'package-lock.json', 'bin', 'runtime']),
  );
  for (const excluded of ['node_modules', '.git', 'cdk.out', '.sluice', 'test', 'infra']) {
    expect(entries).not.toContain(excluded);
  }
  expect(existsSync(path.join(staged, 'bench', 'results'))).toBe(false);
});

test('both task definitions use the one image built from the asset', () => {
  const images = Object.values(assetSynth.compute.findResources('AWS::ECS::TaskDefinition')).map((r) =>
    JSON.stringify(r.Properties?.ContainerDefinitions?.[0]?.Image),
  );
  expect(images).toHaveLength(2);
  expect(images[0]).toContain('container-assets');
  expect(images[1]).toBe(images[0]);
});

test('a concrete environment synthesizes offline with the AZ context, in 2 AZs', () => {
  const subnets = concrete.network.findResources('AWS::EC2::Subnet');
  const azs = new Set(Object.values(subnets).map((s) => s.Properties?.AvailabilityZone as string));
  expect([...azs].sort()).toEqual(['eu-west-1a', 'eu-west-1b']);
  concrete.network.resourceCountIs('AWS::EC2::NatGateway', 2);
  expect(concrete.stacks.compute.region).toBe('eu-west-1');
});

test('private subnets route through NAT, and S3 has a gateway endpoint', () => {
  const network = assetSynth.network;
  network.resourceCountIs('AWS::EC2::NatGateway', 2);
  network.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway' });
  const privateSubnets = Object.values(network.findResources('AWS::EC2::Subnet')).filter(
    (s) => s.Properties?.MapPublicIpOnLaunch === false,
  );
  expect(privateSubnets).toHaveLength(2);
});
