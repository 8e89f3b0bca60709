//! A configuration composed with the modules it calls, at any depth, as Terraform builds one
//! graph of them: each module instance's resources join the configuration under their
//! address (`module.audit.module.bucket.aws_s3_bucket.this`), so that a trail in one module and
//! its bucket in another link as they would in one file.
//!
//! Each instance's expressions are rewritten into the configuration's own terms:
//! - `var.x` becomes the call's argument (the node the caller wrote, so that a finding on it
//!   lands where the value is written), else the variable's default, else unknown;
//! - `local.x` becomes the local's value, itself rewritten;
//! - `module.c.out` becomes the child instance's output value;
//! - a reference to one of the module's own resources (`aws_s3_bucket.this`) gains the
//!   instance's address (`module.audit.aws_s3_bucket.this`).
//!
//! The module's text is appended to the configuration's, once per instance, so every span of
//! an instance points into its own copy: the caller tells an instance's findings apart by
//! where they are. The files are read by the caller ([`ModuleLoader`]): this layer does no I/O.

mod rewrite;

use hashbrown::HashMap;
use std::path::{Path, PathBuf};

use crate::parse::{Entry, Node, ThinVec, Value};
use crate::source::Span;
use crate::terraform::objects;

use rewrite::Rewriter;

use crate::terraform::{MODULES_KEY, PREFIX_KEY};

/// Deepest chain of module calls followed (real configurations stay within four or five).
const MAX_DEPTH: usize = 8;
/// Most instances composed into one configuration: 2,048 instances of a module of 16
/// resources check in 0.45 s and 140 MB (a module of more text meets `MAX_COMPOSED_TEXT`
/// first).
const MAX_INSTANCES: usize = 2048;
/// Most text a configuration grows to with its instances' modules (each instance appends its
/// module's text): a module called twice by a module called twice... stops here.
const MAX_COMPOSED_TEXT: usize = 64 * 1024 * 1024;

/// Meta-arguments of a `module` block: Terraform's, not the module's variables.
pub(crate) use crate::terraform_dir::MODULE_META_ARGUMENTS as META_ARGUMENTS;

/// A module's configuration as the caller's loader reads it.
pub struct LoadedModule {
    /// Its files combined into one tree, spans into `text`.
    pub root: Node<'static>,
    /// Its files' text, one after the other.
    pub text: String,
    /// Its directory.
    pub dir: PathBuf,
    /// Its files and where each starts in `text`, in order (the first at 0).
    pub files: Vec<(PathBuf, u32)>,
    /// Whether `terraform init` installed it (third-party code), rather than it being a
    /// directory of the repository.
    pub installed: bool,
}

/// Reads the modules that calls name.
pub trait ModuleLoader {
    /// The module a call with `source` in the configuration in `dir` uses; `key` is the
    /// call's module key from the root (`a.b`), which `terraform init` records installed
    /// modules by. `None`: not on disk (a registry module never installed).
    fn load(&self, dir: &Path, key: &str, source: &str) -> Option<LoadedModule>;
}

/// One module instance of a composed configuration.
#[derive(Clone, Debug)]
pub struct ModuleInstance {
    /// The calls from the root to it (`["audit", "bucket"]`).
    pub path: Vec<String>,
    /// The name of the root's call it descends from, in the root's text: where what it
    /// reports lands when the value that causes it is not written in the root.
    pub label: Span,
    /// Where its module's text is in the composed text.
    pub range: (u32, u32),
    /// Its module's directory.
    pub dir: PathBuf,
    /// The directory of the module the root's call uses.
    pub top_dir: PathBuf,
    /// Whether the module the root's call uses was installed by `terraform init`.
    pub top_installed: bool,
    /// Its module's files and where each starts in the composed text, in order.
    pub files: Vec<(PathBuf, u32)>,
}

impl ModuleInstance {
    /// Its address prefix: `module.audit.module.bucket.`.
    pub fn prefix(&self) -> String {
        self.path.iter().map(|p| format!("module.{p}.")).collect()
    }
}

/// Why a module call was not composed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotComposed {
    /// Its module could not be read: not on disk (a registry module `terraform init` did not
    /// install, a local path that is not there), or a directory that is not one configuration.
    /// The root's own calls to registry modules are the caller's to say: it knows what is
    /// installed, and says so whether or not the file is composed.
    Missing,
    /// The call is more than [`MAX_DEPTH`] calls deep.
    Depth,
    /// The configuration already holds [`MAX_INSTANCES`] instances.
    Instances,
    /// Its module's text would take the configuration past [`MAX_COMPOSED_TEXT`].
    Text,
    /// Its module is among the modules calling it (Terraform refuses such a configuration).
    Cycle,
}

impl NotComposed {
    /// Whether one of composition's bounds stopped the call (its module is there).
    pub fn is_bound(self) -> bool {
        self != NotComposed::Missing
    }

    /// Why, for a note: "it is more than 8 module calls deep".
    pub fn describe(self) -> String {
        match self {
            NotComposed::Missing => {
                "its module is not on disk, or its directory is not one configuration tripline \
                 reads"
                    .to_string()
            }
            NotComposed::Depth => format!("it is more than {MAX_DEPTH} module calls deep"),
            NotComposed::Instances => {
                format!("the configuration already composes {MAX_INSTANCES} module instances")
            }
            NotComposed::Text => format!(
                "its module would take the composed configuration past {} MiB of text",
                MAX_COMPOSED_TEXT >> 20
            ),
            NotComposed::Cycle => "its module is among the modules that call it".to_string(),
        }
    }
}

/// A module call that was not composed, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stopped {
    /// The calls from the root to it (`["audit", "bucket"]`).
    pub path: Vec<String>,
    /// Its `source`.
    pub source: String,
    /// The name of the root's call it descends from, in the root's text.
    pub label: Span,
    /// Why.
    pub why: NotComposed,
}

/// A configuration's module instances, and the calls that were not composed.
#[derive(Clone, Debug, Default)]
pub struct Composition {
    /// The instances, in the order their calls are written.
    pub instances: Vec<ModuleInstance>,
    /// The calls not composed (a bound, or a module not there): their resources are not in
    /// the configuration.
    pub stopped: Vec<Stopped>,
}

/// Compose the configuration `root` (its text `text`, in directory `dir`) with the modules
/// it calls, at any depth: `root` gains the instances' resources, `text` their modules'
/// text. Calls it cannot compose are left out and listed, but for the root's calls to registry
/// modules that are not installed (the caller says those, since it knows what is installed).
pub fn compose<'a>(
    root: &mut Node<'a>,
    text: &mut String,
    dir: &Path,
    loader: &dyn ModuleLoader,
) -> Composition {
    let calls = in_dependency_order(module_calls(root));
    if calls.is_empty() {
        return Composition::default();
    }
    let mut composer = Composer {
        loader,
        text,
        instances: Vec::new(),
        stopped: Vec::new(),
        trees: ThinVec::new(),
    };
    let mut outputs: HashMap<String, Node<'a>> = HashMap::new();
    for (name, label, mut body) in calls {
        rewrite::module_outputs(&mut body, &outputs);
        let call = Call {
            body: &body,
            caller_dir: dir,
            key: name.clone(),
            path: vec![name.clone()],
            top: None,
            label,
            chain: vec![dir.to_path_buf()],
        };
        if let Some(out) = composer.instance(call) {
            outputs.insert(name, out);
        }
    }
    let Composer {
        instances,
        stopped,
        trees,
        ..
    } = composer;
    // The root's own references to its calls' outputs.
    if let Value::Map(entries) = &mut root.value {
        for e in entries
            .make_mut()
            .iter_mut()
            .filter(|e| matches!(e.key.as_ref(), "resource" | "output" | "locals"))
        {
            rewrite::module_outputs(&mut e.value, &outputs);
        }
        if !trees.is_empty() {
            entries.make_mut().push(Entry {
                key: MODULES_KEY.into(),
                key_span: Span::empty(0),
                value: Node::new(Span::empty(0), Value::Seq(trees.into())),
            });
        }
    }
    crate::terraform_values::fold_modules(root);
    Composition { instances, stopped }
}

/// The `module` blocks of a configuration: name, the name's span, body.
fn module_calls<'a>(root: &Node<'a>) -> Vec<(String, Span, Node<'a>)> {
    let mut out = Vec::new();
    for group in root.get("module").map(objects).unwrap_or_default() {
        for e in group.entries() {
            for body in objects(&e.value) {
                if body.get("source").and_then(Node::as_str).is_some() {
                    out.push((e.key.to_string(), e.key_span, body.clone()));
                }
            }
        }
    }
    out
}

/// Calls ordered so that a call that uses another's outputs (`vpc_id = module.vpc.vpc_id`)
/// comes after it, as Terraform's graph orders them; otherwise (and in a cycle) as written.
fn in_dependency_order<'a>(calls: Vec<(String, Span, Node<'a>)>) -> Vec<(String, Span, Node<'a>)> {
    let names: Vec<String> = calls.iter().map(|(n, _, _)| n.clone()).collect();
    let needs: Vec<Vec<String>> = calls
        .iter()
        .map(|(own, _, body)| {
            let mut used = Vec::new();
            modules_used(body, &mut used, 0);
            used.retain(|u| u != own && names.contains(u));
            used
        })
        .collect();
    let mut pending: Vec<(Vec<String>, (String, Span, Node<'a>))> =
        needs.into_iter().zip(calls).collect();
    let mut done: Vec<String> = Vec::new();
    let mut out = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        let ready = pending
            .iter()
            .position(|(needs, _)| needs.iter().all(|n| done.contains(n)))
            .unwrap_or(0);
        let (_, call) = pending.remove(ready);
        done.push(call.0.clone());
        out.push(call);
    }
    out
}

/// The names of the module calls whose outputs `node` uses (`module.NAME.…`).
fn modules_used(node: &Node<'_>, out: &mut Vec<String>, depth: usize) {
    match &node.value {
        Value::String(s) if s.contains("module.") => {
            rewrite::rewrite_traversals(s, &mut |t| {
                if let Some(name) = t.strip_prefix("module.").and_then(|r| r.split('.').next()) {
                    out.push(name.to_string());
                }
                None
            });
        }
        Value::Seq(items) if depth < 64 => {
            items.iter().for_each(|i| modules_used(i, out, depth + 1))
        }
        Value::Map(entries) if depth < 64 => entries
            .iter()
            .for_each(|e| modules_used(&e.value, out, depth + 1)),
        _ => {}
    }
}

/// A call being followed.
struct Call<'c, 'a> {
    /// The call's body, in the configuration's terms.
    body: &'c Node<'a>,
    caller_dir: &'c Path,
    /// Its module key (`a.b`).
    key: String,
    path: Vec<String>,
    /// The module of the root's call: directory, installed.
    top: Option<(PathBuf, bool)>,
    label: Span,
    /// The directories of the modules calling it, to stop at a module that calls itself.
    chain: Vec<PathBuf>,
}

struct Composer<'l, 't, 'a> {
    loader: &'l dyn ModuleLoader,
    text: &'t mut String,
    instances: Vec<ModuleInstance>,
    stopped: Vec<Stopped>,
    /// Each instance's resources, with its prefix.
    trees: ThinVec<Node<'a>>,
}

impl<'a> Composer<'_, '_, 'a> {
    /// Follow one call: its instance's outputs, by name, or `None` when it cannot be followed.
    fn instance(&mut self, call: Call<'_, 'a>) -> Option<Node<'a>> {
        let source = call.body.get("source").and_then(Node::as_str)?;
        if call.path.len() > MAX_DEPTH {
            return self.stop(&call, source, NotComposed::Depth);
        }
        if self.instances.len() >= MAX_INSTANCES {
            return self.stop(&call, source, NotComposed::Instances);
        }
        let Some(module) = self.loader.load(call.caller_dir, &call.key, source) else {
            // The root's calls to registry modules not installed are said by the caller.
            if call.path.len() > 1 || crate::terraform_dir::is_local_source(source) {
                return self.stop(&call, source, NotComposed::Missing);
            }
            return None;
        };
        if call.chain.contains(&module.dir) {
            return self.stop(&call, source, NotComposed::Cycle);
        }
        if self.text.len() + module.text.len() > MAX_COMPOSED_TEXT {
            return self.stop(&call, source, NotComposed::Text);
        }
        let base = self.text.len() as u32 + 1;
        self.text.push('\n');
        self.text.push_str(&module.text);
        let mut tree: Node<'a> = module.root;
        tree.shift(base);
        crate::inline_policy_documents(&mut tree);
        let prefix: String = call.path.iter().map(|p| format!("module.{p}.")).collect();
        let rewriter = Rewriter::new(&tree, call.body, &prefix);
        let mut tree = rewriter.apply_to(tree);
        let top = call
            .top
            .clone()
            .unwrap_or((module.dir.clone(), module.installed));
        let children = self.children(&call, &tree, &module.dir, &top);
        rewrite::module_outputs(&mut tree, &children);
        self.instances.push(ModuleInstance {
            path: call.path.clone(),
            label: call.label,
            range: (base, base + module.text.len() as u32),
            dir: module.dir,
            top_dir: top.0,
            top_installed: top.1,
            files: module
                .files
                .into_iter()
                .map(|(path, at)| (path, base + at))
                .collect(),
        });
        let outputs = outputs_of(&tree);
        let mut entries = thin_vec::thin_vec![Entry {
            key: PREFIX_KEY.into(),
            key_span: Span::empty(base as usize),
            value: Node::new(Span::empty(base as usize), Value::String(prefix.into())),
        }];
        if let Value::Map(all) = tree.value {
            entries.extend(all.into_iter().filter(|e| e.key == "resource"));
        }
        self.trees.push(Node::new(
            Span::empty(base as usize),
            Value::Map(entries.into()),
        ));
        Some(outputs)
    }

    /// A call not followed because of `why`: listed, so that it is not left out in silence.
    fn stop(&mut self, call: &Call<'_, 'a>, source: &str, why: NotComposed) -> Option<Node<'a>> {
        self.stopped.push(Stopped {
            path: call.path.clone(),
            source: source.to_string(),
            label: call.label,
            why,
        });
        None
    }

    /// Follow the module calls of an instance (`tree`, of the module in `dir`): their outputs
    /// by call name.
    fn children(
        &mut self,
        call: &Call<'_, 'a>,
        tree: &Node<'a>,
        dir: &Path,
        top: &(PathBuf, bool),
    ) -> HashMap<String, Node<'a>> {
        let mut outputs: HashMap<String, Node<'a>> = HashMap::new();
        for (name, _, mut body) in in_dependency_order(module_calls(tree)) {
            rewrite::module_outputs(&mut body, &outputs);
            let mut path = call.path.clone();
            path.push(name.clone());
            let mut chain = call.chain.clone();
            chain.push(dir.to_path_buf());
            let child = Call {
                body: &body,
                caller_dir: dir,
                key: format!("{}.{name}", call.key),
                path,
                top: Some(top.clone()),
                label: call.label,
                chain,
            };
            if let Some(out) = self.instance(child) {
                outputs.insert(name, out);
            }
        }
        outputs
    }
}

/// An instance's outputs: `{name = value}`.
fn outputs_of<'a>(tree: &Node<'a>) -> Node<'a> {
    let mut entries = ThinVec::new();
    for block in tree.get("output").map(objects).unwrap_or_default() {
        for e in block.entries() {
            if let Some(value) = objects(&e.value).first().and_then(|b| b.get("value")) {
                entries.push(Entry {
                    key: e.key.clone(),
                    key_span: e.key_span,
                    value: value.clone(),
                });
            }
        }
    }
    Node::new(tree.span, Value::Map(entries.into()))
}

#[cfg(test)]
mod tests;
