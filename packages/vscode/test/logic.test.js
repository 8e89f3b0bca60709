// The extension's decisions, under plain Node: which binary runs, how findings are shown, and
// how the CLI's JSON report becomes diagnostics (from a report the real binary writes).
const test = require('node:test');
const assert = require('node:assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const logic = require('../out/logic');

const isFile = (files) => (p) => files.includes(p);

test('the bundled binary runs unless the user settings name another', () => {
  const bundled = '/ext/bin/tripline';
  let s = logic.resolveServer({ bundled, isFile: isFile([bundled]) });
  assert.deepStrictEqual(s, { ok: true, command: bundled, source: 'bundled', warning: undefined });
  s = logic.resolveServer({ bundled, userPath: '/opt/tripline', isFile: isFile([bundled, '/opt/tripline']) });
  assert.strictEqual(s.command, '/opt/tripline');
  assert.strictEqual(s.source, 'user');
});

test('a workspace cannot choose the binary', () => {
  const bundled = '/ext/bin/tripline';
  const s = logic.resolveServer({
    bundled,
    workspacePath: '/repo/evil.sh',
    isFile: isFile([bundled, '/repo/evil.sh']),
  });
  assert.strictEqual(s.command, bundled);
  assert.match(s.warning, /ignored: only user settings choose the binary/);
});

test('a user path must be an absolute path to a file', () => {
  const bundled = '/ext/bin/tripline';
  const relative = logic.resolveServer({ bundled, userPath: 'tripline; rm -rf ~', isFile: isFile([bundled]) });
  assert.strictEqual(relative.ok, false);
  assert.match(relative.error, /must be an absolute path/);
  const missing = logic.resolveServer({ bundled, userPath: '/nope', isFile: isFile([bundled]) });
  assert.match(missing.error, /is not a file/);
  const none = logic.resolveServer({ bundled, isFile: isFile([]) });
  assert.match(none.error, /carries no tripline binary/);
});

test('severities are shown by finding or all alike', () => {
  assert.strictEqual(logic.shownAs('byFinding', 'critical'), 0);
  assert.strictEqual(logic.shownAs('byFinding', 'high'), 0);
  assert.strictEqual(logic.shownAs('byFinding', 'medium'), 1);
  assert.strictEqual(logic.shownAs('byFinding', 'low'), 2);
  assert.strictEqual(logic.shownAs('warning', 'critical'), 1);
  assert.strictEqual(logic.shownAs('information', 'high'), 2);
  assert.strictEqual(logic.bundledName('win32'), 'tripline.exe');
  assert.strictEqual(logic.bundledName('linux'), 'tripline');
});

test('a real JSON report becomes diagnostics at 0-based positions', () => {
  const bin = process.env.TRIPLINE_BIN;
  assert.ok(bin, 'TRIPLINE_BIN names the binary built by cargo');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tripline-vscode-'));
  fs.mkdirSync(path.join(dir, 'infra'));
  fs.writeFileSync(path.join(dir, 'infra', 'b.yaml'), 'Resources:\n  Data:\n    Type: AWS::S3::Bucket\n');
  const report = execFileSync(bin, ['check', '--no-config', '--format', 'json', '--exit-zero', '.'], { cwd: dir });
  const diagnostics = logic.reportDiagnostics(report.toString(), dir);
  assert.deepStrictEqual(diagnostics, [
    {
      file: path.join(dir, 'infra', 'b.yaml'),
      range: [1, 2, 1, 6],
      message: 'bucket `Data` has no server access logging, so requests to it leave no record',
      code: 'LOG009',
      severity: 'low',
    },
  ]);
});
