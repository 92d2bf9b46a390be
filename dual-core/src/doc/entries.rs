//! What rendering returns: a formula per entry, or why there is none, and the shared `where`
//! definitions.

/// Why an entry is not shown as a formula.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Why {
    /// A value chosen by an `if` at run time.
    Branch,
    /// A value carried by a loop whose trip count is known only at run time.
    Loop,
    /// A float computed by user code (not a parameter or a constant).
    UserValue,
    /// An element chosen by a run-time index.
    Index,
    /// A power with a run-time exponent.
    Exponent,
    /// Too long to be readable: an expression of this many operations.
    Large(usize),
}

impl Why {
    /// The explanation, as it appears in the documentation.
    pub fn describe(self) -> String {
        let because = match self {
            Why::Branch => "it depends on a branch taken at run time",
            Why::Loop => "it is carried by a run-time loop",
            Why::UserValue => "it depends on a value computed by user code",
            Why::Index => "it depends on a run-time index",
            Why::Exponent => "it depends on a run-time exponent",
            Why::Large(n) => return format!("an expression of {n} operations, not shown"),
        };
        format!("computed by the generated code ({because})")
    }
}

/// One rendered entry.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Entry {
    /// Readable math (`2·x·y`), possibly naming `where` definitions.
    Formula(String),
    /// No formula, and why.
    Generated(Why),
}

/// Rendered entries, with the definitions they share.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct Formulas {
    /// One per requested entry, in order.
    pub entries: Vec<Entry>,
    /// `(name, formula)` of each `where` definition used, a definition before its uses.
    pub definitions: Vec<(String, String)>,
    /// Whether the formulas use Iverson's bracket `[x ≥ y]` (1 when it holds, else 0).
    pub brackets: bool,
}
