//! `tripline lsp`: a Language Server (JSON-RPC over stdio) that publishes diagnostics while a
//! template is edited. It uses the same engine and the same `tripline.toml` (found by walking up
//! from each document) as `tripline check`, so the editor shows exactly what the pipeline will
//! report.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use lsp_server::{Connection, Message, Notification, Response};
use serde_json::{Value, json};

use crate::config::Config;
use crate::engine::Flags;
use crate::file_report::{FileReport, Outcome, UnfollowedModule};
use crate::finding::{Finding, Severity};
use crate::policy;
use crate::project::{ConfigChoice, Project};
use crate::run::{Input, Listener, Run, RunOptions};
use crate::source::LineIndex;

/// LSP error code for an unsupported request.
const METHOD_NOT_FOUND: i32 = -32601;

#[derive(Debug, thiserror::Error)]
/// Why the language server stopped.
pub enum LspError {
    #[error("language server protocol error: {0}")]
    /// The client sent something that is not the protocol.
    Protocol(#[from] lsp_server::ProtocolError),
    #[error("language server connection closed: {0}")]
    /// The connection closed while a message was sent.
    Send(String),
    #[error("the client sent `exit` without `shutdown`")]
    /// `exit` came before `shutdown`: the protocol asks for exit status 1.
    ExitWithoutShutdown,
}

/// The method of the request the reader makes of a message that is not one the protocol
/// allows but has an `id`: answered with an Invalid Request error.
const INVALID: &str = "$/tripline/invalidMessage";
/// JSON-RPC error codes.
const INVALID_REQUEST: i32 = -32600;
const INVALID_PARAMS: i32 = -32602;

/// Largest message body read from a client (far above any real document).
pub(crate) const MAX_MESSAGE_BYTES: usize = 64 * 1024 * 1024;
/// Longest header line, and most header lines, of one message.
const MAX_HEADER_LINE: usize = 8 * 1024;
const MAX_HEADERS: usize = 32;

/// Serve one client on stdin/stdout until it sends `exit`.
pub fn serve_stdio() -> Result<(), LspError> {
    let (connection, reader, writer) = stdio_connection();
    let served = serve(&connection);
    drop(connection);
    let _ = writer.join();
    // The reader ends at `exit`, at end of input, or on a message it refused.
    let read = reader
        .join()
        .unwrap_or_else(|_| Err("reader thread panicked".into()));
    served?;
    read.map_err(LspError::Send)
}

/// A connection over stdio whose reader bounds what a client may send: lsp-server's own reader
/// allocates whatever `Content-Length` says (`1e12` aborts the process). A message over
/// [`MAX_MESSAGE_BYTES`], or malformed headers, end the connection cleanly with the reason.
fn stdio_connection() -> (
    Connection,
    std::thread::JoinHandle<Result<(), String>>,
    std::thread::JoinHandle<()>,
) {
    let (to_client, outgoing) = crossbeam_channel::bounded::<Message>(0);
    // Unbounded: the reader reads ahead, so that the server sees whether more messages wait
    // (and checks only the latest version of a document that is being typed in).
    let (incoming, from_client) = crossbeam_channel::unbounded::<Message>();
    let writer = std::thread::spawn(move || {
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        for msg in outgoing {
            if msg.write(&mut out).is_err() {
                break;
            }
        }
    });
    let reader = std::thread::spawn(move || {
        let stdin = std::io::stdin();
        let mut input = std::io::BufReader::new(stdin.lock());
        loop {
            let msg = match read_message(&mut input) {
                Ok(Some(Read::Message(m))) => m,
                Ok(Some(Read::Invalid { id, error })) => {
                    // A message that is JSON but not the protocol's: answered when it has an id,
                    // else logged; the session goes on either way.
                    eprintln!("tripline lsp: {error}");
                    match id {
                        Some(id) => Message::Request(lsp_server::Request {
                            id,
                            method: INVALID.to_string(),
                            params: json!({"error": error}),
                        }),
                        None => continue,
                    }
                }
                Ok(None) => return Ok(()),
                Err(e) => {
                    eprintln!("tripline lsp: {e}; closing the connection");
                    return Err(e);
                }
            };
            let is_exit = matches!(&msg, Message::Notification(n) if n.method == "exit");
            if incoming.send(msg).is_err() || is_exit {
                return Ok(());
            }
        }
    });
    (
        Connection {
            sender: to_client,
            receiver: from_client,
        },
        reader,
        writer,
    )
}

/// What one framed message held.
enum Read {
    /// A message of the protocol.
    Message(Message),
    /// A body that is not one: its `id` when it has one, and what is wrong.
    Invalid {
        id: Option<lsp_server::RequestId>,
        error: String,
    },
}

/// One JSON-RPC message (`Content-Length` framing), bounded; `None` at end of input. A broken
/// frame is an error (nothing after it can be trusted); a body that is not a message is
/// [`Read::Invalid`].
fn read_message(input: &mut impl std::io::BufRead) -> Result<Option<Read>, String> {
    use std::io::{BufRead as _, Read as _};
    let mut length: Option<usize> = None;
    let mut headers = 0;
    loop {
        let mut line = Vec::new();
        let n = (&mut *input)
            .take(MAX_HEADER_LINE as u64 + 1)
            .read_until(b'\n', &mut line)
            .map_err(|e| e.to_string())?;
        if n == 0 {
            return if headers == 0 {
                Ok(None)
            } else {
                Err("input ended inside message headers".into())
            };
        }
        if line.len() > MAX_HEADER_LINE {
            return Err(format!("header line longer than {MAX_HEADER_LINE} bytes"));
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            if headers == 0 {
                continue;
            }
            break;
        }
        headers += 1;
        if headers > MAX_HEADERS {
            return Err("too many message headers".into());
        }
        if let Some((name, value)) = text.split_once(':')
            && name.trim().eq_ignore_ascii_case("Content-Length")
        {
            let value = value.trim();
            let n: usize = value
                .parse()
                .map_err(|_| format!("invalid Content-Length `{value}`"))?;
            if n > MAX_MESSAGE_BYTES {
                return Err(format!(
                    "message of {n} bytes is over the {MAX_MESSAGE_BYTES}-byte limit"
                ));
            }
            length = Some(n);
        }
    }
    let length = length.ok_or("message without Content-Length")?;
    let mut body = vec![0; length];
    input.read_exact(&mut body).map_err(|e| e.to_string())?;
    Ok(Some(match serde_json::from_slice::<Message>(&body) {
        Ok(m) => Read::Message(m),
        Err(e) => {
            let id = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| serde_json::from_value(v.get("id")?.clone()).ok());
            Read::Invalid {
                id,
                error: format!("malformed message: {e}"),
            }
        }
    }))
}

/// Serve one client on a connection.
pub(crate) fn serve(connection: &Connection) -> Result<(), LspError> {
    let capabilities = json!({
        "textDocumentSync": {
            "openClose": true,
            // Incremental: a client sends only the ranges that changed.
            "change": 2,
            "save": {"includeText": true},
        },
        "positionEncoding": "utf-16",
        "hoverProvider": true,
        "codeActionProvider": {"codeActionKinds": ["quickfix"]},
    });
    let (id, params) = connection.initialize_start()?;
    connection.initialize_finish(
        id,
        json!({
            "capabilities": capabilities,
            "serverInfo": {"name": "tripline", "version": env!("CARGO_PKG_VERSION")},
        }),
    )?;
    let mut server = Server {
        runs: HashMap::new(),
        documents: HashMap::new(),
        findings: HashMap::new(),
        messages: Vec::new(),
        config: params
            .pointer("/initializationOptions/config")
            .and_then(Value::as_str)
            .filter(|c| !c.is_empty())
            .map(PathBuf::from),
        dirty: Vec::new(),
    };
    let watch = params
        .pointer("/capabilities/workspace/didChangeWatchedFiles/dynamicRegistration")
        .and_then(Value::as_bool)
        == Some(true);
    // (`initialize_finish` has taken the client's `initialized`.)
    if watch {
        send(connection, watch_configs())?;
    }
    for msg in &connection.receiver {
        match msg {
            Message::Request(req) => {
                if connection.handle_shutdown(&req)? {
                    return Ok(());
                }
                // What a request reads must be of the documents' latest text.
                server.flush(connection)?;
                let resp = server.respond(req);
                send(connection, Message::Response(resp))?;
            }
            Message::Notification(n) => match n.method.as_str() {
                "exit" => return Err(LspError::ExitWithoutShutdown),
                // A config or rule file changed: every open document is checked again.
                "workspace/didChangeWatchedFiles" | "workspace/didChangeConfiguration" => {
                    server.runs.clear();
                    let open: Vec<String> = server.documents.keys().cloned().collect();
                    server.dirty.extend(open);
                }
                _ => {
                    if let Some(closed) = server.handle(&n) {
                        send(connection, Message::Notification(closed))?;
                    }
                }
            },
            Message::Response(_) => {}
        }
        // Check when no other message waits: a burst of edits is checked once, at its end.
        if connection.receiver.is_empty() {
            server.flush(connection)?;
        }
    }
    Ok(())
}

/// The request that asks the client to say when a `tripline.toml` or a Guard rule file changes.
fn watch_configs() -> Message {
    Message::Request(lsp_server::Request {
        id: lsp_server::RequestId::from("tripline-watch".to_string()),
        method: "client/registerCapability".to_string(),
        params: json!({"registrations": [{
            "id": "tripline-configs",
            "method": "workspace/didChangeWatchedFiles",
            "registerOptions": {"watchers": [
                {"globPattern": "**/{tripline.toml,.tripline.toml}"},
                {"globPattern": "**/*.guard"},
            ]},
        }]}),
    })
}

fn send(connection: &Connection, msg: Message) -> Result<(), LspError> {
    connection
        .sender
        .send(msg)
        .map_err(|e| LspError::Send(e.to_string()))
}

struct Server {
    /// Runs by config file (`None`: no config found), with the config text they were made
    /// from: a config edited while the editor runs is read again on the next check.
    runs: HashMap<Option<PathBuf>, (String, Arc<Run>)>,
    /// Open documents: URI → text and the client's version of it.
    documents: HashMap<String, (String, Option<i64>)>,
    /// The findings last published for each open document (for hover and code actions), with
    /// the help page template of the config that governs it.
    findings: HashMap<String, (Vec<Finding>, Option<String>)>,
    /// Notifications to send before the next diagnostics (`window/showMessage`).
    messages: Vec<Notification>,
    /// The config the client asked for (`initializationOptions.config`), for every document.
    config: Option<PathBuf>,
    /// Documents changed since they were last checked, in the order they changed.
    dirty: Vec<String>,
}

impl Server {
    /// Apply a document notification: the text and version change and the document is marked
    /// to be checked; a closed document's diagnostics are cleared (the notification returned).
    fn handle(&mut self, n: &Notification) -> Option<Notification> {
        let doc = n.params.get("textDocument")?;
        let uri = doc.get("uri")?.as_str()?.to_string();
        let version = doc.get("version").and_then(Value::as_i64);
        match n.method.as_str() {
            "textDocument/didOpen" => {
                let text = doc.get("text")?.as_str()?.to_string();
                self.documents.insert(uri.clone(), (text, version));
            }
            "textDocument/didChange" => {
                // Incremental synchronization: each change replaces a range (UTF-16 positions)
                // of the text as the previous changes left it; one without a range is the
                // whole text.
                let (mut text, _) = self.documents.remove(&uri).unwrap_or_default();
                for change in n.params.get("contentChanges")?.as_array()? {
                    let new = change.get("text")?.as_str()?;
                    match change.get("range") {
                        Some(range) => {
                            let start = byte_offset(&text, range.get("start")?)?;
                            let end = byte_offset(&text, range.get("end")?)?.max(start);
                            text.replace_range(start..end, new);
                        }
                        None => text = new.to_string(),
                    }
                }
                self.documents.insert(uri.clone(), (text, version));
            }
            "textDocument/didSave" => {
                if let Some(text) = n.params.get("text").and_then(Value::as_str) {
                    let version = self.documents.get(&uri).and_then(|(_, v)| *v);
                    self.documents
                        .insert(uri.clone(), (text.to_string(), version));
                }
            }
            "textDocument/didClose" => {
                self.documents.remove(&uri);
                self.findings.remove(&uri);
                self.dirty.retain(|d| *d != uri);
                return Some(publish(&uri, Vec::new(), None));
            }
            _ => return None,
        }
        if !self.dirty.contains(&uri) {
            self.dirty.push(uri);
        }
        None
    }

    /// Check the documents changed since their last check, each at its latest version, and
    /// publish their diagnostics (a config problem first, once).
    fn flush(&mut self, connection: &Connection) -> Result<(), LspError> {
        for uri in std::mem::take(&mut self.dirty) {
            let Some((text, version)) = self.documents.get(&uri).cloned() else {
                continue;
            };
            let diagnostics = self.diagnose(&uri, &text);
            for message in self.messages.drain(..) {
                send(connection, Message::Notification(message))?;
            }
            send(
                connection,
                Message::Notification(publish(&uri, diagnostics, version)),
            )?;
        }
        Ok(())
    }

    /// The answer to a request: hover and code actions; an error for anything else, for
    /// parameters that are not an object, and for a message that was not the protocol's.
    fn respond(&mut self, req: lsp_server::Request) -> Response {
        if req.method == INVALID {
            let error = req.params["error"].as_str().unwrap_or("invalid message");
            return Response::new_err(req.id, INVALID_REQUEST, error.to_string());
        }
        let known = matches!(
            req.method.as_str(),
            "textDocument/hover" | "textDocument/codeAction"
        );
        if known && !req.params.is_object() {
            return Response::new_err(
                req.id,
                INVALID_PARAMS,
                format!("`{}` takes an object of parameters", req.method),
            );
        }
        match req.method.as_str() {
            "textDocument/hover" => Response::new_ok(req.id, self.hover(&req.params)),
            "textDocument/codeAction" => Response::new_ok(req.id, self.code_actions(&req.params)),
            _ => Response::new_err(
                req.id,
                METHOD_NOT_FOUND,
                format!("tripline does not handle `{}`", req.method),
            ),
        }
    }

    /// The run of the config that governs `path` (the nearest one, as for `check`), made again
    /// when the config's text changed since the last check.
    fn run_for(&mut self, path: Option<&Path>) -> Arc<Run> {
        let config_path = match &self.config {
            Some(c) => Some(c.clone()),
            None => path.and_then(Config::discover),
        };
        let text = match &config_path {
            Some(p) => std::fs::read_to_string(p).unwrap_or_default(),
            None => String::new(),
        };
        if let Some((seen, run)) = self.runs.get(&config_path)
            && *seen == text
        {
            return run.clone();
        }
        let choice = match &config_path {
            Some(p) => ConfigChoice::File(p.clone()),
            None => ConfigChoice::Nothing,
        };
        // An editor shows a document's findings in that document: a plan's stay in the plan.
        let flags = Flags {
            options: crate::engine::EngineOptions {
                terraform_root: crate::engine::TerraformRoot::Off,
                ..Default::default()
            },
            ..Flags::default()
        };
        let project = Arc::new(Project::new(choice, flags));
        let run = Arc::new(Run::new(project, RunOptions::default()));
        self.runs.insert(config_path, (text, run.clone()));
        run
    }

    fn diagnose(&mut self, uri: &str, text: &str) -> Vec<Value> {
        let path = file_path(uri);
        // The absolute path: config globs (overrides, suppressions) are matched against it
        // relative to the config's directory, whatever the server's working directory is.
        let display = match &path {
            Some(p) => crate::walk::display_path(p),
            None => uri.rsplit('/').next().unwrap_or(uri).to_string(),
        };
        let run = self.run_for(path.as_deref());
        let input = Input::Buffer {
            name: &display,
            bytes: text.as_bytes(),
            path: path.as_deref(),
        };
        let mut document = Document::default();
        if let Err(e) = run.check(input, &mut document, &|| {}) {
            // Said once per version of the config's text: the run keeps the default settings
            // for that config from now on, so checking again succeeds.
            self.messages.push(Notification::new(
                "window/showMessage".to_string(),
                json!({"type": 1, "message": format!("tripline: {e}; checking with the default settings")}),
            ));
            document = Document::default();
            if let Err(e) = run.check(input, &mut document, &|| {}) {
                self.messages.push(Notification::new(
                    "window/showMessage".to_string(),
                    json!({"type": 1, "message": format!("tripline: {e}")}),
                ));
            }
        }
        let docs_url = run.project().docs_url(path.as_deref());
        let index = LineIndex::new(text);
        let mut diagnostics: Vec<Value> = document
            .findings
            .iter()
            .map(|f| {
                let mut d = diagnostic(text, &index, f, docs_url.as_deref());
                related_information(&mut d, uri, text, &index, f);
                d
            })
            .collect();
        diagnostics.extend(
            document
                .unfollowed
                .iter()
                .filter_map(|m| unfollowed_diagnostic(text, &index, m)),
        );
        self.findings
            .insert(uri.to_string(), (document.findings, docs_url));
        diagnostics
    }

    /// The findings of a document at a position (`params` of a hover request).
    fn findings_at(&self, params: &Value) -> Option<(&str, Vec<&Finding>, Option<&str>)> {
        let uri = params.get("textDocument")?.get("uri")?.as_str()?;
        let text = &self.documents.get(uri)?.0;
        let offset = byte_offset(text, params.get("position")?)?;
        let (findings, docs_url) = self.findings.get(uri)?;
        let at: Vec<&Finding> = findings
            .iter()
            .filter(|f| (f.span.start as usize) <= offset && offset <= (f.span.end as usize))
            .collect();
        Some((text, at, docs_url.as_deref()))
    }

    /// Hover on a finding: its policy's title, the message, why it matters and how to fix it.
    fn hover(&self, params: &Value) -> Value {
        let Some((text, at, docs_url)) = self.findings_at(params) else {
            return Value::Null;
        };
        if at.is_empty() {
            return Value::Null;
        }
        let index = LineIndex::new(text);
        let mut parts = Vec::new();
        for f in &at {
            let mut md = match policy::meta(f.policy) {
                Some(m) => format!(
                    "**{}** {} ({})\n\n{}\n\n{}\n\n**Fix:** {}",
                    m.id,
                    m.title,
                    f.severity,
                    f.message,
                    m.rationale,
                    m.remediation_for(f.is_terraform())
                ),
                None => format!("**{}** {}", f.policy, f.message),
            };
            if let Some(url) = docs_url {
                md.push_str(&format!(
                    "\n\n[{}]({})",
                    f.policy,
                    url.replace("{id}", f.policy)
                ));
            }
            parts.push(md);
        }
        let first = at[0];
        json!({
            "contents": {"kind": "markdown", "value": parts.join("\n\n---\n\n")},
            "range": {
                "start": utf16_position(text, &index, first.span.start as usize),
                "end": utf16_position(text, &index, first.span.end as usize),
            },
        })
    }

    /// Quick fixes for the findings in a range: the policy's fix where it has one, and a
    /// suppression: a comment in YAML and `.tf` documents, `Metadata` in CloudFormation JSON
    /// (which has no comments).
    fn code_actions(&self, params: &Value) -> Value {
        let Some(uri) = params
            .get("textDocument")
            .and_then(|d| d.get("uri"))
            .and_then(Value::as_str)
        else {
            return json!([]);
        };
        let (Some(text), Some((findings, _))) = (
            self.documents.get(uri).map(|(t, _)| t),
            self.findings.get(uri),
        ) else {
            return json!([]);
        };
        let Some(range) = params.get("range") else {
            return json!([]);
        };
        let (Some(start), Some(end)) = (
            range.get("start").and_then(|p| byte_offset(text, p)),
            range.get("end").and_then(|p| byte_offset(text, p)),
        ) else {
            return json!([]);
        };
        let index = LineIndex::new(text);
        let hcl = uri.ends_with(".tf") || uri.ends_with(".tofu");
        let json_text = crate::parse::looks_like_json(text);
        // Read once per request, for the Metadata suppressions of any of the findings.
        let parsed = json_text
            .then(|| {
                crate::parse::load(text, "template.json", &crate::parse::Limits::default()).ok()
            })
            .flatten();
        let mut actions = Vec::new();
        for f in findings {
            let (fs, fe) = (f.span.start as usize, f.span.end as usize);
            if fe < start || fs > end || f.policy.starts_with("SUPP") {
                continue;
            }
            let diagnostic = diagnostic(text, &index, f, None);
            if let Some(fix) = &f.fix {
                let edits: Vec<Value> = fix
                    .edits
                    .iter()
                    .map(|e| {
                        json!({
                            "range": {
                                "start": utf16_position(text, &index, e.span.start as usize),
                                "end": utf16_position(text, &index, e.span.end as usize),
                            },
                            "newText": e.text,
                        })
                    })
                    .collect();
                actions.push(json!({
                    "title": fix.title,
                    "kind": "quickfix",
                    "isPreferred": true,
                    "diagnostics": [diagnostic.clone()],
                    "edit": {"changes": {uri: edits}},
                }));
            }
            if let Some(parsed) = &parsed
                && let Some(edit) = metadata_edit(text, &index, &parsed.root, f)
            {
                actions.push(json!({
                    "title": format!("Suppress {} in the resource's Metadata", f.policy),
                    "kind": "quickfix",
                    "diagnostics": [diagnostic.clone()],
                    "edit": {"changes": {uri: [edit]}},
                }));
            }
            if !json_text && let Some(edit) = suppression_edit(text, &index, f, hcl) {
                let what = match &f.resource {
                    Some(r) if hcl => format!(" on `{r}`"),
                    _ => String::new(),
                };
                actions.push(json!({
                    "title": format!("Suppress {}{what} with a comment", f.policy),
                    "kind": "quickfix",
                    "diagnostics": [diagnostic],
                    "edit": {"changes": {uri: [edit]}},
                }));
            }
        }
        Value::Array(actions)
    }
}

/// The edit that inserts `# tripline:ignore ID <reason>` on its own line above the finding's line
/// (YAML: it covers the findings starting on that line, or the resource when that line is its
/// logical ID), or above the top-level block holding it (`.tf`: comments cover blocks).
fn suppression_edit(text: &str, index: &LineIndex, f: &Finding, hcl: bool) -> Option<Value> {
    let mut line = index.line_of(f.span.start as usize);
    if hcl {
        // Up to the block's header: the nearest line at or above that starts a block at
        // column 0.
        while line > 0 && !starts_block(index.line_text(text, line)) {
            line -= 1;
        }
    }
    let at = index.line_start(line);
    let current = index.line_text(text, line);
    let indent: String = current
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect();
    let position = utf16_position(text, index, at);
    Some(json!({
        "range": {"start": position, "end": position},
        // With a placeholder for the reason: `require_suppression_reason` rejects a bare one.
        "newText": format!(
            "{indent}# tripline:ignore {} {}\n",
            f.policy,
            crate::suppress::REASON_PLACEHOLDER
        ),
    }))
}

/// The edit that gives a CloudFormation JSON resource `"Metadata": {"tripline": {"ignore":
/// [ID]}}`, as its first key. A resource that has `Metadata` already is left to a person (the
/// block may need merging), as is one written on a single line.
fn metadata_edit(
    text: &str,
    index: &LineIndex,
    root: &crate::parse::Node<'_>,
    f: &Finding,
) -> Option<Value> {
    let resource = f.resource.as_deref()?;
    let body = root.get("Resources")?.get(resource)?;
    if body.get("Metadata").is_some() {
        return None;
    }
    let first = body.entries().first()?;
    let at = first.key_span.start as usize;
    let indent = crate::fix::indent_before(text, at)?;
    let position = utf16_position(text, index, at);
    Some(json!({
        "range": {"start": position, "end": position},
        "newText": format!(
            "\"Metadata\": {{\"tripline\": {{\"ignore\": [\"{}\"], \"reason\": \"<reason>\"}}}},\n{indent}",
            f.policy
        ),
    }))
}

/// Whether a `.tf` line opens a top-level block (`resource "a" "b" {`, `data ...`, `module`).
fn starts_block(line: &str) -> bool {
    line.starts_with(|c: char| c.is_ascii_alphabetic()) && line.trim_end().ends_with('{')
}

/// The byte offset of an LSP position (0-based line, UTF-16 character) in `text`; past the
/// end of a line is its end, past the last line the end of the text.
fn byte_offset(text: &str, position: &Value) -> Option<usize> {
    let line = position.get("line")?.as_u64()? as usize;
    let character = position.get("character")?.as_u64()? as usize;
    let mut start = 0;
    for _ in 0..line {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return Some(text.len()),
        }
    }
    let line_text = text[start..].split('\n').next().unwrap_or("");
    let mut units = 0;
    for (i, c) in line_text.char_indices() {
        if units >= character {
            return Some(start + i);
        }
        units += c.len_utf16();
    }
    Some(start + line_text.len())
}

/// The findings of the document itself (a run also reports the config's own findings, which
/// belong to another file).
#[derive(Default)]
struct Document {
    findings: Vec<Finding>,
    /// The document's module calls not followed (not on disk, or past a bound of composing).
    unfollowed: Vec<UnfollowedModule>,
}

impl Listener for Document {
    fn report(&mut self, report: &FileReport) {
        if report.outcome != Outcome::Config {
            self.findings.extend(report.findings.iter().cloned());
            self.unfollowed
                .extend(report.unfollowed_modules.iter().cloned());
        }
    }
}

/// A module call not followed, as an information diagnostic on its line: what the command
/// line's summary counts (its resources go unchecked) is not passed over in the editor.
fn unfollowed_diagnostic(text: &str, index: &LineIndex, m: &UnfollowedModule) -> Option<Value> {
    let line = (m.line as usize)
        .checked_sub(1)
        .filter(|l| *l < index.line_count())?;
    let start = index.line_start(line);
    let written = index.line_text(text, line);
    Some(json!({
        "range": {
            "start": utf16_position(text, index, start),
            "end": utf16_position(text, index, start + written.len()),
        },
        "severity": 3,
        "source": "tripline",
        "message": m.message(),
    }))
}

/// The diagnostics of `uri`, with the version of the text they are of when the client gave one.
fn publish(uri: &str, diagnostics: Vec<Value>, version: Option<i64>) -> Notification {
    let mut params = json!({"uri": uri, "diagnostics": diagnostics});
    if let Some(v) = version {
        params["version"] = json!(v);
    }
    Notification::new("textDocument/publishDiagnostics".to_string(), params)
}

fn diagnostic(text: &str, index: &LineIndex, f: &Finding, docs_url: Option<&str>) -> Value {
    let severity = match f.severity {
        Severity::Critical | Severity::High => 1,
        Severity::Medium => 2,
        Severity::Low => 3,
    };
    let title = policy::meta(f.policy).map_or("", |m| m.title);
    let mut diagnostic = json!({
        "range": {
            "start": utf16_position(text, index, f.span.start as usize),
            "end": utf16_position(text, index, f.span.end as usize),
        },
        "severity": severity,
        "code": f.policy,
        "source": "tripline",
        "message": format!("{} ({title})", f.message),
    });
    if let Some(url) = docs_url {
        diagnostic["codeDescription"] = json!({"href": url.replace("{id}", f.policy)});
    }
    diagnostic
}

/// A finding's related places as the diagnostic's `relatedInformation` (the role a grant lands
/// on, the trail of a bucket): those of the same document at their UTF-16 positions; those in
/// another file of its directory (a Terraform configuration's) at their line and column.
fn related_information(d: &mut Value, uri: &str, text: &str, index: &LineIndex, f: &Finding) {
    let related: Vec<Value> = f
        .related
        .iter()
        .filter_map(|r| {
            let (uri, range) = if r.path == f.path {
                if r.span.end as usize > text.len() {
                    return None;
                }
                let range = json!({
                    "start": utf16_position(text, index, r.span.start as usize),
                    "end": utf16_position(text, index, r.span.end as usize),
                });
                (uri.to_string(), range)
            } else {
                // Only a file of the same directory: the document's URI says where that is.
                let parent = |p: &str| p.rsplit_once('/').map(|(dir, _)| dir.to_string());
                if parent(&r.path) != parent(&f.path) {
                    return None;
                }
                let name = r.path.rsplit('/').next()?;
                let dir = uri.rsplit_once('/')?.0;
                let at = |p: crate::source::Position| {
                    json!({"line": p.line.saturating_sub(1), "character": p.column.saturating_sub(1)})
                };
                let range = json!({"start": at(r.start), "end": at(r.end)});
                (format!("{dir}/{}", crate::report::sarif::uri(name)), range)
            };
            Some(json!({
                "location": {"uri": uri, "range": range},
                "message": r.message,
            }))
        })
        .collect();
    if !related.is_empty() {
        d["relatedInformation"] = json!(related);
    }
}

/// An LSP position: 0-based line and UTF-16 code units from the line start.
pub(crate) fn utf16_position(text: &str, index: &LineIndex, offset: usize) -> Value {
    let offset = crate::source::floor_char_boundary(text, offset);
    let line = index.line_of(offset);
    let start = index.line_start(line);
    let character: usize = text[start..offset].chars().map(char::len_utf16).sum();
    json!({"line": line, "character": character})
}

/// The local path of a `file:` URI, percent-decoded.
pub(crate) fn file_path(uri: &str) -> Option<PathBuf> {
    let rest = uri.strip_prefix("file://")?;
    // `file:///path` on Unix; `file:///C:/path` on Windows.
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    let path = String::from_utf8(crate::source::percent_decode(rest)).ok()?;
    let path = if cfg!(windows) {
        path.trim_start_matches('/').to_string()
    } else {
        path
    };
    Some(PathBuf::from(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_and_utf16_positions() {
        assert_eq!(
            file_path("file:///tmp/my%20stack/t.yaml"),
            Some(PathBuf::from("/tmp/my stack/t.yaml"))
        );
        assert_eq!(file_path("untitled:Untitled-1"), None);
        let text = "a: 😀x\nb: 1\n";
        let index = LineIndex::new(text);
        // 'x' follows an emoji: two UTF-16 units.
        let x = text.find('x').unwrap();
        assert_eq!(
            utf16_position(text, &index, x),
            json!({"line": 0, "character": 5})
        );
        assert_eq!(
            utf16_position(text, &index, text.find('b').unwrap()),
            json!({"line": 1, "character": 0})
        );
    }
}
