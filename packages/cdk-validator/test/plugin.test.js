// The plugin against a real aws-cdk-lib app synthesized by node (offline), and the tripline
// binary named by TRIPLINE_BIN (.ci/run builds it).
const { test } = require('node:test');
const assert = require('node:assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const cdk = require('aws-cdk-lib');
const cloudtrail = require('aws-cdk-lib/aws-cloudtrail');
const s3 = require('aws-cdk-lib/aws-s3');
const { TriplineValidator } = require('../lib');

/** An app with one stack holding a trail, synthesized into a fresh directory. */
function app(trailProps, pluginProps) {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'tripline-cdk-'));
  const app = new cdk.App({ outdir, context: { 'aws:cdk:enable-path-metadata': true } });
  if (pluginProps !== undefined) {
    cdk.Validations.of(app).addPlugins(new TriplineValidator(pluginProps));
  }
  const stack = new cdk.Stack(app, 'AuditStack');
  const bucket = new s3.Bucket(stack, 'TrailBucket');
  new cloudtrail.Trail(stack, 'OrgTrail', { bucket, ...trailProps });
  return { app, outdir };
}

function report(outdir) {
  return JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
}

test('a finding fails synth, named by its construct path', () => {
  const { app: a, outdir } = app({ isMultiRegionTrail: false }, { select: ['LOG001'] });
  assert.throws(() => a.synth(), /Validation failed/);
  const plugin = report(outdir).pluginReports[0];
  assert.strictEqual(plugin.pluginName, 'tripline');
  assert.strictEqual(plugin.conclusion, 'failure');
  const [violation] = plugin.violations;
  assert.strictEqual(violation.ruleName, 'LOG001');
  assert.strictEqual(violation.customSeverity, 'high');
  const [construct] = violation.violatingConstructs;
  assert.strictEqual(construct.constructPath, 'AuditStack/OrgTrail/Resource');
  assert.match(construct.cloudFormationResource.logicalId, /^OrgTrail[0-9A-F]{8}$/);
  assert.match(construct.cloudFormationResource.propertyPaths[0], /is not multi-Region/);
});

test('a compliant app synthesizes', () => {
  const { app: a } = app({ isMultiRegionTrail: true, enableFileValidation: true }, { select: ['LOG001'] });
  a.synth();
});

test('findings below failOn are not violations', () => {
  const { app: a } = app({ isMultiRegionTrail: false }, { select: ['LOG001'], failOn: 'critical' });
  a.synth();
});

test('a binary that cannot be run is named, with how to install one', () => {
  assert.throws(
    () => new TriplineValidator({ binary: '/nonexistent/tripline' }),
    /tripline binary \(\/nonexistent\/tripline\) cannot be run.*TRIPLINE_BIN/,
  );
  assert.throws(() => new TriplineValidator({ failOn: 'severe' }), /failOn must be one of/);
});

test('the synthesized assembly, checked by tripline itself, names the construct', () => {
  const { app: a, outdir } = app({ isMultiRegionTrail: false });
  a.synth();
  const run = spawnSync(
    process.env.TRIPLINE_BIN || 'tripline',
    ['check', '--no-config', '--no-cache', '--format', 'parseable', '--select', 'LOG001', outdir],
    { encoding: 'utf8' },
  );
  assert.strictEqual(run.status, 1, run.stderr);
  assert.match(run.stdout, /trail `OrgTrail[0-9A-F]{8}` \(construct `AuditStack\/OrgTrail`\) is not multi-Region/);
});
