//! The category tree, loaded whole: publications have tens of categories, not thousands,
//! and breadcrumbs, children and "with descendants" filters all need the whole shape.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, EntityTrait};

use super::Result;
use crate::entities::category;

#[derive(Debug, Clone, Default)]
pub struct CategoryTree {
    /// Depth-first, siblings by (position, name).
    ordered: Vec<category::Model>,
    index: HashMap<i32, usize>,
    children: HashMap<Option<i32>, Vec<i32>>,
}

impl CategoryTree {
    pub async fn load(db: &impl ConnectionTrait) -> Result<CategoryTree> {
        Ok(Self::from_rows(category::Entity::find().all(db).await?))
    }

    pub fn from_rows(rows: Vec<category::Model>) -> CategoryTree {
        let mut children: HashMap<Option<i32>, Vec<category::Model>> = HashMap::new();
        for row in rows {
            children.entry(row.parent_id).or_default().push(row);
        }
        for list in children.values_mut() {
            list.sort_by(|a, b| (a.position, &a.name, a.id).cmp(&(b.position, &b.name, b.id)));
        }
        let child_ids: HashMap<Option<i32>, Vec<i32>> =
            children.iter().map(|(k, v)| (*k, v.iter().map(|c| c.id).collect())).collect();
        let mut ordered = Vec::new();
        // Iterative depth-first walk from the roots; a row whose parent is missing would be
        // unreachable, so the database's foreign key is what keeps every row in the tree.
        let mut stack: Vec<category::Model> = children.remove(&None).unwrap_or_default().into_iter().rev().collect();
        while let Some(node) = stack.pop() {
            if let Some(kids) = children.remove(&Some(node.id)) {
                stack.extend(kids.into_iter().rev());
            }
            ordered.push(node);
        }
        let index = ordered.iter().enumerate().map(|(i, c)| (c.id, i)).collect();
        CategoryTree { ordered, index, children: child_ids }
    }

    /// Every category, parents before children, siblings by position then name.
    pub fn ordered(&self) -> &[category::Model] {
        &self.ordered
    }

    pub fn get(&self, id: i32) -> Option<&category::Model> {
        self.index.get(&id).map(|i| &self.ordered[*i])
    }

    pub fn by_slug(&self, slug: &str) -> Option<&category::Model> {
        self.ordered.iter().find(|c| c.slug == slug)
    }

    /// The category a key names: by id (a path of digits) or by slug.
    pub fn by_key(&self, key: super::lookup::GroupKey<'_>) -> Option<&category::Model> {
        match key.named() {
            super::lookup::Named::Id(id) => self.get(id),
            super::lookup::Named::Slug(slug) => self.by_slug(slug),
            super::lookup::Named::Nothing => None,
        }
    }

    /// The tree without the categories for which `used` holds for neither them nor anything
    /// below them. What is kept stays a tree: a kept category's parent is kept too.
    pub fn pruned(&self, used: impl Fn(i32) -> bool) -> CategoryTree {
        let mut keep: std::collections::HashSet<i32> = std::collections::HashSet::new();
        // Children come after their parents in `ordered`: walking backwards sees them first.
        for c in self.ordered.iter().rev() {
            let below = self.children.get(&Some(c.id)).is_some_and(|kids| kids.iter().any(|k| keep.contains(k)));
            if below || used(c.id) {
                keep.insert(c.id);
            }
        }
        CategoryTree::from_rows(self.ordered.iter().filter(|c| keep.contains(&c.id)).cloned().collect())
    }

    pub fn children(&self, id: Option<i32>) -> Vec<&category::Model> {
        self.children.get(&id).map(|ids| ids.iter().filter_map(|i| self.get(*i)).collect()).unwrap_or_default()
    }

    /// Root first, the category's parent last (for breadcrumbs).
    pub fn ancestors(&self, id: i32) -> Vec<&category::Model> {
        let mut out = Vec::new();
        let mut current = self.get(id).and_then(|c| c.parent_id);
        while let Some(pid) = current {
            match self.get(pid) {
                Some(p) if out.len() < self.ordered.len() => {
                    out.push(p);
                    current = p.parent_id;
                }
                _ => break,
            }
        }
        out.reverse();
        out
    }

    /// The category and everything below it.
    pub fn with_descendants(&self, id: i32) -> Vec<i32> {
        let mut out = vec![id];
        let mut i = 0;
        while i < out.len() {
            if let Some(kids) = self.children.get(&Some(out[i])) {
                out.extend(kids.iter().copied());
            }
            i += 1;
        }
        out
    }

    pub fn depth(&self, id: i32) -> usize {
        self.ancestors(id).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cat(id: i32, name: &str, parent: Option<i32>, position: i32) -> category::Model {
        let now = chrono::Utc::now();
        category::Model {
            id,
            slug: name.to_lowercase(),
            name: name.into(),
            description: None,
            parent_id: parent,
            position,
            created_at: now,
            updated_at: now,
        }
    }

    fn sample() -> CategoryTree {
        CategoryTree::from_rows(vec![
            cat(1, "Ops", None, 1),
            cat(2, "Eng", None, 0),
            cat(3, "Backend", Some(2), 1),
            cat(4, "Databases", Some(2), 0),
            cat(5, "Postgres", Some(4), 0),
            cat(6, "Alerts", Some(1), 0),
        ])
    }

    #[test]
    fn tree_order_breadcrumbs_and_descendants() {
        let tree = sample();
        let names: Vec<&str> = tree.ordered().iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["Eng", "Databases", "Postgres", "Backend", "Ops", "Alerts"]);
        let crumbs: Vec<i32> = tree.ancestors(5).iter().map(|c| c.id).collect();
        assert_eq!(crumbs, [2, 4]);
        let mut below = tree.with_descendants(2);
        below.sort();
        assert_eq!(below, [2, 3, 4, 5]);
        assert_eq!(tree.depth(5), 2);
        assert_eq!(tree.children(None).len(), 2);
        assert_eq!(tree.by_slug("postgres").map(|c| c.id), Some(5));
    }

    #[test]
    fn pruning_keeps_what_is_used_and_everything_above_it() {
        let tree = sample();
        let kept = tree.pruned(|id| id == 5 || id == 1);
        let names: Vec<&str> = kept.ordered().iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["Eng", "Databases", "Postgres", "Ops"]);
        assert_eq!(kept.children(Some(2)).len(), 1);
        assert!(tree.pruned(|_| false).ordered().is_empty());
    }
}
