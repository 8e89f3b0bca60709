// What the extension decides, without the editor: which server binary runs, how findings are
// shown, and how the CLI's JSON report becomes diagnostics. Kept free of the `vscode` module so
// that its tests run under plain Node.

import * as path from 'path';

/** Where the `tripline` binary comes from, or why none can run. */
export type Server =
  | { ok: true; command: string; source: 'bundled' | 'user' }
  | { ok: false; error: string };

/** The settings a server choice depends on. */
export interface ServerChoice {
  /** The binary the extension carries (`<extension>/bin/tripline[.exe]`). */
  bundled: string;
  /** `tripline.path` as the user's own settings hold it (never a workspace's). */
  userPath?: string;
  /** `tripline.path` as a workspace's settings hold it: ignored, and said so. */
  workspacePath?: string;
  /** Whether a path names an existing regular file. */
  isFile: (p: string) => boolean;
}

/**
 * The binary to run. A workspace cannot choose it: a repository's `.vscode/settings.json` that
 * set `tripline.path` would run the repository's own program when the folder is opened (two
 * popular extensions fixed exactly that in 2026). The path is run directly, never through a
 * shell, with fixed arguments, so nothing in it is interpreted.
 */
export function resolveServer(choice: ServerChoice): Server & { warning?: string } {
  const warning = choice.workspacePath
    ? 'tripline.path is set in the workspace settings and is ignored: only user settings choose the binary'
    : undefined;
  if (choice.userPath && choice.userPath.trim() !== '') {
    const p = choice.userPath;
    if (!path.isAbsolute(p)) {
      return { ok: false, error: `tripline.path must be an absolute path (it is \`${p}\`)`, warning } as Server & { warning?: string };
    }
    if (!choice.isFile(p)) {
      return { ok: false, error: `tripline.path \`${p}\` is not a file`, warning } as Server & { warning?: string };
    }
    return { ok: true, command: p, source: 'user', warning };
  }
  if (!choice.isFile(choice.bundled)) {
    return {
      ok: false,
      error: `this build of the extension carries no tripline binary for ${process.platform}-${process.arch}; install tripline and set tripline.path in your user settings`,
      warning,
    } as Server & { warning?: string };
  }
  return { ok: true, command: choice.bundled, source: 'bundled', warning };
}

/** The name of the binary the extension carries on `platform`. */
export function bundledName(platform: string): string {
  return platform === 'win32' ? 'tripline.exe' : 'tripline';
}

/** `tripline.severity`: how findings are shown. */
export type SeverityMode = 'byFinding' | 'error' | 'warning' | 'information';

/** LSP/VS Code diagnostic severities (VS Code's enum: Error 0, Warning 1, Information 2). */
export const enum Shown {
  Error = 0,
  Warning = 1,
  Information = 2,
}

/** How a finding of tripline severity `severity` is shown under `mode`. */
export function shownAs(mode: SeverityMode, severity: string): Shown {
  switch (mode) {
    case 'error':
      return Shown.Error;
    case 'warning':
      return Shown.Warning;
    case 'information':
      return Shown.Information;
    default:
      if (severity === 'critical' || severity === 'high') return Shown.Error;
      if (severity === 'medium') return Shown.Warning;
      return Shown.Information;
  }
}

/** One finding of `tripline check --format json`, as diagnostics need it. */
export interface WorkspaceDiagnostic {
  /** Absolute path of the file. */
  file: string;
  /** 0-based line and character of the start and end. */
  range: [number, number, number, number];
  message: string;
  code: string;
  severity: string;
}

/**
 * The findings of a JSON report written by `tripline check` run in `cwd`, as diagnostics by
 * file. Related places are not diagnostics of their own.
 */
export function reportDiagnostics(report: string, cwd: string): WorkspaceDiagnostic[] {
  const doc = JSON.parse(report) as { findings?: Array<Record<string, unknown>> };
  const out: WorkspaceDiagnostic[] = [];
  for (const f of doc.findings ?? []) {
    const p = String(f.path);
    const line = Number(f.line ?? 1) - 1;
    const column = Number(f.column ?? 1) - 1;
    const endLine = Number(f.end_line ?? f.line ?? 1) - 1;
    const endColumn = Number(f.end_column ?? f.column ?? 1) - 1;
    out.push({
      file: path.isAbsolute(p) ? p : path.join(cwd, p),
      range: [Math.max(line, 0), Math.max(column, 0), Math.max(endLine, 0), Math.max(endColumn, 0)],
      message: String(f.message),
      code: String(f.policy),
      severity: String(f.severity),
    });
  }
  return out;
}

/** The files the server checks (the document selector, as globs and languages). */
export const DOCUMENTS = [
  { scheme: 'file', language: 'yaml' },
  { scheme: 'file', language: 'json' },
  { scheme: 'file', language: 'terraform' },
  { scheme: 'file', language: 'terraform-vars' },
  { scheme: 'file', language: 'opentofu' },
  { scheme: 'file', pattern: '**/*.{tf,tofu,tfvars,tf.json,tofu.json,template,cfn}' },
];
