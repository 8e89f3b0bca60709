//! A safe event iterator over `unsafe-libyaml`, the Rust translation of libyaml that serde_yaml
//! is built on. This module and the tree's packed strings and lists (`text.rs`, `list.rs`,
//! `packed.rs`) are the crate's `unsafe` code.
//!
//! Why libyaml rather than a pure-Rust YAML 1.2 parser: templates are written against what
//! CloudFormation, PyYAML (cfn-lint) and serde_yaml (cfn-guard) accept, and those are all
//! libyaml-compatible. The stricter parsers reject real, deployable templates (flow collections
//! and multi-line quoted strings indented less than the spec asks), which would be false
//! positives of the worst kind: a "syntax error" in a template that deploys.

use std::ffi::CStr;
use std::marker::PhantomData;
use std::mem::MaybeUninit;

use unsafe_libyaml as unsafe_sys;

/// One parse event; borrowed strings live until the next call to [`EventParser::next`].
pub(super) enum RawEvent<'e> {
    StreamStart,
    StreamEnd,
    DocumentStart,
    DocumentEnd,
    Alias {
        anchor: &'e str,
    },
    Scalar {
        anchor: Option<&'e str>,
        tag: Option<&'e str>,
        value: &'e str,
        style: ScalarStyle,
    },
    SequenceStart {
        anchor: Option<&'e str>,
        tag: Option<&'e str>,
    },
    SequenceEnd,
    MappingStart {
        anchor: Option<&'e str>,
        tag: Option<&'e str>,
    },
    MappingEnd,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ScalarStyle {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Block,
}

/// A libyaml error: its message and the byte offset it points at.
pub(super) struct YamlError {
    pub message: String,
    pub offset: usize,
}

pub(super) struct EventParser<'t> {
    // Boxed so that the structures never move while libyaml holds pointers into them.
    parser: Box<MaybeUninit<unsafe_sys::yaml_parser_t>>,
    event: Box<MaybeUninit<unsafe_sys::yaml_event_t>>,
    has_event: bool,
    finished: bool,
    input: PhantomData<&'t str>,
}

impl<'t> EventParser<'t> {
    pub(super) fn new(text: &'t str) -> EventParser<'t> {
        let mut parser = Box::new(MaybeUninit::<unsafe_sys::yaml_parser_t>::uninit());
        // SAFETY: initialize fills the whole structure (it memsets it first); it fails only when
        // allocation fails, which aborts in Rust anyway. The input pointer stays valid for 't,
        // which outlives the parser (PhantomData ties them).
        unsafe {
            let p = parser.as_mut_ptr();
            if unsafe_sys::yaml_parser_initialize(p).fail {
                panic!("libyaml could not allocate a parser");
            }
            unsafe_sys::yaml_parser_set_input_string(p, text.as_ptr(), text.len() as u64);
        }
        EventParser {
            parser,
            event: Box::new(MaybeUninit::uninit()),
            has_event: false,
            finished: false,
            input: PhantomData,
        }
    }

    /// The next event with its start and end byte offsets, or `None` after the stream end.
    pub(super) fn next(&mut self) -> Option<Result<(RawEvent<'_>, usize, usize), YamlError>> {
        if self.finished {
            return None;
        }
        // SAFETY: the previous event (if any) was produced by yaml_parser_parse and not yet
        // deleted; the parser was initialized in `new`. Events are only read between a
        // successful parse and the next call, while `self` is borrowed.
        unsafe {
            if self.has_event {
                unsafe_sys::yaml_event_delete(self.event.as_mut_ptr());
                self.has_event = false;
            }
            let parser = self.parser.as_mut_ptr();
            let event = self.event.as_mut_ptr();
            if unsafe_sys::yaml_parser_parse(parser, event).fail {
                self.finished = true;
                return Some(Err(error_of(&*parser)));
            }
            self.has_event = true;
            let ev = &*event;
            let start = ev.start_mark.index as usize;
            let end = ev.end_mark.index as usize;
            let raw = match ev.type_ {
                unsafe_sys::YAML_STREAM_START_EVENT => RawEvent::StreamStart,
                unsafe_sys::YAML_STREAM_END_EVENT => {
                    self.finished = true;
                    RawEvent::StreamEnd
                }
                unsafe_sys::YAML_DOCUMENT_START_EVENT => RawEvent::DocumentStart,
                unsafe_sys::YAML_DOCUMENT_END_EVENT => RawEvent::DocumentEnd,
                unsafe_sys::YAML_ALIAS_EVENT => RawEvent::Alias {
                    anchor: c_str(ev.data.alias.anchor).unwrap_or(""),
                },
                unsafe_sys::YAML_SCALAR_EVENT => {
                    let s = ev.data.scalar;
                    let bytes = std::slice::from_raw_parts(s.value, s.length as usize);
                    let Ok(value) = std::str::from_utf8(bytes) else {
                        self.finished = true;
                        return Some(Err(YamlError {
                            message: "scalar is not valid UTF-8".into(),
                            offset: start,
                        }));
                    };
                    RawEvent::Scalar {
                        anchor: c_str(s.anchor),
                        tag: c_str(s.tag),
                        value,
                        style: match s.style {
                            unsafe_sys::YAML_SINGLE_QUOTED_SCALAR_STYLE => {
                                ScalarStyle::SingleQuoted
                            }
                            unsafe_sys::YAML_DOUBLE_QUOTED_SCALAR_STYLE => {
                                ScalarStyle::DoubleQuoted
                            }
                            unsafe_sys::YAML_LITERAL_SCALAR_STYLE
                            | unsafe_sys::YAML_FOLDED_SCALAR_STYLE => ScalarStyle::Block,
                            _ => ScalarStyle::Plain,
                        },
                    }
                }
                unsafe_sys::YAML_SEQUENCE_START_EVENT => RawEvent::SequenceStart {
                    anchor: c_str(ev.data.sequence_start.anchor),
                    tag: c_str(ev.data.sequence_start.tag),
                },
                unsafe_sys::YAML_SEQUENCE_END_EVENT => RawEvent::SequenceEnd,
                unsafe_sys::YAML_MAPPING_START_EVENT => RawEvent::MappingStart {
                    anchor: c_str(ev.data.mapping_start.anchor),
                    tag: c_str(ev.data.mapping_start.tag),
                },
                unsafe_sys::YAML_MAPPING_END_EVENT => RawEvent::MappingEnd,
                _ => RawEvent::StreamEnd,
            };
            Some(Ok((raw, start, end)))
        }
    }
}

impl Drop for EventParser<'_> {
    fn drop(&mut self) {
        // SAFETY: the parser was initialized in `new`; a pending event was produced by it.
        unsafe {
            if self.has_event {
                unsafe_sys::yaml_event_delete(self.event.as_mut_ptr());
            }
            unsafe_sys::yaml_parser_delete(self.parser.as_mut_ptr());
        }
    }
}

/// A NUL-terminated libyaml string, or `None` for a null pointer (or one that is not UTF-8).
///
/// SAFETY: `ptr` is null or points to a NUL-terminated string owned by the current event.
unsafe fn c_str<'e>(ptr: *const u8) -> Option<&'e str> {
    if ptr.is_null() {
        return None;
    }
    unsafe { CStr::from_ptr(ptr.cast()) }.to_str().ok()
}

fn error_of(parser: &unsafe_sys::yaml_parser_t) -> YamlError {
    // `yaml_parser_t` derefs to its public error prefix.
    let problem = unsafe { c_str(parser.problem.cast()) }.unwrap_or("syntax error");
    let context = unsafe { c_str(parser.context.cast()) };
    // The context ("while parsing a flow sequence") names where the unfinished construct began,
    // which is usually where the mistake is.
    let message = match context {
        Some(c) => format!(
            "{c} (which starts at line {}, column {}), {problem}",
            parser.context_mark.line + 1,
            parser.context_mark.column + 1
        ),
        None => problem.to_string(),
    };
    // Reader errors (a control character, invalid UTF-8) carry a byte offset of their own;
    // their problem mark is never set, so it would point at the start of the file.
    let offset = if parser.error == unsafe_sys::YAML_READER_ERROR {
        parser.problem_offset as usize
    } else {
        parser.problem_mark.index as usize
    };
    YamlError { message, offset }
}
