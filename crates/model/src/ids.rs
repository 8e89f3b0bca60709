//! Which resource a logical ID or address names, found in constant time.

use std::collections::HashMap;
use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable};

use crate::Resource;

/// Resources by ID. The table holds only indexes and reads the IDs from the resources: a map
/// keyed by the IDs themselves took 33 bytes a resource at twice the load (17 MiB for the
/// 280,000 resources of a 51 MB template; this takes 2.5 MiB).
#[derive(Debug, Default)]
pub(crate) struct Ids {
    table: HashTable<u32>,
    hasher: DefaultHashBuilder,
    /// Names that are not a resource's own ID, first one wins: a Terraform resource's address
    /// without its instance key (`aws_iam_role.r` for `aws_iam_role.r["a"]`).
    more: HashMap<String, usize>,
}

impl Ids {
    /// The IDs of `resources`; of two resources with one ID, the later is found (as a map
    /// built in order keeps the last value).
    pub(crate) fn of(resources: &[Resource<'_>]) -> Ids {
        let mut ids = Ids {
            table: HashTable::with_capacity(resources.len()),
            ..Ids::default()
        };
        let Ids { table, hasher, .. } = &mut ids;
        let id_of = |i: &u32| &*resources[*i as usize].id;
        for (i, r) in resources.iter().enumerate() {
            let hash = hasher.hash_one(&*r.id);
            match table.find_mut(hash, |j| id_of(j) == r.id) {
                Some(found) => *found = i as u32,
                None => {
                    table.insert_unique(hash, i as u32, |j| hasher.hash_one(id_of(j)));
                }
            }
        }
        ids
    }

    /// Let `name` also find resource `i`, unless a resource has that ID or another resource
    /// was given the name first.
    pub(crate) fn add_name(&mut self, name: &str, i: usize) {
        if !self.more.contains_key(name) {
            self.more.insert(name.to_string(), i);
        }
    }

    /// The index of the resource `id` names among `resources` (those the table was made of).
    pub(crate) fn get(&self, resources: &[Resource<'_>], id: &str) -> Option<usize> {
        let hash = self.hasher.hash_one(id);
        self.table
            .find(hash, |j| resources[*j as usize].id == id)
            .map(|j| *j as usize)
            .or_else(|| self.more.get(id).copied())
    }
}
