//! The layout of rendered entries: formulas longer than the budget get `where` definitions for
//! their shared subexpressions (`u = x² + y²`), named in the order they are defined; what is still
//! too long is summarised by its number of operations.

use std::collections::{BTreeMap, BTreeSet};

use super::algebra::Formula;
use super::print::{subscript, Precedence, Printer};
use super::render::Renderer;
use super::{Entry, Formulas, Names, Why};
use crate::ir::{Graph, NodeId};

/// At most this many `where` definitions.
const MAX_DEFINITIONS: usize = 8;
/// Expressions with more nodes than this are not built (they could not be shown anyway).
const MAX_SIZE: usize = 400;
/// Above this many nodes behind the entries, no formula is attempted (it would not be readable,
/// and building it would cost more than the derivative itself).
const MAX_NODES: usize = 1000;

/// The `where` names: short letters the function does not use, then `u₁`, `u₂`, ….
fn fresh_names(taken: &BTreeSet<String>) -> impl Iterator<Item = String> + '_ {
    const LETTERS: [&str; 16] = [
        "u", "v", "s", "t", "p", "q", "r", "a", "b", "c", "d", "g", "h", "k", "m", "n",
    ];
    LETTERS
        .iter()
        .map(|s| s.to_string())
        .chain((1..).map(|i| format!("u{}", subscript(i))))
        .filter(|s| !taken.contains(s))
}

/// The formula of each node (`None`: not built), by node index.
type Built = Vec<Option<Result<Formula, Why>>>;

/// The text of each line (an entry or a definition), or why it is not shown.
type Texts = BTreeMap<NodeId, Result<String, Why>>;

/// Renders `entries` (`None`: identically zero) of graph `g` as readable math. Formulas longer
/// than `budget` characters get `where` definitions for their shared subexpressions; those still
/// longer than twice the budget are summarised.
pub fn render(g: &Graph, names: &Names, entries: &[Option<NodeId>], budget: usize) -> Formulas {
    let r = Renderer::new(g, names);
    let mut roots: Vec<NodeId> = Vec::new();
    for n in entries.iter().flatten() {
        if !roots.contains(n) {
            roots.push(*n);
        }
    }
    let order = r.postorder(&roots);
    if order.len() > MAX_NODES {
        // Far beyond anything readable: say so without building the formulas.
        return summarised(entries, r.count_operations(&order));
    }
    let layout = Layout {
        printer: Printer { float: g.float },
        entry_set: roots.iter().copied().collect(),
        roots,
        order,
        budget,
        r,
    };
    let Naming {
        named,
        built,
        mut texts,
    } = layout.name_shared_parts();
    // Each line, definitions first (a definition only mentions earlier ones), named in the order
    // they are defined.
    let defs = layout.in_definition_order(&named);
    let named = layout.renamed_in_order(&named, &defs);
    let built = if named.is_empty() {
        built
    } else {
        texts.clear();
        layout.build_all(&named)
    };
    let shown = layout.show_lines(&defs, &named, &built, texts);
    layout.formulas(entries, &defs, &named, &built, &shown)
}

/// Every nonzero entry summarised as `operations` operations.
fn summarised(entries: &[Option<NodeId>], operations: usize) -> Formulas {
    Formulas {
        entries: entries
            .iter()
            .map(|n| match n {
                Some(_) => Entry::Generated(Why::Large(operations)),
                None => Entry::Formula("0".into()),
            })
            .collect(),
        ..Formulas::default()
    }
}

/// The nodes behind the entries of one `render` call, and how to show them.
struct Layout<'g> {
    r: Renderer<'g>,
    printer: Printer,
    /// The distinct nonzero entries, in order.
    roots: Vec<NodeId>,
    /// The same, as a set.
    entry_set: BTreeSet<NodeId>,
    /// Every node behind the entries, children before parents.
    order: Vec<NodeId>,
    /// A line longer than this (in characters) gets `where` definitions.
    budget: usize,
}

/// The `where` names chosen for shared nodes, and the formulas built with them.
struct Naming {
    /// The name of each named node; nodes that read the same share one.
    named: BTreeMap<NodeId, String>,
    /// The formula of every node, the named ones appearing as their names.
    built: Built,
    /// The text of each line of the last round (reused when no name was needed).
    texts: Texts,
}

impl Layout<'_> {
    /// The text of node `n`'s formula.
    fn text(&self, built: &Built, n: NodeId) -> Result<String, Why> {
        match &built[n.0 as usize] {
            Some(Ok(e)) => Ok(self.printer.show(e, Precedence::Top)),
            Some(Err(w)) => Err(*w),
            None => Err(Why::Large(0)),
        }
    }

    /// Names shared nodes, the most shortening first, until no line is over the budget, there is
    /// nothing left worth naming, or there are `MAX_DEFINITIONS` names.
    fn name_shared_parts(&self) -> Naming {
        let mut fresh = fresh_names(&self.r.taken);
        let mut named: BTreeMap<NodeId, String> = BTreeMap::new();
        loop {
            let built = self.build_all(&named);
            let lines: Vec<NodeId> = self.roots.iter().chain(named.keys()).copied().collect();
            let texts: Texts = lines.iter().map(|n| (*n, self.text(&built, *n))).collect();
            let over: Vec<NodeId> = lines
                .iter()
                .copied()
                .filter(|n| match &texts[n] {
                    Ok(s) => s.chars().count() > self.budget,
                    Err(w) => matches!(w, Why::Large(_)),
                })
                .collect();
            let distinct: BTreeSet<&String> = named.values().collect();
            let candidate = if over.is_empty() || distinct.len() >= MAX_DEFINITIONS {
                None
            } else {
                self.candidate(&lines, &over, &named, &built)
            };
            let Some(c) = candidate else {
                return Naming {
                    named,
                    built,
                    texts,
                };
            };
            // Nodes that read the same (`v[i]` indexed twice) share the name.
            let name = fresh.next().expect("endless names");
            for n in self.same_as(c, &named, &built) {
                named.insert(n, name.clone());
            }
        }
    }

    /// The nodes, not yet named and not entries, whose formula is that of `c` (`c` itself when it
    /// has none).
    fn same_as(&self, c: NodeId, named: &BTreeMap<NodeId, String>, built: &Built) -> Vec<NodeId> {
        self.order
            .iter()
            .copied()
            .filter(|n| !named.contains_key(n) && !self.entry_set.contains(n))
            .filter(|n| match (&built[n.0 as usize], &built[c.0 as usize]) {
                (Some(Ok(a)), Some(Ok(b))) => a == b,
                _ => *n == c,
            })
            .collect()
    }

    /// The named nodes, children before parents.
    fn in_definition_order(&self, named: &BTreeMap<NodeId, String>) -> Vec<NodeId> {
        let mut position = vec![usize::MAX; self.r.g.nodes.len()];
        for (i, n) in self.order.iter().enumerate() {
            position[n.0 as usize] = i;
        }
        let mut defs: Vec<NodeId> = named.keys().copied().collect();
        defs.sort_by_key(|n| position[n.0 as usize]);
        defs
    }

    /// The names given again in the order of `defs`, so the first definition is `u`.
    fn renamed_in_order(
        &self,
        named: &BTreeMap<NodeId, String>,
        defs: &[NodeId],
    ) -> BTreeMap<NodeId, String> {
        let mut fresh = fresh_names(&self.r.taken);
        let mut renamed: BTreeMap<&String, String> = BTreeMap::new();
        for d in defs {
            renamed
                .entry(&named[d])
                .or_insert_with(|| fresh.next().expect("endless names"));
        }
        named
            .iter()
            .map(|(n, old)| (*n, renamed[old].clone()))
            .collect()
    }

    /// The text of each definition and each entry, definitions first: too long, or mentioning a
    /// definition that is not shown, is not shown.
    fn show_lines(
        &self,
        defs: &[NodeId],
        named: &BTreeMap<NodeId, String>,
        built: &Built,
        mut texts: Texts,
    ) -> Texts {
        let mut shown = Texts::new();
        for &n in defs.iter().chain(&self.roots) {
            let own = texts.remove(&n).unwrap_or_else(|| self.text(built, n));
            let own = own.and_then(|s| {
                if s.chars().count() > 2 * self.budget {
                    Err(Why::Large(0))
                } else {
                    Ok(s)
                }
            });
            let ok = self
                .mentions(n, named)
                .iter()
                .all(|m| shown.get(m).is_some_and(Result::is_ok));
            shown.insert(n, if ok { own } else { Err(Why::Large(0)) });
        }
        shown
    }

    /// The definitions that the shown entries mention, directly or through other definitions.
    fn used_definitions(
        &self,
        entries: &[Option<NodeId>],
        named: &BTreeMap<NodeId, String>,
        shown: &Texts,
    ) -> BTreeSet<NodeId> {
        let mut used = BTreeSet::new();
        let mut stack: Vec<NodeId> = entries
            .iter()
            .flatten()
            .filter(|n| shown[*n].is_ok())
            .copied()
            .collect();
        while let Some(m) = stack.pop() {
            for d in self.mentions(m, named) {
                if used.insert(d) {
                    stack.push(d);
                }
            }
        }
        used
    }

    /// The rendered entries, with the definitions they use.
    fn formulas(
        &self,
        entries: &[Option<NodeId>],
        defs: &[NodeId],
        named: &BTreeMap<NodeId, String>,
        built: &Built,
        shown: &Texts,
    ) -> Formulas {
        let rendered = entries
            .iter()
            .map(|e| match e {
                None => Entry::Formula("0".into()),
                Some(n) => match &shown[n] {
                    Ok(s) => Entry::Formula(s.clone()),
                    Err(Why::Large(_)) => Entry::Generated(Why::Large(self.r.operations(*n))),
                    Err(w) => Entry::Generated(*w),
                },
            })
            .collect();
        let used = self.used_definitions(entries, named, shown);
        let mut defined = BTreeSet::new();
        let definitions: Vec<(String, String)> = defs
            .iter()
            .filter(|d| used.contains(*d) && defined.insert(named[*d].clone()))
            .map(|d| {
                let s = shown[d].clone().expect("a used definition is shown");
                (named[d].clone(), s)
            })
            .collect();
        let brackets = entries
            .iter()
            .flatten()
            .filter(|n| shown[*n].is_ok())
            .chain(defs.iter().filter(|d| used.contains(*d)))
            .any(|n| matches!(&built[n.0 as usize], Some(Ok(e)) if e.has_iverson()));
        Formulas {
            entries: rendered,
            definitions,
            brackets,
        }
    }

    /// The formula of every node behind the entries, with the `named` nodes as symbols inside others.
    fn build_all(&self, named: &BTreeMap<NodeId, String>) -> Built {
        let mut full: Built = vec![None; self.r.g.nodes.len()];
        for &n in &self.order {
            // Structural reasons win over size: naming cannot help them.
            let structural = self
                .r
                .children(n)
                .into_iter()
                .filter(|c| !named.contains_key(c))
                .find_map(|c| match &full[c.0 as usize] {
                    Some(Err(w)) if !matches!(w, Why::Large(_) | Why::UserValue) => Some(*w),
                    _ => None,
                });
            let res = match structural {
                Some(w) => Err(w),
                None => {
                    let get = |c: NodeId| -> Result<Formula, Why> {
                        match named.get(&c) {
                            Some(name) => Ok(Formula::Sym(name.clone())),
                            None => full[c.0 as usize].clone().unwrap_or(Err(Why::Large(0))),
                        }
                    };
                    self.r.build(n, &get).and_then(|e| {
                        if e.size() > MAX_SIZE {
                            Err(Why::Large(0))
                        } else {
                            Ok(e)
                        }
                    })
                }
            };
            full[n.0 as usize] = Some(res);
        }
        full
    }

    /// The named nodes that the formula of `root` mentions.
    fn mentions(&self, root: NodeId, named: &BTreeMap<NodeId, String>) -> BTreeSet<NodeId> {
        let mut seen = BTreeSet::from([root]);
        let mut stack = vec![root];
        let mut out = BTreeSet::new();
        while let Some(n) = stack.pop() {
            for c in self.r.children(n) {
                if named.contains_key(&c) {
                    out.insert(c);
                } else if seen.insert(c) {
                    stack.push(c);
                }
            }
        }
        out
    }

    /// The number of nodes of each node's formula as written out, a named node counting as one.
    fn written_sizes(&self, named: &BTreeMap<NodeId, String>) -> Vec<u64> {
        let mut size = vec![0u64; self.r.g.nodes.len()];
        for &n in &self.order {
            size[n.0 as usize] = self.r.children(n).iter().fold(1u64, |acc, c| {
                let s = if named.contains_key(c) {
                    1
                } else {
                    size[c.0 as usize]
                };
                acc.saturating_add(s)
            });
        }
        size
    }

    /// The shared node whose naming shortens the over-long lines most.
    fn candidate(
        &self,
        lines: &[NodeId],
        over: &[NodeId],
        named: &BTreeMap<NodeId, String>,
        built: &Built,
    ) -> Option<NodeId> {
        let len = self.r.g.nodes.len();
        let size = self.written_sizes(named);
        // Occurrences in the formulas as written out (each line expands its root once).
        let mut rooted = vec![0u64; len];
        for l in lines {
            rooted[l.0 as usize] += 1;
        }
        let mut refs = vec![0u64; len];
        let mut reach = vec![false; len];
        for o in over {
            reach[o.0 as usize] = true;
        }
        for &n in self.order.iter().rev() {
            let i = n.0 as usize;
            let expand = if named.contains_key(&n) {
                rooted[i]
            } else {
                rooted[i].saturating_add(refs[i])
            };
            let spread = reach[i] && (over.contains(&n) || !named.contains_key(&n));
            for c in self.r.children(n) {
                refs[c.0 as usize] = refs[c.0 as usize].saturating_add(expand);
                if spread {
                    reach[c.0 as usize] = true;
                }
            }
        }
        self.order
            .iter()
            .copied()
            .filter(|n| {
                let i = n.0 as usize;
                reach[i]
                    && !named.contains_key(n)
                    && !self.entry_set.contains(n)
                    && refs[i] >= 2
                    && match &built[i] {
                        Some(Ok(e)) => e.size() >= 3,
                        Some(Err(Why::Large(_))) => true,
                        _ => false,
                    }
            })
            .max_by_key(|n| {
                let i = n.0 as usize;
                ((refs[i] - 1).saturating_mul(size[i]), std::cmp::Reverse(*n))
            })
    }
}
