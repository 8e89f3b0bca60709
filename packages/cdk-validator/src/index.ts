// A CDK policy-validation plugin: `cdk synth` runs tripline on the templates it synthesized and
// fails with tripline's findings, which the CDK reports by construct path.
//
//   import { Validations } from 'aws-cdk-lib';
//   import { TriplineValidator } from 'tripline-cdk-validator';
//   Validations.of(app).addPlugins(new TriplineValidator({ failOn: 'high' }));
//
// The plugin runs the tripline binary (offline, no network): it never reimplements a policy.

import { spawnSync } from 'child_process';
import type {
  IPolicyValidationContext,
  IPolicyValidationPlugin,
  PolicyValidationPluginReport,
  PolicyViolation,
  PolicyViolatingResource,
} from 'aws-cdk-lib';

/** Severities, least first. */
const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface TriplineValidatorProps {
  /** The tripline binary. Default: the `TRIPLINE_BIN` environment variable, else `tripline` on `PATH`. */
  readonly binary?: string;
  /** A `tripline.toml` to use. Default: the one tripline finds (none is searched above the templates). */
  readonly config?: string;
  /** The lowest severity that is a violation. Default: `low` (every finding). */
  readonly failOn?: Severity;
  /** Policy IDs or families to run (`LOG001`, `detective`). Default: all. */
  readonly select?: string[];
  /** Policy IDs or families to leave out. */
  readonly ignore?: string[];
}

/** One finding of `tripline check --format json`. */
interface Finding {
  policy: string;
  family: string;
  severity: Severity;
  title: string;
  path: string;
  line: number;
  column: number;
  resource?: string;
  message: string;
}

export class TriplineValidator implements IPolicyValidationPlugin {
  public readonly name = 'tripline';
  public readonly version?: string;
  private readonly binary: string;

  constructor(private readonly props: TriplineValidatorProps = {}) {
    this.binary = props.binary ?? process.env.TRIPLINE_BIN ?? 'tripline';
    if (props.failOn !== undefined && !SEVERITIES.includes(props.failOn)) {
      throw new Error(`failOn must be one of ${SEVERITIES.join(', ')}, not ${props.failOn}`);
    }
    this.version = this.binaryVersion();
  }

  public validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const findings = this.check(context.templatePaths);
    const threshold = SEVERITIES.indexOf(this.props.failOn ?? 'low');
    const violations = new Map<string, { violation: PolicyViolation; resources: PolicyViolatingResource[] }>();
    for (const f of findings) {
      if (SEVERITIES.indexOf(f.severity) < threshold) {
        continue;
      }
      let entry = violations.get(f.policy);
      if (entry === undefined) {
        const resources: PolicyViolatingResource[] = [];
        entry = {
          resources,
          violation: {
            ruleName: f.policy,
            description: f.title,
            severity: f.severity,
            fix: `tripline explain ${f.policy}`,
            ruleMetadata: { family: f.family },
            violatingResources: resources,
          },
        };
        violations.set(f.policy, entry);
      }
      entry.resources.push({
        resourceLogicalId: f.resource,
        templatePath: f.path,
        locations: [`${f.line}:${f.column}: ${f.message}`],
      });
    }
    const list = [...violations.values()].map((v) => v.violation);
    return { success: list.length === 0, violations: list, pluginVersion: this.version };
  }

  /** tripline's findings on the templates (exit 0: none, 1: findings; anything else is an error). */
  private check(templates: string[]): Finding[] {
    if (templates.length === 0) {
      return [];
    }
    const args = ['check', '--format', 'json', '--no-cache', '--quiet', '--fail-on', 'low'];
    if (this.props.config !== undefined) {
      args.push('--config', this.props.config);
    }
    if (this.props.select !== undefined && this.props.select.length > 0) {
      args.push('--select', this.props.select.join(','));
    }
    if (this.props.ignore !== undefined && this.props.ignore.length > 0) {
      args.push('--ignore', this.props.ignore.join(','));
    }
    args.push('--', ...templates);
    const run = spawnSync(this.binary, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    if (run.error !== undefined) {
      throw new Error(this.missing(run.error));
    }
    if (run.status !== 0 && run.status !== 1) {
      throw new Error(`tripline failed (exit ${run.status}): ${run.stderr.trim()}`);
    }
    const report = JSON.parse(run.stdout) as { findings: Finding[] };
    return report.findings;
  }

  /** The binary's version, and a clear error when it cannot be run. */
  private binaryVersion(): string {
    const run = spawnSync(this.binary, ['--version'], { encoding: 'utf8' });
    if (run.error !== undefined || run.status !== 0) {
      throw new Error(this.missing(run.error));
    }
    return run.stdout.trim().replace(/^tripline\s+/, '');
  }

  private missing(error?: Error): string {
    return (
      `the tripline binary (${this.binary}) cannot be run${error ? `: ${error.message}` : ''}. ` +
      'Install it (`pip install tripline` or `cargo install tripline`), put it on PATH, ' +
      'or name it with the `binary` option or the TRIPLINE_BIN environment variable.'
    );
  }
}
