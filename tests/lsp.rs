//! A real client exchange with `tripline lsp` over stdio: initialize, didOpen,
//! publishDiagnostics with correct ranges, didChange, shutdown, exit.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

struct Client {
    child: Child,
    stdin: ChildStdin,
    messages: mpsc::Receiver<Value>,
}

fn read_message(reader: &mut BufReader<ChildStdout>) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length: ") {
            length = v.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

impl Client {
    fn start(dir: &Path) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tripline"))
            .arg("lsp")
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut reader = BufReader::new(child.stdout.take().unwrap());
        let (tx, messages) = mpsc::channel();
        std::thread::spawn(move || {
            while let Some(m) = read_message(&mut reader) {
                if tx.send(m).is_err() {
                    break;
                }
            }
        });
        Client {
            child,
            stdin,
            messages,
        }
    }

    fn send(&mut self, msg: Value) {
        let body = serde_json::to_vec(&msg).unwrap();
        write!(self.stdin, "Content-Length: {}\r\n\r\n", body.len()).unwrap();
        self.stdin.write_all(&body).unwrap();
        self.stdin.flush().unwrap();
    }

    fn expect(&self, what: &dyn Fn(&Value) -> bool) -> Value {
        loop {
            let m = self
                .messages
                .recv_timeout(Duration::from_secs(20))
                .expect("the server answers within 20 s");
            if what(&m) {
                return m;
            }
        }
    }
}

impl Client {
    fn initialize(&mut self, root: &Path) {
        self.send(
            json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "processId": null, "rootUri": uri(root), "capabilities": {}}}),
        );
        self.expect(&|m| m["id"] == 1);
        self.send(json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));
    }

    /// Open a document; its first diagnostics.
    fn open(&mut self, doc: &Path, language: &str, text: &str) -> Value {
        self.send(
            json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": uri(doc), "languageId": language, "version": 1, "text": text}}}),
        );
        self.expect(&|m| m["method"] == "textDocument/publishDiagnostics")
    }

    /// The code actions for `diagnostics` of `doc` (request `id`).
    fn code_actions(&mut self, id: u64, doc: &Path, diagnostics: &[Value]) -> Value {
        self.send(
            json!({"jsonrpc": "2.0", "id": id, "method": "textDocument/codeAction",
            "params": {"textDocument": {"uri": uri(doc)}, "range": diagnostics[0]["range"],
            "context": {"diagnostics": diagnostics}}}),
        );
        self.expect(&|m| m["id"] == id)
    }

    /// Apply `edit` to `doc` as an incremental change; the diagnostics that follow.
    fn apply(&mut self, doc: &Path, version: u64, edit: &Value) -> Value {
        self.send(
            json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
            "textDocument": {"uri": uri(doc), "version": version},
            "contentChanges": [{"range": edit["range"], "text": edit["newText"]}]}}),
        );
        self.expect(&|m| m["method"] == "textDocument/publishDiagnostics")
    }

    fn shutdown(mut self) {
        self.send(json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": null}));
        self.expect(&|m| m["id"] == 2);
        self.send(json!({"jsonrpc": "2.0", "method": "exit", "params": null}));
        assert!(self.child.wait().unwrap().success());
    }
}

fn uri(path: &Path) -> String {
    format!("file://{}", path.to_string_lossy().replace(' ', "%20"))
}

#[test]
fn publishes_diagnostics_with_ranges_and_clears_them() {
    let dir = tempfile::TempDir::new().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::write(
        root.join("tripline.toml"),
        "allowed_regions = [\"us-east-1\"]\nselect = [\"REG001\", \"LOG001\"]\n",
    )
    .unwrap();
    let doc = root.join("stacks/my stack.yaml");
    std::fs::create_dir_all(doc.parent().unwrap()).unwrap();
    // Not on disk: the server checks the editor's text, not the file.
    let text = "AWSTemplateFormatVersion: '2010-09-09'\nDescription: ünïcode 😀 before the findings\nResources:\n  Trail:\n    Type: AWS::CloudTrail::Trail\n    Properties:\n      IsLogging: false\n      IsMultiRegionTrail: true\n      EnableLogFileValidation: true\n      S3BucketName: logs\n      SnsTopicName: arn:aws:sns:eu-west-2:123456789012:alerts\n";

    let mut c = Client::start(&root);
    c.send(
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "processId": null, "rootUri": uri(&root), "capabilities": {}}}),
    );
    let init = c.expect(&|m| m["id"] == 1);
    // Incremental sync; a change without a range (below) is still the whole text.
    assert_eq!(
        init["result"]["capabilities"]["textDocumentSync"]["change"],
        2
    );
    c.send(json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));
    c.send(
        json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
        "uri": uri(&doc), "languageId": "yaml", "version": 1, "text": text}}}),
    );
    let diags = c.expect(&|m| m["method"] == "textDocument/publishDiagnostics");
    assert_eq!(diags["params"]["uri"], uri(&doc));
    let list = diags["params"]["diagnostics"].as_array().unwrap().clone();
    let codes: Vec<&str> = list.iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["LOG001", "REG001"], "{list:#?}");
    let log = &list[0];
    assert_eq!(log["range"]["start"], json!({"line": 6, "character": 17}));
    assert_eq!(log["range"]["end"], json!({"line": 6, "character": 22}));
    assert_eq!(log["severity"], 1);
    assert_eq!(log["source"], "tripline");
    let reg = &list[1];
    assert_eq!(reg["range"]["start"], json!({"line": 10, "character": 20}));
    assert!(reg["message"].as_str().unwrap().contains("eu-west-2"));

    // Fix the trail: its diagnostic goes away.
    let fixed = text.replace("IsLogging: false", "IsLogging: true");
    c.send(
        json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
        "textDocument": {"uri": uri(&doc), "version": 2},
        "contentChanges": [{"text": fixed}]}}),
    );
    let diags = c.expect(&|m| m["method"] == "textDocument/publishDiagnostics");
    let codes: Vec<&str> = diags["params"]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["REG001"]);

    // A syntax error is a diagnostic too.
    c.send(
        json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
        "textDocument": {"uri": uri(&doc), "version": 3},
        "contentChanges": [{"text": "AWSTemplateFormatVersion: '2010-09-09'\nResources: [\n"}]}}),
    );
    let diags = c.expect(&|m| m["method"] == "textDocument/publishDiagnostics");
    assert_eq!(diags["params"]["diagnostics"][0]["code"], "PARSE001");

    c.send(json!({"jsonrpc": "2.0", "method": "textDocument/didClose", "params": {"textDocument": {"uri": uri(&doc)}}}));
    let diags = c.expect(&|m| m["method"] == "textDocument/publishDiagnostics");
    assert!(
        diags["params"]["diagnostics"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    c.send(json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": null}));
    let resp = c.expect(&|m| m["id"] == 2);
    assert!(resp.get("error").is_none(), "{resp}");
    c.send(json!({"jsonrpc": "2.0", "method": "exit", "params": null}));
    let status = c.child.wait().unwrap();
    assert!(status.success());
}

fn codes(diags: &Value) -> Vec<String> {
    diags["params"]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn follows_config_edits_and_reports_broken_configs() {
    let dir = tempfile::TempDir::new().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let config = root.join("infra/tripline.toml");
    std::fs::create_dir_all(root.join("infra/legacy")).unwrap();
    // An override relative to the config's directory, while the server runs elsewhere.
    std::fs::write(
        &config,
        "select = [\"LOG001\", \"LOG002\"]\n[[overrides]]\npaths = [\"legacy/**\"]\nignore = [\"LOG001\"]\n",
    )
    .unwrap();
    let doc = root.join("infra/legacy/trail.yaml");
    let text = "Resources:\n  Trail:\n    Type: AWS::CloudTrail::Trail\n    Properties:\n      IsLogging: false\n      IsMultiRegionTrail: true\n      EnableLogFileValidation: false\n      S3BucketName: logs\n";
    let elsewhere = tempfile::TempDir::new().unwrap();
    let mut c = Client::start(elsewhere.path());
    c.send(
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "processId": null, "rootUri": uri(&root), "capabilities": {}}}),
    );
    c.expect(&|m| m["id"] == 1);
    c.send(json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));
    let change = |c: &mut Client, version: u32| {
        c.send(
            json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
            "textDocument": {"uri": uri(&doc), "version": version},
            "contentChanges": [{"text": text}]}}),
        );
        c.expect(&|m| m["method"] == "textDocument/publishDiagnostics")
    };
    c.send(
        json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
        "uri": uri(&doc), "languageId": "yaml", "version": 1, "text": text}}}),
    );
    let diags = c.expect(&|m| m["method"] == "textDocument/publishDiagnostics");
    assert_eq!(codes(&diags), ["LOG002"], "the override applies");

    // The config is edited while the editor runs: the next check uses it.
    std::fs::write(&config, "select = [\"LOG001\"]\n").unwrap();
    assert_eq!(codes(&change(&mut c, 2)), ["LOG001", "LOG001"]);

    // A broken config is shown to the user, naming the file and the key, and the document is
    // checked with the defaults meanwhile.
    std::fs::write(&config, "selcet = [\"LOG001\"]\n").unwrap();
    c.send(
        json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
        "textDocument": {"uri": uri(&doc), "version": 3},
        "contentChanges": [{"text": text}]}}),
    );
    let shown = c.expect(&|m| m["method"] == "window/showMessage");
    let message = shown["params"]["message"].as_str().unwrap();
    assert_eq!(shown["params"]["type"], 1);
    assert!(
        message.contains("infra/tripline.toml") && message.contains("selcet"),
        "{message}"
    );
    let diags = c.expect(&|m| m["method"] == "textDocument/publishDiagnostics");
    assert!(codes(&diags).contains(&"LOG001".to_string()));
    assert!(codes(&diags).contains(&"LOG004".to_string()));

    c.send(json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": null}));
    c.expect(&|m| m["id"] == 2);
    c.send(json!({"jsonrpc": "2.0", "method": "exit", "params": null}));
    assert!(c.child.wait().unwrap().success());
}

/// A `.tf` buffer is checked with the other files of its directory as they are on disk: the
/// variable's value comes from `terraform.tfvars` beside it.
#[test]
fn checks_terraform_buffers_with_their_configuration() {
    let dir = tempfile::TempDir::new().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::write(root.join("tripline.toml"), "select = [\"LOG001\"]\n").unwrap();
    std::fs::write(
        root.join("variables.tf"),
        "variable \"validate\" {\n  default = true\n}\n",
    )
    .unwrap();
    std::fs::write(root.join("terraform.tfvars"), "validate = false\n").unwrap();
    let doc = root.join("main.tf");
    let text = "resource \"aws_cloudtrail\" \"main\" {\n  name = \"main\"\n  s3_bucket_name = \"logs\"\n  is_multi_region_trail = true\n  enable_log_file_validation = var.validate\n}\n";
    let mut c = Client::start(&root);
    c.initialize(&root);
    let diags = c.open(&doc, "terraform", text);
    assert_eq!(codes(&diags), ["LOG001"]);
    let d = &diags["params"]["diagnostics"][0];
    assert_eq!(d["range"]["start"], json!({"line": 4, "character": 31}));
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .contains("enable_log_file_validation is false")
    );
    c.shutdown();
}

/// The config's Guard rules reach the editor too: their findings are diagnostics with their
/// ranges, under the rule's ID.
#[test]
fn guard_rules_of_the_config_are_diagnostics() {
    let dir = tempfile::TempDir::new().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/guard");
    std::fs::create_dir_all(root.join("policy")).unwrap();
    std::fs::copy(
        fixtures.join("rules/trails.guard"),
        root.join("policy/trails.guard"),
    )
    .unwrap();
    std::fs::write(
        root.join("tripline.toml"),
        "rules = [\"policy\"]\nselect = [\"GUARD\"]\n",
    )
    .unwrap();
    let doc = root.join("trail.yaml");
    let text = std::fs::read_to_string(fixtures.join("templates/trail.yaml")).unwrap();
    let mut c = Client::start(&root);
    c.initialize(&root);
    let diags = c.open(&doc, "yaml", &text);
    assert_eq!(
        codes(&diags),
        [
            "GUARD/trails/trail_log_file_validation",
            "GUARD/trails/trail_multi_region"
        ]
    );
    let multi = &diags["params"]["diagnostics"][1];
    assert_eq!(multi["range"]["start"], json!({"line": 6, "character": 26}));
    c.shutdown();
}

/// A rule file that would make Guard recurse without end (rules in a cycle) killed the server
/// on every document open; now it is shown to the user with its line, and the server lives on.
#[test]
fn a_cyclic_guard_rule_file_is_shown_not_fatal() {
    let dir = tempfile::TempDir::new().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::create_dir_all(root.join("policy")).unwrap();
    std::fs::write(
        root.join("policy/loop.guard"),
        "rule a when b {\n  Resources exists\n}\nrule b when a {\n  Resources exists\n}\n",
    )
    .unwrap();
    std::fs::write(root.join("tripline.toml"), "rules = [\"policy\"]\n").unwrap();
    let doc = root.join("t.yaml");
    let text = "Resources:\n  Data:\n    Type: AWS::S3::Bucket\n";
    let mut c = Client::start(&root);
    c.initialize(&root);
    c.send(
        json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
        "uri": uri(&doc), "languageId": "yaml", "version": 1, "text": text}}}),
    );
    let shown = c.expect(&|m| m["method"] == "window/showMessage");
    let message = shown["params"]["message"].as_str().unwrap();
    assert!(
        message.contains("loop.guard:1:") && message.contains("a -> b -> a"),
        "{message}"
    );
    // Checked with the defaults meanwhile.
    let diags = c.expect(&|m| m["method"] == "textDocument/publishDiagnostics");
    assert_eq!(codes(&diags), ["LOG009"]);
    c.shutdown();
}

/// The editor experience end to end: `serverInfo` and capabilities, `codeDescription` links
/// from the config's `docs_url`, hover with the policy's rationale and fix, a code action that
/// inserts a comment suppression, applied through an incremental change, after which the
/// diagnostic is gone.
#[test]
fn hover_code_action_and_incremental_changes() {
    let dir = tempfile::TempDir::new().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("tripline.toml"),
        "docs_url = \"https://wiki.example.com/tripline/{id}\"\n",
    )
    .unwrap();
    let doc = root.join("t.yaml");
    let text = "Resources:\n  Data:\n    Type: AWS::S3::Bucket\n";
    std::fs::write(&doc, text).unwrap();
    let mut client = Client::start(root);
    client.send(
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "processId": null, "rootUri": uri(root), "capabilities": {}}}),
    );
    let init = client.expect(&|m| m["id"] == 1);
    assert_eq!(init["result"]["serverInfo"]["name"], "tripline");
    assert_eq!(
        init["result"]["capabilities"]["textDocumentSync"]["change"],
        2
    );
    assert_eq!(init["result"]["capabilities"]["hoverProvider"], true);
    client.send(json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));

    let published = client.open(&doc, "yaml", text);
    let diags = published["params"]["diagnostics"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(codes(&published), ["LOG009"]);
    assert_eq!(
        diags[0]["codeDescription"]["href"],
        "https://wiki.example.com/tripline/LOG009"
    );

    client.send(
        json!({"jsonrpc": "2.0", "id": 3, "method": "textDocument/hover", "params": {
        "textDocument": {"uri": uri(&doc)}, "position": {"line": 1, "character": 3}}}),
    );
    let hover = client.expect(&|m| m["id"] == 3);
    let value = hover["result"]["contents"]["value"].as_str().unwrap();
    assert!(
        value.starts_with("**LOG009** S3 bucket without server access logging"),
        "{value}"
    );
    assert!(value.contains("**Fix:**"), "{value}");
    // Nowhere near a finding: no hover.
    client.send(
        json!({"jsonrpc": "2.0", "id": 4, "method": "textDocument/hover", "params": {
        "textDocument": {"uri": uri(&doc)}, "position": {"line": 0, "character": 0}}}),
    );
    assert!(client.expect(&|m| m["id"] == 4)["result"].is_null());

    let actions = client.code_actions(5, &doc, &diags);
    let action = &actions["result"][0];
    assert_eq!(action["title"], "Suppress LOG009 with a comment");
    assert_eq!(action["kind"], "quickfix");
    let edit = &action["edit"]["changes"][uri(&doc)][0];
    assert_eq!(edit["newText"], "  # tripline:ignore LOG009 <reason>\n");
    assert_eq!(edit["range"]["start"], json!({"line": 1, "character": 0}));

    // The client applies the edit and sends only the change.
    let after = client.apply(&doc, 2, edit);
    assert_eq!(codes(&after), Vec::<String>::new());

    // A second incremental change undoes it (deletes the inserted line).
    client.send(
        json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
        "textDocument": {"uri": uri(&doc), "version": 3},
        "contentChanges": [{"range": {"start": {"line": 1, "character": 0},
            "end": {"line": 2, "character": 0}}, "text": ""}]}}),
    );
    let undone = client.expect(&|m| m["method"] == "textDocument/publishDiagnostics");
    assert_eq!(codes(&undone), ["LOG009"]);
    client.shutdown();
}

/// A finding with a mechanical fix offers it as the preferred quick fix; applied, the
/// diagnostic goes and the comment on the line stays.
#[test]
fn quick_fix_sets_the_value() {
    let dir = tempfile::TempDir::new().unwrap();
    let root = dir.path();
    let doc = root.join("trail.yaml");
    let text = "Resources:\n  Trail:\n    Type: AWS::CloudTrail::Trail\n    Properties:\n      IsLogging: false  # on soon\n      IsMultiRegionTrail: true\n      EnableLogFileValidation: true\n      S3BucketName: logs\n";
    let mut client = Client::start(root);
    client.initialize(root);
    let published = client.open(&doc, "yaml", text);
    let diags: Vec<Value> = published["params"]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "LOG001")
        .cloned()
        .collect();
    assert_eq!(diags.len(), 1);
    let actions = client.code_actions(7, &doc, &diags);
    let fix = actions["result"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["isPreferred"] == true)
        .expect("a preferred quick fix");
    assert_eq!(fix["title"], "Set `IsLogging` to true");
    let edit = &fix["edit"]["changes"][uri(&doc)][0];
    assert_eq!(edit["newText"], "true");
    assert_eq!(edit["range"]["start"], json!({"line": 4, "character": 17}));
    let after = client.apply(&doc, 2, edit);
    assert!(!codes(&after).contains(&"LOG001".to_string()), "{after}");
    client.shutdown();
}

/// In CloudFormation JSON (no comments) the suppression goes into the resource's `Metadata`.
#[test]
fn json_templates_are_suppressed_in_metadata() {
    let dir = tempfile::TempDir::new().unwrap();
    let root = dir.path();
    let doc = root.join("t.json");
    let text = "{\n  \"Resources\": {\n    \"Data\": {\n      \"Type\": \"AWS::S3::Bucket\"\n    }\n  }\n}\n";
    let mut client = Client::start(root);
    client.initialize(root);
    let published = client.open(&doc, "json", text);
    let diags = published["params"]["diagnostics"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(codes(&published), ["LOG009"]);
    let actions = client.code_actions(8, &doc, &diags);
    let action = &actions["result"][0];
    assert_eq!(
        action["title"],
        "Suppress LOG009 in the resource's Metadata"
    );
    let edit = &action["edit"]["changes"][uri(&doc)][0];
    assert_eq!(
        edit["newText"],
        "\"Metadata\": {\"tripline\": {\"ignore\": [\"LOG009\"], \"reason\": \"<reason>\"}},\n      "
    );
    let after = client.apply(&doc, 2, edit);
    assert_eq!(codes(&after), Vec::<String>::new());
    client.shutdown();
}

/// A finding's related places of the document reach the editor as `relatedInformation`: the
/// group an IAM grant lands on.
#[test]
fn related_places_are_related_information() {
    let dir = tempfile::TempDir::new().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::write(root.join("tripline.toml"), "select = [\"DET001\"]\n").unwrap();
    let doc = root.join("iam.yaml");
    let text = "Resources:\n  Operators:\n    Type: AWS::IAM::Group\n  OpsPolicy:\n    Type: AWS::IAM::Policy\n    Properties:\n      PolicyName: ops\n      Groups: [!Ref Operators]\n      PolicyDocument:\n        Statement:\n          - Effect: Allow\n            Action: cloudtrail:StopLogging\n            Resource: \"*\"\n";
    let mut c = Client::start(&root);
    c.initialize(&root);
    let published = c.open(&doc, "yaml", text);
    let diagnostic = &published["params"]["diagnostics"][0];
    assert_eq!(diagnostic["code"], "DET001", "{published}");
    let related = &diagnostic["relatedInformation"][0];
    assert_eq!(related["location"]["uri"], uri(&doc));
    assert_eq!(
        related["location"]["range"]["start"],
        json!({"line": 1, "character": 2})
    );
    assert_eq!(
        related["message"],
        "the grant lands on `Operators` (AWS::IAM::Group)"
    );
    c.shutdown();
}

/// A related place in another file of the document's Terraform configuration (the role whose
/// trust policy the document holds) reaches the editor with that file's URI.
#[test]
fn related_places_in_sibling_files_are_related_information() {
    let dir = tempfile::TempDir::new().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::write(root.join("tripline.toml"), "select = [\"ROOT001\"]\n").unwrap();
    std::fs::write(
        root.join("main.tf"),
        "resource \"aws_iam_role\" \"auditor\" {\n  assume_role_policy = data.aws_iam_policy_document.trust.json\n}\n",
    )
    .unwrap();
    let doc = root.join("policies.tf");
    let text = "data \"aws_iam_policy_document\" \"trust\" {\n  statement {\n    actions = [\"sts:AssumeRole\"]\n    principals {\n      type        = \"AWS\"\n      identifiers = [\"arn:aws:iam::111122223333:root\"]\n    }\n  }\n}\n";
    std::fs::write(&doc, text).unwrap();
    let mut c = Client::start(&root);
    c.initialize(&root);
    let published = c.open(&doc, "terraform", text);
    let diagnostic = &published["params"]["diagnostics"][0];
    assert_eq!(diagnostic["code"], "ROOT001", "{published}");
    let related = &diagnostic["relatedInformation"][0];
    assert_eq!(
        related["location"]["uri"],
        uri(&root.join("main.tf")),
        "{published}"
    );
    assert_eq!(
        related["location"]["range"]["start"],
        json!({"line": 0, "character": 24})
    );
    c.shutdown();
}

/// A burst of edits is checked at its end: the last diagnostics are of the last version (and
/// say so); a config changed on disk (`workspace/didChangeWatchedFiles`) re-checks the open
/// documents; a server whose client registers watchers asks for `tripline.toml` and rule files.
#[test]
fn rapid_edits_and_config_changes() {
    let dir = tempfile::TempDir::new().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::write(root.join("tripline.toml"), "select = [\"LOG009\"]\n").unwrap();
    let doc = root.join("b.yaml");
    let text = "Resources:\n  Data:\n    Type: AWS::S3::Bucket\n";
    let mut c = Client::start(&root);
    c.send(
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "processId": null, "rootUri": uri(&root),
        "capabilities": {"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}}}}}),
    );
    c.expect(&|m| m["id"] == 1);
    c.send(json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));
    let register = c.expect(&|m| m["method"] == "client/registerCapability");
    let watchers =
        register["params"]["registrations"][0]["registerOptions"]["watchers"].to_string();
    assert!(
        watchers.contains("tripline.toml") && watchers.contains("*.guard"),
        "{watchers}"
    );
    c.send(json!({"jsonrpc": "2.0", "id": "tripline-watch", "result": null}));
    let first = c.open(&doc, "yaml", text);
    assert_eq!(first["params"]["version"], 1);
    // Twenty edits in one write: each a whole new text, the last with a second bucket.
    let mut burst = Vec::new();
    for v in 2..=21 {
        let body = if v == 21 {
            format!("{text}  More:\n    Type: AWS::S3::Bucket\n")
        } else {
            format!("# edit {v}\n{text}")
        };
        let msg = serde_json::to_vec(
            &json!({"jsonrpc": "2.0", "method": "textDocument/didChange",
            "params": {"textDocument": {"uri": uri(&doc), "version": v},
            "contentChanges": [{"text": body}]}}),
        )
        .unwrap();
        burst.extend(format!("Content-Length: {}\r\n\r\n", msg.len()).into_bytes());
        burst.extend(msg);
    }
    c.stdin.write_all(&burst).unwrap();
    c.stdin.flush().unwrap();
    let mut published = 0;
    let last = loop {
        let m = c.expect(&|m| m["method"] == "textDocument/publishDiagnostics");
        published += 1;
        if m["params"]["version"] == 21 {
            break m;
        }
    };
    assert!(published <= 20, "{published} checks for 20 edits");
    assert_eq!(last["params"]["diagnostics"].as_array().unwrap().len(), 2);

    // The config now ignores LOG009: the open document is checked again without it.
    std::fs::write(root.join("tripline.toml"), "ignore = [\"LOG009\"]\n").unwrap();
    c.send(
        json!({"jsonrpc": "2.0", "method": "workspace/didChangeWatchedFiles", "params": {
        "changes": [{"uri": uri(&root.join("tripline.toml")), "type": 2}]}}),
    );
    let again = c.expect(&|m| m["method"] == "textDocument/publishDiagnostics");
    assert_eq!(again["params"]["diagnostics"], json!([]), "{again}");
    assert_eq!(again["params"]["version"], 21);
    c.shutdown();
}

/// The reason placeholder the suppression action writes is not a reason: with
/// `require_suppression_reason`, it is SUPP002 until replaced.
#[test]
fn the_reason_placeholder_is_not_a_reason() {
    let dir = tempfile::TempDir::new().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::write(
        root.join("tripline.toml"),
        "require_suppression_reason = true\nselect = [\"LOG009\", \"SUPP\"]\n",
    )
    .unwrap();
    let doc = root.join("b.yaml");
    let text =
        "Resources:\n  # tripline:ignore LOG009 <reason>\n  Data:\n    Type: AWS::S3::Bucket\n";
    let mut c = Client::start(&root);
    c.initialize(&root);
    let published = c.open(&doc, "yaml", text);
    let codes: Vec<&str> = published["params"]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["SUPP002"], "{published}");
    c.shutdown();
}

/// A module call whose resources go unchecked (its module is not on disk) is an information
/// diagnostic on the call's line, as the command line's summary counts it; one that is on
/// disk is not.
#[test]
fn module_calls_not_followed_are_information_on_their_line() {
    let dir = tempfile::TempDir::new().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::create_dir(root.join("local")).unwrap();
    std::fs::write(
        root.join("local/main.tf"),
        "variable \"x\" {\n  default = 1\n}\n",
    )
    .unwrap();
    let doc = root.join("main.tf");
    let text = "module \"here\" {\n  source = \"./local\"\n}\n\nmodule \"vpc\" {\n  source = \"terraform-aws-modules/vpc/aws\"\n}\n";
    let mut c = Client::start(&root);
    c.initialize(&root);
    let diags = c.open(&doc, "terraform", text);
    let all = diags["params"]["diagnostics"].as_array().unwrap();
    assert_eq!(all.len(), 1, "{diags}");
    let d = &all[0];
    assert_eq!(d["severity"], 3);
    assert_eq!(
        d["range"],
        json!({"start": {"line": 4, "character": 0}, "end": {"line": 4, "character": 14}})
    );
    let message = d["message"].as_str().unwrap();
    assert!(
        message.starts_with(
            "module `vpc` comes from `terraform-aws-modules/vpc/aws`, which is not on disk"
        ),
        "{message}"
    );
    c.shutdown();
}
