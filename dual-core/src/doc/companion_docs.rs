//! The documentation of the generated companion functions: what they return, the order of the
//! variables, and the derivatives as Markdown lists of formulas.

use std::cell::RefCell;

use super::{render, Entry, Formulas, Names, Why, BUDGET, MAX_LINES};
use crate::front::signature::{FloatShape, Output, Signature};
use crate::ir::{Graph, NodeId};

/// At most this many lines list a gradient.
const MAX_GRADIENT_LINES: usize = 16;

/// `a, b, c`, or `a, b, …, z` for long lists.
fn abbreviate(items: &[String], keep: usize) -> String {
    if items.len() <= keep + 1 {
        items.join(", ")
    } else {
        format!(
            "{}, …, {}",
            items[..keep].join(", "),
            items.last().expect("non-empty")
        )
    }
}

/// A Markdown list of labelled entries, in at most `max_lines` lines, of a list of `total`
/// entries that begins with `entries`.
fn markdown_list(entries: &[(&str, Entry)], total: usize, max_lines: usize) -> String {
    let mut lines = Vec::new();
    let mut k = 0;
    while k < entries.len() && lines.len() < max_lines {
        let (label, entry) = &entries[k];
        let run = entries[k..].iter().take_while(|(_, e)| e == entry).count();
        match entry {
            Entry::Formula(s) => lines.push(format!("- `{label} = {s}`")),
            Entry::Generated(w) if run >= 3 && !matches!(w, Why::Large(_)) => {
                let last = entries[k + run - 1].0;
                lines.push(format!("- `{label}` to `{last}`: {}", w.describe()));
                k += run;
                continue;
            }
            Entry::Generated(w) => lines.push(format!("- `{label}`: {}", w.describe())),
        }
        k += 1;
    }
    if total > k {
        lines.push(format!("- … ({} more)", total - k));
    }
    lines.join("\n")
}

/// The documentation of the generated functions of one function: what they return, the order of
/// the variables, and the derivatives as formulas.
pub struct Doc<'a> {
    g: &'a Graph,
    names: &'a Names,
    sig: &'a Signature,
    /// `x`, `w[0]`, …: the differentiated scalars in order.
    vars: Vec<String>,
    /// The formulas rendered so far: the companions with and without the value show the same
    /// ones.
    rendered: RefCell<Vec<Rendered>>,
}

/// Formulas rendered for some entries.
struct Rendered {
    /// The entries, in order.
    nodes: Vec<Option<NodeId>>,
    /// Their formulas.
    formulas: Formulas,
}

/// A labelled entry of a list.
struct Item {
    /// `∂f/∂x`.
    label: String,
    /// The entry's node (`None`: zero).
    node: Option<NodeId>,
}

/// A list of entries to document.
struct List<'i> {
    /// The entries.
    items: &'i [Item],
    /// At most this many lines show them.
    max_lines: usize,
}

/// Markdown lists of entries, with what follows them.
struct Lists {
    /// One Markdown list per requested list.
    lists: Vec<String>,
    /// The `where` definitions the lists share and the note on brackets, if any.
    after: String,
}

/// The nonzero entries of a derivative.
struct Nonzero {
    /// The nonzero entries, in order.
    items: Vec<Item>,
    /// Whether some entries are zero.
    some_zero: bool,
}

impl<'a> Doc<'a> {
    /// The documentation of derivatives in graph `g`, whose differentiated scalars are `leaves`.
    pub fn new(g: &'a Graph, names: &'a Names, sig: &'a Signature, leaves: &[NodeId]) -> Self {
        let vars = leaves.iter().map(|l| names.variable(g, *l)).collect();
        Doc {
            g,
            names,
            sig,
            vars,
            rendered: RefCell::default(),
        }
    }

    /// The function's name.
    fn f(&self) -> &str {
        self.names.function()
    }

    /// Output `row` of the function: `f`, `f[1]` or `f.1`.
    fn output(&self, row: usize) -> String {
        match self.sig.output {
            Output::Scalar => self.f().to_string(),
            Output::Array(_) => format!("{}[{row}]", self.f()),
            Output::Tuple(_) => format!("{}.{row}", self.f()),
        }
    }

    /// `[∂f/∂x, ∂f/∂y]`: the derivatives of `of` in the order of the variables, in the shape of
    /// the gradient's type (a tuple when there are array parameters and others) unless `flat`.
    fn shape(&self, of: &str, flat: bool) -> String {
        let labels: Vec<String> = self.vars.iter().map(|v| format!("∂{of}/∂{v}")).collect();
        let shapes: Vec<FloatShape> = self.sig.differentiated().map(|(_, _, s)| s).collect();
        let all_scalar = shapes.iter().all(|s| *s == FloatShape::Scalar);
        if flat || all_scalar || shapes.len() == 1 {
            return format!("[{}]", abbreviate(&labels, 3));
        }
        let mut it = labels.into_iter();
        let parts: Vec<String> = shapes
            .iter()
            .map(|s| match s {
                FloatShape::Scalar => it.next().unwrap_or_default(),
                FloatShape::Array(n) => {
                    let part: Vec<String> = it.by_ref().take(*n).collect();
                    format!("[{}]", abbreviate(&part, 2))
                }
                FloatShape::ArrayN | FloatShape::Slice | FloatShape::Matrix => String::new(),
            })
            .collect();
        format!("({})", parts.join(", "))
    }

    /// The gradient's entries `row`, labelled `∂f/∂x`.
    fn gradient_items(&self, row: &[Option<NodeId>]) -> Vec<Item> {
        self.vars
            .iter()
            .zip(row)
            .map(|(v, n)| Item {
                label: format!("∂{}/∂{v}", self.f()),
                node: *n,
            })
            .collect()
    }

    /// The nonzero entries, and whether some are zero.
    fn nonzero(entries: impl Iterator<Item = (String, Option<NodeId>)>) -> Nonzero {
        let mut some_zero = false;
        let mut items = Vec::new();
        for (label, node) in entries {
            match node {
                Some(_) => items.push(Item { label, node }),
                None => some_zero = true,
            }
        }
        Nonzero { items, some_zero }
    }

    /// Markdown lists of entries, rendered together so that they share their `where`
    /// definitions.
    fn lists(&self, lists: &[List]) -> Lists {
        // A run of entries computed for the same reason takes one line, so more entries than
        // lines are rendered.
        let taken: Vec<&[Item]> = lists
            .iter()
            .map(|l| &l.items[..l.items.len().min(l.max_lines * 3)])
            .collect();
        let nodes: Vec<Option<NodeId>> = taken
            .iter()
            .flat_map(|l| l.iter().map(|i| i.node))
            .collect();
        let formulas = self.formulas(nodes);
        let mut rendered = formulas.entries.into_iter();
        let lists = taken
            .iter()
            .zip(lists)
            .map(|(items, list)| {
                let entries: Vec<(&str, Entry)> = items
                    .iter()
                    .map(|i| {
                        (
                            i.label.as_str(),
                            rendered.next().expect("an entry per item"),
                        )
                    })
                    .collect();
                markdown_list(&entries, list.items.len(), list.max_lines)
            })
            .collect();
        let mut after = String::new();
        if !formulas.definitions.is_empty() {
            let lines: Vec<String> = formulas
                .definitions
                .iter()
                .map(|(name, s)| format!("- `{name} = {s}`"))
                .collect();
            after = format!("\n\nwhere\n\n{}", lines.join("\n"));
        }
        if formulas.brackets {
            after.push_str("\n\n(A bracket `[c]` is 1 when the condition `c` holds, else 0.)");
        }
        Lists { lists, after }
    }

    /// The formulas of `nodes`, rendered once.
    fn formulas(&self, nodes: Vec<Option<NodeId>>) -> Formulas {
        let cached = self
            .rendered
            .borrow()
            .iter()
            .find(|r| r.nodes == nodes)
            .map(|r| r.formulas.clone());
        cached.unwrap_or_else(|| {
            let formulas = render(self.g, self.names, &nodes, BUDGET);
            self.rendered.borrow_mut().push(Rendered {
                nodes,
                formulas: formulas.clone(),
            });
            formulas
        })
    }

    /// The documentation of `NAME_gradient` or, `with_value`, `NAME_value_and_gradient`.
    pub fn gradient(&self, row: &[Option<NodeId>], with_value: bool) -> String {
        let shape = self.shape(self.f(), false);
        let returns = if with_value {
            format!("Returns `(value, {shape})` at the given point, with")
        } else {
            format!("Returns `{shape}` at the given point:")
        };
        let items = self.gradient_items(row);
        let Lists { lists, after } = self.lists(&[List {
            items: &items,
            max_lines: MAX_GRADIENT_LINES,
        }]);
        format!("{returns}\n\n{}{after}", lists[0])
    }

    /// The documentation of `NAME_jacobian` or, `with_value`, `NAME_value_and_jacobian`.
    pub fn jacobian(&self, rows: &[Vec<Option<NodeId>>], with_value: bool) -> String {
        let (m, n) = (rows.len(), self.vars.len());
        let template = match self.sig.output {
            Output::Tuple(_) => format!("{}.i", self.f()),
            _ => format!("{}[i]", self.f()),
        };
        let what = format!(
            "the {m} × {n} Jacobian, whose row `i` is `{}`",
            self.shape(&template, true)
        );
        let returns = if with_value {
            format!("Returns `(value, J)` with `J` {what}.")
        } else {
            format!("Returns {what}.")
        };
        let Nonzero { items, some_zero } =
            Self::nonzero(rows.iter().enumerate().flat_map(|(i, row)| {
                let out = self.output(i);
                self.vars
                    .iter()
                    .zip(row)
                    .map(move |(v, node)| (format!("∂{out}/∂{v}"), *node))
            }));
        if items.is_empty() {
            return format!("{returns} All its entries are 0.");
        }
        let Lists { lists, after } = self.lists(&[List {
            items: &items,
            max_lines: MAX_LINES,
        }]);
        let rest = if some_zero {
            "\n\nAll other entries are 0."
        } else {
            ""
        };
        format!(
            "{returns} Its nonzero entries:\n\n{}{after}{rest}",
            lists[0]
        )
    }

    /// `∂²f/∂x²` or `∂²f/∂x∂y`: the label of the second derivative by variables `i` and `j`.
    fn second_derivative(&self, i: usize, j: usize) -> String {
        let f = self.f();
        if i == j {
            format!("∂²{f}/∂{}²", self.vars[i])
        } else {
            format!("∂²{f}/∂{}∂{}", self.vars[i], self.vars[j])
        }
    }

    /// The Hessian's entries: written out for at most two variables, else described.
    fn hessian_matrix(&self) -> String {
        let n = self.vars.len();
        if n <= 2 {
            let rows: Vec<String> = (0..n)
                .map(|i| {
                    let row: Vec<String> = (0..n).map(|j| self.second_derivative(i, j)).collect();
                    format!("[{}]", row.join(", "))
                })
                .collect();
            format!("`[{}]`", rows.join(", "))
        } else {
            "whose entry `[i][j]` is the second derivative with respect to the `i`-th and the \
             `j`-th variable"
                .to_string()
        }
    }

    /// The documentation of `NAME_hessian` or, with the gradient's entries,
    /// `NAME_value_gradient_and_hessian`; `upper[i][j]` for `j ≥ i` are the entries on and above
    /// the diagonal.
    pub fn hessian(
        &self,
        gradient: Option<&[Option<NodeId>]>,
        upper: &[Vec<Option<NodeId>>],
    ) -> String {
        let n = self.vars.len();
        let f = self.f();
        let second = |i: usize, j: usize| self.second_derivative(i, j);
        let matrix = self.hessian_matrix();
        let pairs = (0..n).flat_map(|i| (i..n).map(move |j| (i, j)));
        let Nonzero { items, some_zero } = Self::nonzero(pairs.map(|(i, j)| {
            let node = upper.get(i).and_then(|r| r.get(j)).copied().flatten();
            (second(i, j), node)
        }));
        let grad_items = gradient.map(|row| self.gradient_items(row));
        let mut all: Vec<List> = Vec::new();
        if let Some(g) = &grad_items {
            all.push(List {
                items: g,
                max_lines: MAX_GRADIENT_LINES,
            });
        }
        all.push(List {
            items: &items,
            max_lines: MAX_LINES,
        });
        let Lists { lists, after } = self.lists(&all);
        let entries = if items.is_empty() {
            format!(". All its entries are 0.{after}")
        } else {
            let rest = if some_zero {
                "\n\nAll other entries on and above the diagonal are 0."
            } else {
                ""
            };
            let list = lists.last().expect("the Hessian's list");
            format!(", with nonzero entries on and above the diagonal:\n\n{list}{after}{rest}")
        };
        match gradient {
            None => format!("Returns the symmetric {n} × {n} matrix {matrix}{entries}"),
            Some(_) => format!(
                "Returns `(value, {}, H)` at the given point: the gradient\n\n{}\n\nand the \
                 Hessian `H`, the symmetric {n} × {n} matrix {matrix}{entries}",
                self.shape(f, false),
                lists[0]
            ),
        }
    }
}
