// The extension against a mocked `vscode` module (VS Code itself cannot run here) and a mocked
// language client: what it registers, which binary it starts and with what, how it remaps
// severities, and the workspace check with the real binary filling the Problems panel.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const Module = require('module');

/** A minimal `vscode` with what the extension touches, recording what it is given. */
function mockVscode(settings) {
  const record = { commands: {}, messages: [], collections: [], previews: [], output: [] };
  class Range { constructor(l, c, el, ec) { Object.assign(this, { l, c, el, ec }); } }
  class Diagnostic { constructor(range, message, severity) { Object.assign(this, { range, message, severity }); } }
  const configuration = {
    get: (key, fallback) => (key in settings.user ? settings.user[key] : fallback),
    inspect: (key) => ({ globalValue: settings.user[key], workspaceValue: settings.workspace[key] }),
  };
  const vscode = {
    Range,
    Diagnostic,
    DiagnosticSeverity: { Error: 0, Warning: 1, Information: 2, Hint: 3 },
    Uri: { file: (p) => ({ fsPath: p, toString: () => `file://${p}` }) },
    window: {
      createOutputChannel: () => ({ appendLine: (l) => record.output.push(l), show: () => {}, dispose: () => {} }),
      showErrorMessage: (m) => record.messages.push(['error', m]),
      showInformationMessage: (m) => record.messages.push(['info', m]),
    },
    languages: {
      createDiagnosticCollection: (name) => {
        const c = { name, entries: new Map(), set: (uri, d) => c.entries.set(uri.fsPath, d), clear: () => c.entries.clear(), dispose: () => {} };
        record.collections.push(c);
        return c;
      },
    },
    commands: {
      registerCommand: (id, f) => { record.commands[id] = f; return { dispose() {} }; },
      executeCommand: async (id, uri) => record.previews.push([id, uri]),
    },
    workspace: {
      getConfiguration: () => configuration,
      onDidChangeConfiguration: () => ({ dispose() {} }),
      workspaceFolders: settings.folders.map((f) => ({ uri: { fsPath: f } })),
      openTextDocument: async (d) => ({ uri: 'untitled:coverage', ...d }),
    },
  };
  return { vscode, record };
}

/** A language client that records how it was made. */
function mockClient(record) {
  return {
    LanguageClient: class {
      constructor(id, name, serverOptions, clientOptions) {
        record.client = { id, serverOptions, clientOptions };
      }
      async start() { record.started = (record.started ?? 0) + 1; }
      async stop() { record.stopped = (record.stopped ?? 0) + 1; }
    },
  };
}

function load(settings) {
  const { vscode, record } = mockVscode(settings);
  const client = mockClient(record);
  const original = Module._load;
  Module._load = function (request, ...rest) {
    if (request === 'vscode') return vscode;
    if (request === 'vscode-languageclient/node') return client;
    return original.call(this, request, ...rest);
  };
  const file = require.resolve('../out/extension');
  delete require.cache[file];
  try {
    return { extension: require(file), record, vscode };
  } finally {
    Module._load = original;
  }
}

function context(extensionDir) {
  return { subscriptions: [], asAbsolutePath: (p) => path.join(extensionDir, p) };
}

const bin = process.env.TRIPLINE_BIN;

test('activation registers the commands and starts the server it carries with `lsp`', async () => {
  const ext = fs.mkdtempSync(path.join(os.tmpdir(), 'tripline-ext-'));
  fs.mkdirSync(path.join(ext, 'bin'));
  fs.copyFileSync(bin, path.join(ext, 'bin', 'tripline'));
  const { extension, record } = load({ user: {}, workspace: { path: '/repo/evil.sh' }, folders: [] });
  await extension.activate(context(ext));
  assert.deepStrictEqual(Object.keys(record.commands).sort(), [
    'tripline.checkWorkspace',
    'tripline.restart',
    'tripline.showCoverage',
    'tripline.showOutput',
  ]);
  assert.strictEqual(record.client.serverOptions.command, path.join(ext, 'bin', 'tripline'));
  assert.deepStrictEqual(record.client.serverOptions.args, ['lsp']);
  assert.strictEqual(record.client.serverOptions.options.shell, false);
  assert.ok(record.output.some((l) => /workspace settings and is ignored/.test(l)), record.output.join('\n'));
  const languages = record.client.clientOptions.documentSelector.map((d) => d.language ?? d.pattern);
  for (const l of ['yaml', 'json', 'terraform', 'terraform-vars']) assert.ok(languages.includes(l), l);
  await record.commands['tripline.restart']();
  assert.strictEqual(record.stopped, 1);
  assert.strictEqual(record.started, 2);
});

test('a disabled extension starts no server', async () => {
  const { extension, record } = load({ user: { enable: false }, workspace: {}, folders: [] });
  await extension.activate(context('/nowhere'));
  assert.strictEqual(record.client, undefined);
});

test('the severity setting remaps what the server publishes', async () => {
  const { extension, record } = load({ user: { path: bin, severity: 'warning' }, workspace: {}, folders: [] });
  await extension.activate(context('/nowhere'));
  const diagnostics = [{ severity: 0 }, { severity: 2 }];
  let passed;
  record.client.clientOptions.middleware.handleDiagnostics('file:///t.yaml', diagnostics, (_u, d) => { passed = d; });
  assert.deepStrictEqual(passed.map((d) => d.severity), [1, 1]);
});

test('checking the workspace fills the Problems panel from the real binary', async () => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'tripline-ws-'));
  fs.writeFileSync(path.join(folder, 'tripline.toml'), 'select = ["LOG"]\n');
  fs.writeFileSync(path.join(folder, 'b.yaml'), 'Resources:\n  Data:\n    Type: AWS::S3::Bucket\n');
  const { extension, record } = load({ user: { path: bin }, workspace: {}, folders: [folder] });
  await extension.activate(context('/nowhere'));
  await record.commands['tripline.checkWorkspace']();
  const problems = record.collections.find((c) => c.name === 'tripline-workspace');
  const found = problems.entries.get(path.join(folder, 'b.yaml'));
  assert.strictEqual(found.length, 1);
  assert.strictEqual(found[0].code, 'LOG009');
  assert.strictEqual(found[0].severity, 2, 'low is information');
  assert.deepStrictEqual([found[0].range.l, found[0].range.c], [1, 2]);
  assert.deepStrictEqual(record.messages.at(-1), ['info', 'tripline: 1 findings in 1 files']);
  await record.commands['tripline.showCoverage']();
  assert.strictEqual(record.previews[0][0], 'markdown.showPreview');
});
