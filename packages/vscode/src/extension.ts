// The VS Code extension: a language client for `tripline lsp`, with the server binary shipped
// inside the extension (a platform-specific package), commands to restart it, check the whole
// workspace and show its coverage, and settings for the config file, the severity shown and
// whether to check at all. The decisions are in ./logic.

import * as fs from 'fs';
import * as path from 'path';
import { execFile } from 'child_process';
import * as vscode from 'vscode';
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
} from 'vscode-languageclient/node';
import {
  DOCUMENTS,
  SeverityMode,
  bundledName,
  reportDiagnostics,
  resolveServer,
  shownAs,
} from './logic';

let client: LanguageClient | undefined;
let output: vscode.OutputChannel;
let workspaceProblems: vscode.DiagnosticCollection;

/** The binary to run, from the user's settings or the extension itself. */
function server(context: vscode.ExtensionContext): string | undefined {
  const setting = vscode.workspace.getConfiguration('tripline').inspect<string>('path');
  const choice = resolveServer({
    bundled: context.asAbsolutePath(path.join('bin', bundledName(process.platform))),
    userPath: setting?.globalValue,
    workspacePath: setting?.workspaceValue ?? setting?.workspaceFolderValue,
    isFile: (p) => {
      try {
        return fs.statSync(p).isFile();
      } catch {
        return false;
      }
    },
  });
  if (choice.warning) output.appendLine(choice.warning);
  if (!choice.ok) {
    output.appendLine(choice.error);
    void vscode.window.showErrorMessage(`tripline: ${choice.error}`);
    return undefined;
  }
  output.appendLine(`tripline: using ${choice.command} (${choice.source})`);
  return choice.command;
}

async function start(context: vscode.ExtensionContext): Promise<void> {
  const settings = vscode.workspace.getConfiguration('tripline');
  if (!settings.get<boolean>('enable', true)) return;
  const command = server(context);
  if (!command) return;
  // Run directly (no shell) with fixed arguments.
  const serverOptions: ServerOptions = { command, args: ['lsp'], options: { shell: false } };
  const clientOptions: LanguageClientOptions = {
    documentSelector: DOCUMENTS,
    outputChannel: output,
    initializationOptions: { config: settings.get<string>('config') || undefined },
    middleware: {
      handleDiagnostics: (uri, diagnostics, next) => {
        const mode = vscode.workspace.getConfiguration('tripline').get<SeverityMode>('severity', 'byFinding');
        if (mode !== 'byFinding') {
          for (const d of diagnostics) {
            d.severity = shownAs(mode, '') as number as vscode.DiagnosticSeverity;
          }
        }
        next(uri, diagnostics);
      },
    },
  };
  client = new LanguageClient('tripline', 'tripline', serverOptions, clientOptions);
  await client.start();
}

async function stop(): Promise<void> {
  const running = client;
  client = undefined;
  if (running) await running.stop();
}

/** Run the binary with `args` in `cwd`; its standard output (exit 1 means findings). */
function run(command: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, maxBuffer: 256 * 1024 * 1024, shell: false }, (error, stdout, stderr) => {
      const code = error && typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : 0;
      if (error && code !== 1) {
        reject(new Error(stderr.trim() || error.message));
      } else {
        resolve(stdout);
      }
    });
  });
}

/** Check every workspace folder with the CLI; the findings go to the Problems panel. */
async function checkWorkspace(context: vscode.ExtensionContext): Promise<void> {
  const command = server(context);
  if (!command) return;
  const mode = vscode.workspace.getConfiguration('tripline').get<SeverityMode>('severity', 'byFinding');
  const config = vscode.workspace.getConfiguration('tripline').get<string>('config');
  workspaceProblems.clear();
  const byFile = new Map<string, vscode.Diagnostic[]>();
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    const args = ['check', '--format', 'json', '--exit-zero', ...(config ? ['--config', config] : []), '.'];
    const report = await run(command, args, folder.uri.fsPath);
    for (const d of reportDiagnostics(report, folder.uri.fsPath)) {
      const [l, c, el, ec] = d.range;
      const diagnostic = new vscode.Diagnostic(
        new vscode.Range(l, c, el, ec),
        d.message,
        shownAs(mode, d.severity) as number as vscode.DiagnosticSeverity,
      );
      diagnostic.code = d.code;
      diagnostic.source = 'tripline';
      const list = byFile.get(d.file) ?? [];
      list.push(diagnostic);
      byFile.set(d.file, list);
    }
  }
  for (const [file, diagnostics] of byFile) {
    workspaceProblems.set(vscode.Uri.file(file), diagnostics);
  }
  void vscode.window.showInformationMessage(
    `tripline: ${[...byFile.values()].reduce((n, l) => n + l.length, 0)} findings in ${byFile.size} files`,
  );
}

/** The coverage report of the first workspace folder, as a Markdown preview. */
async function showCoverage(context: vscode.ExtensionContext): Promise<void> {
  const command = server(context);
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!command || !folder) return;
  const markdown = await run(command, ['coverage', '--format', 'markdown', '.'], folder.uri.fsPath);
  const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: markdown });
  await vscode.commands.executeCommand('markdown.showPreview', doc.uri);
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel('tripline');
  workspaceProblems = vscode.languages.createDiagnosticCollection('tripline-workspace');
  const guard = (what: string, f: () => Promise<void>) => async () => {
    try {
      await f();
    } catch (e) {
      output.appendLine(`${what}: ${(e as Error).message}`);
      void vscode.window.showErrorMessage(`tripline: ${what} failed: ${(e as Error).message}`);
    }
  };
  context.subscriptions.push(
    output,
    workspaceProblems,
    vscode.commands.registerCommand('tripline.restart', guard('restart', async () => {
      await stop();
      await start(context);
    })),
    vscode.commands.registerCommand('tripline.checkWorkspace', guard('checking the workspace', () => checkWorkspace(context))),
    vscode.commands.registerCommand('tripline.showCoverage', guard('coverage', () => showCoverage(context))),
    vscode.commands.registerCommand('tripline.showOutput', async () => output.show()),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (e.affectsConfiguration('tripline')) {
        await stop();
        await start(context);
      }
    }),
  );
  await guard('starting the server', () => start(context))();
}

export async function deactivate(): Promise<void> {
  await stop();
}
