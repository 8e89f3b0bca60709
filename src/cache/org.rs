//! The organization roles of coverage evidence ([`Role`]), in the result cache's encoding.

use super::codec::{Reader, Sink, Writer};
use crate::policy::coverage::protected_actions;
use crate::policy::organization::{Control, Deployment, Guard, NodeKind, Reach, Role, Target};

const KINDS: [NodeKind; 3] = [NodeKind::Root, NodeKind::Unit, NodeKind::Account];

pub(super) fn encode<S: Sink>(w: &mut Writer<S>, role: Option<&Role>) {
    let Some(role) = role else {
        w.u8(0);
        return;
    };
    match role {
        Role::Node { kind, name, parent } => {
            w.u8(1);
            w.u8(KINDS.iter().position(|k| k == kind).unwrap_or(0) as u8);
            w.str(name);
            w.u8(u8::from(parent.is_some()));
            if let Some(p) = parent {
                target(w, p);
            }
        }
        Role::Policy(reach) => {
            w.u8(2);
            w.u8(u8::from(reach.control == Control::Resource));
            targets(w, &reach.targets);
            w.u8(u8::from(reach.unknown_targets));
            strs(w, &reach.allows);
            w.u8(u8::from(reach.allow_list));
            w.u8(u8::from(reach.full_access));
        }
        Role::Guardrail(guard) => {
            w.u8(3);
            strs(w, &guard.covers);
            w.u8(u8::from(guard.holds));
            w.usize(guard.exempt.len());
            for e in &guard.exempt {
                w.str(e);
            }
        }
        Role::Deployed(d) => {
            w.u8(4);
            targets(w, &d.units);
            targets(w, &d.accounts);
            w.str(&d.filter);
            w.u8(u8::from(d.unknown));
        }
        Role::Everywhere => w.u8(5),
    }
}

pub(super) fn decode(r: &mut Reader<'_>) -> Option<Option<Box<Role>>> {
    let role = match r.u8()? {
        0 => return Some(None),
        1 => {
            let kind = *KINDS.get(usize::from(r.u8()?))?;
            let name = r.str()?.to_string();
            let parent = match r.u8()? {
                0 => None,
                _ => Some(read_target(r)?),
            };
            Role::Node { kind, name, parent }
        }
        2 => Role::Policy(Reach {
            control: if r.u8()? == 1 {
                Control::Resource
            } else {
                Control::Service
            },
            targets: read_targets(r)?,
            unknown_targets: r.u8()? == 1,
            allows: read_strs(r)?,
            allow_list: r.u8()? == 1,
            full_access: r.u8()? == 1,
        }),
        3 => {
            let covers = read_strs(r)?;
            let holds = r.u8()? == 1;
            let mut exempt = Vec::new();
            for _ in 0..r.usize()? {
                exempt.push(r.str()?.to_string());
            }
            Role::Guardrail(Guard {
                covers,
                holds,
                exempt,
            })
        }
        4 => Role::Deployed(Deployment {
            units: read_targets(r)?,
            accounts: read_targets(r)?,
            filter: r.str()?.to_string(),
            unknown: r.u8()? == 1,
        }),
        5 => Role::Everywhere,
        _ => return None,
    };
    Some(Some(Box::new(role)))
}

fn target<S: Sink>(w: &mut Writer<S>, t: &Target) {
    match t {
        Target::Resource(id) => {
            w.u8(0);
            w.str(id);
        }
        Target::Literal(id) => {
            w.u8(1);
            w.str(id);
        }
        Target::Root => {
            w.u8(2);
            w.str("");
        }
    }
}

fn targets<S: Sink>(w: &mut Writer<S>, ts: &[Target]) {
    w.usize(ts.len());
    for t in ts {
        target(w, t);
    }
}

fn strs<S: Sink>(w: &mut Writer<S>, v: &[&str]) {
    w.usize(v.len());
    for s in v {
        w.str(s);
    }
}

fn read_target(r: &mut Reader<'_>) -> Option<Target> {
    let tag = r.u8()?;
    let id = r.str()?.to_string();
    match tag {
        0 => Some(Target::Resource(id)),
        1 => Some(Target::Literal(id)),
        2 => Some(Target::Root),
        _ => None,
    }
}

fn read_targets(r: &mut Reader<'_>) -> Option<Vec<Target>> {
    (0..r.usize()?).map(|_| read_target(r)).collect()
}

/// Actions by name, as this build knows them (one it does not know makes a miss).
fn read_strs(r: &mut Reader<'_>) -> Option<Vec<&'static str>> {
    let known = protected_actions();
    (0..r.usize()?)
        .map(|_| {
            let s = r.str()?;
            known.iter().find(|k| **k == s).copied()
        })
        .collect()
}
