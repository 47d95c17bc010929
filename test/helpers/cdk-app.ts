import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { resolveDeploymentSettings, type SluiceDeploymentSettings } from '../../infra/settings';
import { createSluiceStacks, type SluiceStacks } from '../../infra/sluice-stacks';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** The feature flags from cdk.json, so tests synthesize what `cdk synth` does. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}

export interface SynthesizedSluice {
  settings: SluiceDeploymentSettings;
  stacks: SluiceStacks;
  network: Template;
  stateful: Template;
  compute: Template;
  app: App;
}

type Overrides = Parameters<typeof resolveDeploymentSettings>[0];

/**
 * Builds and synthesizes the three stacks. Defaults to a registry image so no Docker context is
 * staged (faster); pass `image: { kind: 'asset', … }` to exercise the Dockerfile asset.
 */
export function synthesizeSluice(
  overrides: Partial<Overrides> = {},
  options: { context?: Record<string, unknown>; outdir?: string } = {},
): SynthesizedSluice {
  const app = new App({ context: { ...cdkJsonContext(), ...options.context }, outdir: options.outdir });
  const settings = resolveDeploymentSettings({
    image: { kind: 'registry', uri: 'public.ecr.aws/example/sluice:test' },
    ...overrides,
  });
  const stacks = createSluiceStacks(app, settings);
  return {
    settings,
    stacks,
    app,
    network: Template.fromStack(stacks.network),
    stateful: Template.fromStack(stacks.stateful),
    compute: Template.fromStack(stacks.compute),
  };
}

export interface IamStatement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/** Every IAM statement of a template: managed/inline policies and roles' inline policies. */
export function iamStatements(template: Template): IamStatement[] {
  const out: IamStatement[] = [];
  const docs: unknown[] = [];
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
    for (const r of Object.values(template.findResources(type))) docs.push(r.Properties?.PolicyDocument);
  }
  for (const r of Object.values(template.findResources('AWS::IAM::Role'))) {
    for (const p of (r.Properties?.Policies ?? []) as Array<{ PolicyDocument: unknown }>)
      docs.push(p.PolicyDocument);
  }
  for (const doc of docs) out.push(...((doc as { Statement: IamStatement[] }).Statement ?? []));
  return out;
}

export function actionsOf(statement: IamStatement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

/** Resolved JSON of a value, for substring checks on intrinsic functions. */
export function json(value: unknown): string {
  return JSON.stringify(value);
}
