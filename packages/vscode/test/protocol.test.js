// `tripline lsp` driven from Node over vscode-jsonrpc with the client capabilities VS Code
// sends: diagnostics (with their version), hover, code actions (one preferred quick fix per
// diagnostic, a suppression with a reason placeholder), a quick fix applied and the document
// checked again; a malformed request answered with an error without ending the session; and
// the exit status the protocol asks for.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');
const rpc = require('vscode-jsonrpc/node');

const bin = process.env.TRIPLINE_BIN;

/** What VS Code 1.85 announces, in the parts the server reads. */
const CAPABILITIES = {
  general: { positionEncodings: ['utf-16'] },
  workspace: {
    applyEdit: true,
    workspaceEdit: { documentChanges: true },
    didChangeWatchedFiles: { dynamicRegistration: true, relativePatternSupport: true },
    didChangeConfiguration: { dynamicRegistration: true },
    configuration: true,
  },
  textDocument: {
    synchronization: { dynamicRegistration: true, willSave: true, didSave: true },
    publishDiagnostics: {
      relatedInformation: true,
      versionSupport: false,
      tagSupport: { valueSet: [1, 2] },
      codeDescriptionSupport: true,
      dataSupport: true,
    },
    hover: { dynamicRegistration: true, contentFormat: ['markdown', 'plaintext'] },
    codeAction: {
      dynamicRegistration: true,
      isPreferredSupport: true,
      disabledSupport: true,
      dataSupport: true,
      resolveSupport: { properties: ['edit'] },
      codeActionLiteralSupport: {
        codeActionKind: { valueSet: ['', 'quickfix', 'refactor', 'source'] },
      },
    },
  },
};

function startServer(dir) {
  const child = spawn(bin, ['lsp'], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
  const connection = rpc.createMessageConnection(
    new rpc.StreamMessageReader(child.stdout),
    new rpc.StreamMessageWriter(child.stdin),
  );
  const published = [];
  const waiters = [];
  connection.onNotification('textDocument/publishDiagnostics', (p) => {
    published.push(p);
    for (const w of waiters.splice(0)) w();
  });
  connection.onRequest('client/registerCapability', () => null);
  connection.listen();
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  const next = (uri) =>
    new Promise((resolve) => {
      const look = () => {
        const i = published.findIndex((p) => p.uri === uri);
        if (i >= 0) resolve(published.splice(i, 1)[0]);
        else waiters.push(look);
      };
      look();
    });
  return { connection, child, next, exited };
}

/** `text` with LSP `edits` (UTF-16 positions of an ASCII text) applied. */
function applyEdits(text, edits) {
  const offset = (pos) => {
    const lines = text.split('\n');
    let at = 0;
    for (let i = 0; i < pos.line; i++) at += lines[i].length + 1;
    return at + pos.character;
  };
  const sorted = [...edits].sort((a, b) => offset(b.range.start) - offset(a.range.start));
  for (const e of sorted) {
    text = text.slice(0, offset(e.range.start)) + e.newText + text.slice(offset(e.range.end));
  }
  return text;
}

const TRAIL = 'Resources:\n  Trail:\n    Type: AWS::CloudTrail::Trail\n    Properties:\n      IsLogging: false\n      IsMultiRegionTrail: true\n      EnableLogFileValidation: true\n      S3BucketName: logs\n';

test('diagnostics, hover, code actions and a quick fix, as VS Code asks for them', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tripline-lsp-'));
  fs.writeFileSync(path.join(dir, 'tripline.toml'), 'select = ["LOG001"]\n');
  const file = path.join(dir, 'trail.yaml');
  fs.writeFileSync(file, TRAIL);
  const uri = `file://${file}`;
  const { connection, next, exited } = startServer(dir);
  const init = await connection.sendRequest('initialize', {
    processId: process.pid,
    rootUri: `file://${dir}`,
    capabilities: CAPABILITIES,
    initializationOptions: {},
  });
  assert.strictEqual(init.serverInfo.name, 'tripline');
  await connection.sendNotification('initialized', {});
  await connection.sendNotification('textDocument/didOpen', {
    textDocument: { uri, languageId: 'yaml', version: 1, text: TRAIL },
  });
  const first = await next(uri);
  assert.strictEqual(first.version, 1);
  assert.deepStrictEqual(first.diagnostics.map((d) => d.code), ['LOG001']);
  const diagnostic = first.diagnostics[0];
  assert.strictEqual(diagnostic.range.start.line, 4);

  const hover = await connection.sendRequest('textDocument/hover', {
    textDocument: { uri },
    position: diagnostic.range.start,
  });
  assert.match(hover.contents.value, /\*\*LOG001\*\*/);
  assert.match(hover.contents.value, /\*\*Fix:\*\*/);

  const actions = await connection.sendRequest('textDocument/codeAction', {
    textDocument: { uri },
    range: diagnostic.range,
    context: { diagnostics: [diagnostic], only: ['quickfix'], triggerKind: 1 },
  });
  const preferred = actions.filter((a) => a.isPreferred);
  assert.strictEqual(preferred.length, 1, JSON.stringify(actions));
  const suppress = actions.find((a) => /tripline:ignore/.test(JSON.stringify(a.edit)));
  assert.ok(suppress, JSON.stringify(actions));
  assert.match(JSON.stringify(suppress.edit), /tripline:ignore LOG001 <reason>/);

  const fixed = applyEdits(TRAIL, preferred[0].edit.changes[uri]);
  assert.match(fixed, /IsLogging: true/);
  await connection.sendNotification('textDocument/didChange', {
    textDocument: { uri, version: 2 },
    contentChanges: [{ text: fixed }],
  });
  const second = await next(uri);
  assert.strictEqual(second.version, 2);
  assert.deepStrictEqual(second.diagnostics, []);

  await connection.sendRequest('shutdown');
  await connection.sendNotification('exit');
  assert.strictEqual(await exited, 0);
  connection.dispose();
});

test('a malformed request gets an error and the session goes on', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tripline-lsp-'));
  const { connection, child, exited } = startServer(dir);
  await connection.sendRequest('initialize', { processId: null, rootUri: null, capabilities: CAPABILITIES });
  await connection.sendNotification('initialized', {});
  // A request whose params are not an object (JSON-RPC: structured value), written by hand.
  const answered = new Promise((resolve) => {
    let buffer = '';
    child.stdout.on('data', (chunk) => {
      buffer += chunk.toString();
      if (buffer.includes('"id":4242')) resolve(buffer);
    });
  });
  const body = JSON.stringify({ jsonrpc: '2.0', id: 4242, method: 'textDocument/hover', params: 7 });
  child.stdin.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  const raw = await answered;
  assert.match(raw, /"error"/);
  // Still serving.
  const hover = await connection.sendRequest('textDocument/hover', {
    textDocument: { uri: `file://${dir}/none.yaml` },
    position: { line: 0, character: 0 },
  });
  assert.strictEqual(hover, null);
  await connection.sendRequest('shutdown');
  await connection.sendNotification('exit');
  assert.strictEqual(await exited, 0);
  connection.dispose();
});

test('exit without shutdown ends with status 1', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tripline-lsp-'));
  const { connection, exited } = startServer(dir);
  await connection.sendRequest('initialize', { processId: null, rootUri: null, capabilities: CAPABILITIES });
  await connection.sendNotification('initialized', {});
  await connection.sendNotification('exit');
  assert.strictEqual(await exited, 1);
  connection.dispose();
});
