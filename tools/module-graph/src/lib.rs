//! The module graph of a Rust crate, read from its source, and the cycles in it.
//!
//! Modules that need each other in a circle can be read, tested and changed only together.
//! `tests/workspace.rs` reads every crate of the workspace (every Cargo target: libraries,
//! binaries, tests, examples, build scripts) and fails on any cycle, of any length; `make test`
//! runs it with the rest of the workspace's tests.
//!
//! # What counts as "module A uses module B"
//!
//! Code of A (tests included) names something B defines: through a `use`, or through a path
//! anywhere in A's items (`crate::b::X`, `super::b::X`, `b::X`, also inside macro calls such
//! as `tokio::select!`). Paths are followed through imports and re-exports to the module that
//! defines the item, so `super::Database` in `config/user.rs` counts as a use of
//! `config/database.rs` when `config/mod.rs` re-exports it from there.
//!
//! A type's methods are part of the type: when methods of a type are written in another module
//! (`impl DeviceManager { ... }` in `pipeline.rs`) and the type's own module calls one of them
//! (by name: `.name(` or `Self::name`), the type's module uses that other module.
//!
//! A module's uses of its own ancestors do not count. A child builds on what its parent
//! defines (the trait the parent's registry dispatches through, `use super::*` in a test
//! module), while the parent declares, re-exports and dispatches to its children; counting
//! both directions would make every such pair a cycle. The parent's side is the one kept, so a
//! cycle that runs through a re-export is still found.
//!
//! Doc comments are not read: a link in the docs is no dependency of the code.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};
use quote::ToTokens;
use syn::{Item, ItemMacro, ItemMod, UseTree};

/// A path as written in the source, one segment per element (`["super", "json", "Object"]`).
type WrittenPath = Vec<String>;

/// One module of a crate: a file, or an inline `mod name { ... }`.
#[derive(Debug)]
struct Module {
    /// The module's path from the crate root: `crate`, `crate::config::database`.
    name: String,
    parent: Option<usize>,
    children: BTreeMap<String, usize>,
    /// The items defined here by name (functions, types, traits, constants, statics, macros).
    defined: BTreeSet<String>,
    /// The names `use` brings in, each with the path it stands for.
    imports: BTreeMap<String, WrittenPath>,
    /// The paths of this module's glob imports (`use super::*`).
    globs: Vec<WrittenPath>,
    /// Every path this module's code names, imports included.
    references: Vec<WrittenPath>,
    /// The names of the methods this module's code calls (`.name(`, `Self::name`).
    method_calls: BTreeSet<String>,
    /// Inherent `impl` blocks written here: the type's path and the methods they add.
    impls: Vec<(WrittenPath, Vec<String>)>,
}

/// A crate's modules as read from its root file and the files its `mod` items name.
#[derive(Debug)]
pub struct Crate {
    modules: Vec<Module>,
    files: BTreeSet<PathBuf>,
}

/// The module graph: for each module (by its path from the crate root), the modules it uses,
/// each with one path of the source that makes the edge (to show why it is there).
pub type Graph = BTreeMap<String, BTreeMap<String, String>>;

/// A crate that could not be read.
#[derive(Debug)]
pub struct ReadError {
    pub file: PathBuf,
    pub problem: String,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file.display(), self.problem)
    }
}

impl std::error::Error for ReadError {}

impl Crate {
    /// Reads the crate whose root file (`src/lib.rs`, `src/main.rs`, `tests/foo.rs`) is `root`.
    pub fn read(root: &Path) -> Result<Crate, ReadError> {
        let mut reader = Reader { modules: Vec::new(), files: BTreeSet::new() };
        let crate_root = reader.add_module(None, "crate");
        let children_dir = root.parent().unwrap_or(Path::new(".")).to_path_buf();
        reader.read_file(crate_root, root, &children_dir)?;
        Ok(Crate { modules: reader.modules, files: reader.files })
    }

    /// Reads a crate from source text alone; its `mod name;` items must have no file (tests of
    /// the reader write inline modules).
    pub fn parse(source: &str) -> Result<Crate, ReadError> {
        let mut reader = Reader { modules: Vec::new(), files: BTreeSet::new() };
        let crate_root = reader.add_module(None, "crate");
        let file = Path::new("<source>");
        let syntax = syn::parse_file(source).map_err(|error| ReadError::at(file, error))?;
        reader.read_items(crate_root, &syntax.items, file, Path::new("."))?;
        Ok(Crate { modules: reader.modules, files: reader.files })
    }

    /// Every source file read for this crate.
    pub fn files(&self) -> &BTreeSet<PathBuf> {
        &self.files
    }

    /// The modules, each with the modules it uses (see the crate docs for what counts).
    pub fn graph(&self) -> Graph {
        let mut graph = Graph::new();
        for (index, module) in self.modules.iter().enumerate() {
            let uses = graph.entry(module.name.clone()).or_default();
            for path in &module.references {
                let Some((target, _)) = self.resolve(index, path) else { continue };
                if target != index && !self.is_ancestor(target, index) {
                    uses.entry(self.modules[target].name.clone()).or_insert_with(|| path.join("::"));
                }
            }
        }
        for (index, module) in self.modules.iter().enumerate() {
            for (type_path, methods) in &module.impls {
                let Some((home, true)) = self.resolve(index, type_path) else { continue };
                if home == index || self.is_ancestor(index, home) {
                    continue;
                }
                let home_module = &self.modules[home];
                if let Some(called) = methods.iter().find(|method| home_module.method_calls.contains(*method)) {
                    let because = format!("{}.{called}(), written in {}", type_path.join("::"), module.name);
                    graph.entry(home_module.name.clone()).or_default().entry(module.name.clone()).or_insert(because);
                }
            }
        }
        graph
    }

    /// The groups of modules that reach each other through their uses, each with one cycle
    /// through it.
    pub fn tangles(&self) -> Vec<Tangle> {
        tangles(&self.graph())
    }

    /// Whether `ancestor` contains `module`, directly or further down.
    fn is_ancestor(&self, ancestor: usize, module: usize) -> bool {
        let mut current = self.modules[module].parent;
        while let Some(index) = current {
            if index == ancestor {
                return true;
            }
            current = self.modules[index].parent;
        }
        false
    }

    /// The module that defines what `path`, written in module `from`, names, and whether the
    /// last segment was found there by name (an item, a child or an import) rather than
    /// assumed (an enum variant, a method). `None`: something outside the crate (another
    /// crate's item, a local variable, `Self`).
    fn resolve(&self, from: usize, path: &[String]) -> Option<(usize, bool)> {
        self.resolve_in(from, path, &mut BTreeSet::new())
    }

    /// [`Crate::resolve`], never trying the same path from the same module twice (glob imports
    /// can point at each other: a test module's `use super::*` and its parent's own globs).
    fn resolve_in(&self, from: usize, path: &[String], tried: &mut Tried) -> Option<(usize, bool)> {
        let (first, rest) = path.split_first()?;
        if !tried.insert((from, path.to_vec())) {
            return None;
        }
        let here = &self.modules[from];
        let start = match first.as_str() {
            "crate" | "$crate" => 0,
            "super" => here.parent?,
            "self" => from,
            name => {
                if let Some(&child) = here.children.get(name) {
                    child
                } else if let Some(target) = here.imports.get(name) {
                    return self.resolve_in(from, &joined(target, rest), tried);
                } else {
                    return self.through_globs(from, path, tried);
                }
            }
        };
        self.walk(start, rest, tried)
    }

    /// Follows `rest` down from `module` to the module that defines its last segment.
    fn walk(&self, module: usize, rest: &[String], tried: &mut Tried) -> Option<(usize, bool)> {
        let Some((segment, after)) = rest.split_first() else { return Some((module, true)) };
        let here = &self.modules[module];
        match segment.as_str() {
            "super" => return self.walk(here.parent?, after, tried),
            "self" => return self.walk(module, after, tried),
            _ => {}
        }
        if let Some(&child) = here.children.get(segment) {
            return self.walk(child, after, tried);
        }
        if here.defined.contains(segment) {
            return Some((module, true));
        }
        if let Some(target) = here.imports.get(segment) {
            return self.resolve_in(module, &joined(target, after), tried);
        }
        Some(self.through_globs(module, rest, tried).unwrap_or((module, false)))
    }

    /// `path` (written in `module`) as found through one of the module's glob imports of a
    /// module of this crate.
    fn through_globs(&self, module: usize, path: &[String], tried: &mut Tried) -> Option<(usize, bool)> {
        for glob in &self.modules[module].globs {
            let Some((glob_module, true)) = self.resolve_in(module, glob, tried) else { continue };
            if let Some((found_in, true)) = self.walk(glob_module, path, tried) {
                return Some((found_in, true));
            }
        }
        None
    }
}

/// The (module, path) pairs one resolution has tried.
type Tried = BTreeSet<(usize, WrittenPath)>;

impl ReadError {
    fn at(file: &Path, problem: impl fmt::Display) -> ReadError {
        ReadError { file: file.to_path_buf(), problem: problem.to_string() }
    }
}

/// `head` followed by `tail`.
fn joined(head: &[String], tail: &[String]) -> WrittenPath {
    head.iter().chain(tail).cloned().collect()
}

/// Builds the modules of one crate from its files.
struct Reader {
    modules: Vec<Module>,
    files: BTreeSet<PathBuf>,
}

impl Reader {
    fn add_module(&mut self, parent: Option<usize>, name: &str) -> usize {
        let name = match parent {
            Some(parent) => format!("{}::{name}", self.modules[parent].name),
            None => name.to_owned(),
        };
        self.modules.push(Module {
            name,
            parent,
            children: BTreeMap::new(),
            defined: BTreeSet::new(),
            imports: BTreeMap::new(),
            globs: Vec::new(),
            references: Vec::new(),
            method_calls: BTreeSet::new(),
            impls: Vec::new(),
        });
        let index = self.modules.len() - 1;
        if let Some(parent) = parent {
            let short = self.modules[index].name.rsplit("::").next().unwrap_or_default().to_owned();
            self.modules[parent].children.insert(short, index);
        }
        index
    }

    /// Reads `file` as the body of `module`, whose `mod name;` children live in `children_dir`.
    fn read_file(&mut self, module: usize, file: &Path, children_dir: &Path) -> Result<(), ReadError> {
        let text = std::fs::read_to_string(file).map_err(|error| ReadError::at(file, error))?;
        let syntax = syn::parse_file(&text).map_err(|error| ReadError::at(file, error))?;
        self.files.insert(file.to_path_buf());
        self.read_items(module, &syntax.items, file, children_dir)
    }

    fn read_items(&mut self, module: usize, items: &[Item], file: &Path, children_dir: &Path) -> Result<(), ReadError> {
        let declaring_macros = module_declaring_macros(items);
        for item in items {
            match item {
                Item::Mod(item_mod) => self.read_mod(module, item_mod, file, children_dir)?,
                Item::Use(item_use) if item_use.leading_colon.is_none() => {
                    self.read_use(module, &item_use.tree, Vec::new())
                }
                Item::Macro(call) if declares_modules_through(call, &declaring_macros) => {
                    for name in identifiers(&call.mac.tokens) {
                        let child = self.add_module(Some(module), &name);
                        let (child_file, child_dir) = child_location(children_dir, &name)
                            .ok_or_else(|| ReadError::at(file, format!("no file for module `{name}`")))?;
                        self.read_file(child, &child_file, &child_dir)?;
                    }
                }
                other => {
                    if let Some(name) = defined_name(other) {
                        self.modules[module].defined.insert(name);
                    }
                    if let Some(added) = inherent_methods(other) {
                        self.modules[module].impls.push(added);
                    }
                    let tokens = other.to_token_stream();
                    let here = &mut self.modules[module];
                    let mut paths = Vec::new();
                    paths_in(tokens.clone(), &mut paths);
                    here.method_calls.extend(
                        paths.iter().filter(|path| path[0] == "Self" && path.len() == 2).map(|path| path[1].clone()),
                    );
                    here.references.extend(paths);
                    method_calls_in(tokens, &mut here.method_calls);
                }
            }
        }
        Ok(())
    }

    fn read_mod(&mut self, parent: usize, item: &ItemMod, file: &Path, children_dir: &Path) -> Result<(), ReadError> {
        let name = item.ident.to_string();
        let child = self.add_module(Some(parent), &name);
        if let Some((_, items)) = &item.content {
            return self.read_items(child, items, file, &children_dir.join(&name));
        }
        let location = match path_attribute(item) {
            // A `#[path]` file is read as a `mod.rs`: its own children live beside it.
            Some(path) => {
                let child_file = file.parent().unwrap_or(Path::new(".")).join(path);
                let child_dir = child_file.parent().unwrap_or(Path::new(".")).to_path_buf();
                Some((child_file, child_dir))
            }
            None => child_location(children_dir, &name),
        };
        let (child_file, child_dir) =
            location.ok_or_else(|| ReadError::at(file, format!("no file for module `{name}`")))?;
        self.read_file(child, &child_file, &child_dir)
    }

    fn read_use(&mut self, module: usize, tree: &UseTree, prefix: WrittenPath) {
        match tree {
            UseTree::Path(path) => {
                let mut prefix = prefix;
                prefix.push(path.ident.to_string());
                self.read_use(module, &path.tree, prefix);
            }
            UseTree::Name(name) => {
                let (binding, full) = imported(&prefix, &name.ident.to_string());
                self.modules[module].imports.insert(binding, full.clone());
                self.modules[module].references.push(full);
            }
            UseTree::Rename(rename) => {
                let (_, full) = imported(&prefix, &rename.ident.to_string());
                if rename.rename != "_" {
                    self.modules[module].imports.insert(rename.rename.to_string(), full.clone());
                }
                self.modules[module].references.push(full);
            }
            UseTree::Glob(_) => {
                self.modules[module].globs.push(prefix.clone());
                self.modules[module].references.push(prefix);
            }
            UseTree::Group(group) => {
                for tree in &group.items {
                    self.read_use(module, tree, prefix.clone());
                }
            }
        }
    }
}

/// The name a `use` of `last` under `prefix` binds, and the path it stands for (`self` in a
/// group stands for the prefix).
fn imported(prefix: &[String], last: &str) -> (String, WrittenPath) {
    if last == "self" {
        (prefix.last().cloned().unwrap_or_default(), prefix.to_vec())
    } else {
        (last.to_owned(), joined(prefix, &[last.to_owned()]))
    }
}

/// Where the file of module `name` is: `name.rs` or `name/mod.rs` in `children_dir`, with the
/// directory its own children live in.
fn child_location(children_dir: &Path, name: &str) -> Option<(PathBuf, PathBuf)> {
    let flat = children_dir.join(format!("{name}.rs"));
    let nested = children_dir.join(name).join("mod.rs");
    [flat, nested].into_iter().find(|file| file.is_file()).map(|file| (file, children_dir.join(name)))
}

/// The value of a `#[path = "..."]` attribute.
fn path_attribute(item: &ItemMod) -> Option<String> {
    item.attrs.iter().filter(|attr| attr.path().is_ident("path")).find_map(|attr| match &attr.meta {
        syn::Meta::NameValue(pair) => match &pair.value {
            syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(text), .. }) => Some(text.value()),
            _ => None,
        },
        _ => None,
    })
}

/// The name an item defines, for the items that paths can name.
fn defined_name(item: &Item) -> Option<String> {
    let ident = match item {
        Item::Const(item) => &item.ident,
        Item::Enum(item) => &item.ident,
        Item::ExternCrate(item) => item.rename.as_ref().map(|(_, rename)| rename).unwrap_or(&item.ident),
        Item::Fn(item) => &item.sig.ident,
        Item::Macro(item) => item.ident.as_ref()?,
        Item::Static(item) => &item.ident,
        Item::Struct(item) => &item.ident,
        Item::Trait(item) => &item.ident,
        Item::TraitAlias(item) => &item.ident,
        Item::Type(item) => &item.ident,
        Item::Union(item) => &item.ident,
        _ => return None,
    };
    Some(ident.to_string())
}

/// For an inherent `impl Type { ... }`: the type's path as written and the names of the
/// methods (and associated functions) it adds.
fn inherent_methods(item: &Item) -> Option<(WrittenPath, Vec<String>)> {
    let Item::Impl(block) = item else { return None };
    if block.trait_.is_some() {
        return None;
    }
    let syn::Type::Path(self_type) = &*block.self_ty else { return None };
    let path = self_type.path.segments.iter().map(|segment| segment.ident.to_string()).collect();
    let methods = block
        .items
        .iter()
        .filter_map(|item| match item {
            syn::ImplItem::Fn(function) => Some(function.sig.ident.to_string()),
            _ => None,
        })
        .collect();
    Some((path, methods))
}

/// The names of the methods called in `tokens`: an identifier after a `.`, followed by
/// arguments or a turbofish.
fn method_calls_in(tokens: TokenStream, out: &mut BTreeSet<String>) {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    for (at, token) in tokens.iter().enumerate() {
        match token {
            TokenTree::Group(group) => method_calls_in(group.stream(), out),
            TokenTree::Ident(ident) if at > 0 && is_punct(&tokens[at - 1], '.') => {
                let arguments =
                    matches!(tokens.get(at + 1), Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Parenthesis);
                if arguments || is_path_separator(&tokens, at + 1) {
                    out.insert(ident.to_string());
                }
            }
            _ => {}
        }
    }
}

/// The `macro_rules!` among `items` whose expansion declares modules (`$(pub mod $name;)*`):
/// a call of one names its modules as plain identifiers.
fn module_declaring_macros(items: &[Item]) -> BTreeSet<String> {
    items
        .iter()
        .filter_map(|item| match item {
            Item::Macro(ItemMacro { ident: Some(ident), mac, .. }) if mac.path.is_ident("macro_rules") => {
                let text = mac.tokens.to_string();
                (text.contains("mod $")).then(|| ident.to_string())
            }
            _ => None,
        })
        .collect()
}

fn declares_modules_through(call: &ItemMacro, declaring_macros: &BTreeSet<String>) -> bool {
    call.ident.is_none() && call.mac.path.get_ident().is_some_and(|name| declaring_macros.contains(&name.to_string()))
}

/// The identifiers of a token stream, in order (the module list of a declaring macro's call).
fn identifiers(tokens: &TokenStream) -> Vec<String> {
    tokens
        .clone()
        .into_iter()
        .filter_map(|token| match token {
            TokenTree::Ident(ident) => Some(ident.to_string()),
            _ => None,
        })
        .collect()
}

/// Collects every path of two or more segments in `tokens` (`a::b`, `crate::{x, y::z}`,
/// `$crate::m`), descending into groups; global paths (`::std::x`) and method calls with a
/// turbofish (`.f::<T>()`) are left out.
fn paths_in(tokens: TokenStream, out: &mut Vec<WrittenPath>) {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let mut at = 0;
    while at < tokens.len() {
        match &tokens[at] {
            TokenTree::Group(group) => {
                paths_in(group.stream(), out);
                at += 1;
            }
            TokenTree::Ident(ident) if starts_path(&tokens, at) => {
                let mut segments = vec![ident.to_string()];
                if at > 0 && is_punct(&tokens[at - 1], '$') {
                    segments[0] = format!("${}", segments[0]);
                }
                at += 1;
                while is_path_separator(&tokens, at) {
                    match tokens.get(at + 2) {
                        Some(TokenTree::Ident(next)) => {
                            segments.push(next.to_string());
                            at += 3;
                        }
                        Some(TokenTree::Group(group)) if group.delimiter() == Delimiter::Brace => {
                            use_group_paths(&segments, group.stream(), out);
                            at += 3;
                            break;
                        }
                        _ => break,
                    }
                }
                if segments.len() > 1 {
                    out.push(segments);
                }
            }
            _ => at += 1,
        }
    }
}

/// Whether the identifier at `at` begins a path of two or more segments: a `::` follows, and
/// neither a `::` (the middle of a path) nor a `.` (a method call) comes before it.
fn starts_path(tokens: &[TokenTree], at: usize) -> bool {
    let after_separator = at >= 2 && is_path_separator(tokens, at - 2);
    let after_dot = at >= 1 && is_punct(&tokens[at - 1], '.');
    is_path_separator(tokens, at + 1) && !after_separator && !after_dot
}

/// Whether `::` starts at `at`.
fn is_path_separator(tokens: &[TokenTree], at: usize) -> bool {
    matches!(
        (tokens.get(at), tokens.get(at + 1)),
        (Some(TokenTree::Punct(first)), Some(TokenTree::Punct(second)))
            if first.as_char() == ':' && first.spacing() == Spacing::Joint && second.as_char() == ':'
    )
}

fn is_punct(token: &TokenTree, c: char) -> bool {
    matches!(token, TokenTree::Punct(punct) if punct.as_char() == c)
}

/// The paths of a `use` group inside a body (`use crate::{a, b::{c, d}};`), under `prefix`.
fn use_group_paths(prefix: &[String], group: TokenStream, out: &mut Vec<WrittenPath>) {
    let tokens: Vec<TokenTree> = group.into_iter().collect();
    for part in tokens.split(|token| is_punct(token, ',')) {
        let mut path = prefix.to_vec();
        let mut at = 0;
        while at < part.len() {
            match &part[at] {
                TokenTree::Ident(ident) if ident == "as" => break,
                TokenTree::Ident(ident) if ident == "self" => at += 1,
                TokenTree::Ident(ident) => {
                    path.push(ident.to_string());
                    at += 1;
                }
                TokenTree::Group(group) if group.delimiter() == Delimiter::Brace => {
                    use_group_paths(&path, group.stream(), out);
                    path.truncate(prefix.len());
                    break;
                }
                _ => at += 1,
            }
        }
        let names_prefix =
            part.iter().any(|token| is_punct(token, '*') || matches!(token, TokenTree::Ident(i) if i == "self"));
        if path.len() > prefix.len() || names_prefix {
            out.push(path);
        }
    }
}

/// Modules that reach each other through their uses: a strongly connected group of the graph.
#[derive(Debug, PartialEq, Eq)]
pub struct Tangle {
    /// Every module of the group.
    pub modules: BTreeSet<String>,
    /// One of the shortest cycles through the group's first module, as the modules around it
    /// with the first repeated at the end.
    pub cycle: Vec<String>,
    /// The source path behind each step of `cycle`.
    pub because: Vec<String>,
}

impl fmt::Display for Tangle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.cycle[0])?;
        for (module, path) in self.cycle[1..].iter().zip(&self.because) {
            write!(f, " -> {module} (`{path}`)")?;
        }
        if self.modules.len() + 1 > self.cycle.len() {
            let others: Vec<&str> =
                self.modules.iter().filter(|m| !self.cycle.contains(m)).map(|m| m.as_str()).collect();
            write!(f, "; tangled with them: {}", others.join(", "))?;
        }
        Ok(())
    }
}

/// One [`Tangle`] for each strongly connected group of two or more modules in `graph`, in a
/// stable order.
pub fn tangles(graph: &Graph) -> Vec<Tangle> {
    strongly_connected(graph)
        .into_iter()
        .filter(|group| group.len() > 1)
        .filter_map(|modules| {
            let start = modules.iter().next()?.clone();
            let cycle = cycle_within(graph, &modules, &start)?;
            let because = cycle.windows(2).map(|step| graph[&step[0]][&step[1]].clone()).collect();
            Some(Tangle { modules, cycle, because })
        })
        .collect()
}

/// A cycle from `start` back to it that stays inside `group` (which must be strongly
/// connected): a breadth-first search, so the cycle is one of the shortest.
fn cycle_within(graph: &Graph, group: &BTreeSet<String>, start: &str) -> Option<Vec<String>> {
    let mut came_from: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(module) = queue.pop_front() {
        for next in graph.get(module).into_iter().flat_map(|uses| uses.keys()) {
            if !group.contains(next) {
                continue;
            }
            if next == start {
                let mut cycle = vec![start.to_owned(), module.to_owned()];
                let mut at = module;
                while at != start {
                    at = came_from[at];
                    cycle.push(at.to_owned());
                }
                cycle.reverse();
                return Some(cycle);
            }
            if !came_from.contains_key(next.as_str()) {
                came_from.insert(next, module);
                queue.push_back(next);
            }
        }
    }
    None
}

/// The strongly connected groups of `graph` (Tarjan's algorithm, written iteratively).
fn strongly_connected(graph: &Graph) -> Vec<BTreeSet<String>> {
    let names: Vec<&String> = graph.keys().chain(graph.values().flat_map(|uses| uses.keys())).collect();
    let index_of: BTreeMap<&str, usize> = {
        let mut map = BTreeMap::new();
        for name in &names {
            let next = map.len();
            map.entry(name.as_str()).or_insert(next);
        }
        map
    };
    let mut names_by_index = vec![""; index_of.len()];
    for (name, &index) in &index_of {
        names_by_index[index] = name;
    }
    let edges: Vec<Vec<usize>> = names_by_index
        .iter()
        .map(|name| graph.get(*name).into_iter().flat_map(|uses| uses.keys()).map(|to| index_of[to.as_str()]).collect())
        .collect();

    let count = names_by_index.len();
    let (mut order, mut low) = (vec![usize::MAX; count], vec![0; count]);
    let (mut on_stack, mut stack, mut groups) = (vec![false; count], Vec::new(), Vec::new());
    let mut next_order = 0;
    for root in 0..count {
        if order[root] != usize::MAX {
            continue;
        }
        // (node, next edge to look at)
        let mut walk = vec![(root, 0)];
        order[root] = next_order;
        low[root] = next_order;
        next_order += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (node, ref mut edge)) = walk.last_mut() {
            if let Some(&next) = edges[node].get(*edge) {
                *edge += 1;
                if order[next] == usize::MAX {
                    order[next] = next_order;
                    low[next] = next_order;
                    next_order += 1;
                    stack.push(next);
                    on_stack[next] = true;
                    walk.push((next, 0));
                } else if on_stack[next] {
                    low[node] = low[node].min(order[next]);
                }
                continue;
            }
            walk.pop();
            if let Some(&(parent, _)) = walk.last() {
                low[parent] = low[parent].min(low[node]);
            }
            if low[node] == order[node] {
                let mut group = BTreeSet::new();
                while let Some(member) = stack.pop() {
                    on_stack[member] = false;
                    group.insert(names_by_index[member].to_owned());
                    if member == node {
                        break;
                    }
                }
                groups.push(group);
            }
        }
    }
    groups.sort();
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph_of(source: &str) -> Graph {
        Crate::parse(source).unwrap().graph()
    }

    fn uses(graph: &Graph, module: &str) -> Vec<String> {
        graph[module].keys().cloned().collect()
    }

    #[test]
    fn paths_are_read_in_every_form() {
        let source = "
            mod a { pub struct X; pub fn f() {} }
            mod b { pub struct Y; pub struct Z; }
            mod c { pub struct W; }
            mod d { pub fn g() {} }
            mod e { pub fn h() {} }
            mod user {
                use crate::a::X;
                use crate::{b::{Y, Z}, c};
                /// See [`crate::z`]: docs are not read.
                fn body() { let _ = crate::d::g(); tracing::info!(\"{:?}\", super::e::h()); }
            }
        ";
        let graph = graph_of(source);
        assert_eq!(uses(&graph, "crate::user"), ["crate::a", "crate::b", "crate::c", "crate::d", "crate::e"]);
    }

    #[test]
    fn a_use_group_inside_a_function_counts() {
        let graph =
            graph_of("mod a { pub fn f() {} } mod b { pub fn g() {} } mod c { fn f() { use crate::{a::f, b}; } }");
        assert_eq!(uses(&graph, "crate::c"), ["crate::a", "crate::b"]);
    }

    #[test]
    fn re_exports_are_followed_to_the_module_that_defines_the_item() {
        let source = "
            mod config {
                pub use database::Database;
                pub use self::user::*;
                mod database { pub struct Database; }
                mod user { pub struct UserConfig; use super::Database; }
                mod reader { use super::UserConfig; }
            }
            mod engine { use crate::config::Database; }
        ";
        let graph = graph_of(source);
        assert_eq!(uses(&graph, "crate::engine"), ["crate::config::database"]);
        assert_eq!(uses(&graph, "crate::config::user"), ["crate::config::database"]);
        assert_eq!(uses(&graph, "crate::config::reader"), ["crate::config::user"]);
    }

    #[test]
    fn a_module_names_a_sibling_through_an_import_of_their_parent() {
        let graph = graph_of("mod a { pub fn f() {} } mod b { use crate as root; use super::a; fn g() { a::f(); } }");
        assert_eq!(uses(&graph, "crate::b"), ["crate::a"]);
    }

    #[test]
    fn uses_of_ancestors_do_not_count_and_uses_of_children_do() {
        let source = "
            mod protocols {
                pub trait Protocol {}
                pub fn by_name() { lovense::make(); }
                mod lovense { use super::Protocol; pub fn make() {} #[cfg(test)] mod tests { use super::*; } }
            }
        ";
        let graph = graph_of(source);
        assert_eq!(uses(&graph, "crate::protocols"), ["crate::protocols::lovense"]);
        assert!(graph["crate::protocols::lovense"].is_empty());
        assert!(graph["crate::protocols::lovense::tests"].is_empty());
        assert!(Crate::parse(source).unwrap().tangles().is_empty());
    }

    #[test]
    fn other_crates_locals_and_methods_are_no_edges() {
        let source = "
            mod a { pub fn f() {} }
            mod b { use std::fmt; use serde::Deserialize as _; fn g(x: Vec<u8>) { Self::h(); x.iter::<u8>(); ::a::f(); } }
        ";
        assert!(graph_of(source)["crate::b"].is_empty());
    }

    #[test]
    fn a_cycle_through_a_re_export_is_found() {
        let source = "
            mod pipeline { pub fn run() { crate::config::Match; } }
            mod config { pub use matching::Match; mod matching { pub struct Match; fn f() { crate::pipeline::run(); } } }
        ";
        let tangles = Crate::parse(source).unwrap().tangles();
        assert_eq!(tangles.len(), 1);
        assert_eq!(tangles[0].cycle, ["crate::config::matching", "crate::pipeline", "crate::config::matching"]);
        assert_eq!(tangles[0].because, ["crate::pipeline::run", "crate::config::Match"]);
    }

    #[test]
    fn a_type_whose_module_calls_methods_written_elsewhere_uses_that_module() {
        let source = "
            mod manager { pub struct Manager; impl Manager { pub fn add(&self) { self.address_of(); } } }
            mod settings { use crate::manager::Manager; impl Manager { pub fn address_of(&self) {} } }
            mod pipeline { use crate::manager::Manager; impl Manager { pub fn attach(&self) { self.add(); } } }
        ";
        let tangles = Crate::parse(source).unwrap().tangles();
        assert_eq!(tangles.len(), 1, "{tangles:?}");
        assert_eq!(tangles[0].cycle, ["crate::manager", "crate::settings", "crate::manager"]);
        assert_eq!(tangles[0].because[0], "Manager.address_of(), written in crate::settings");
    }

    #[test]
    fn one_cycle_is_named_for_each_tangle() {
        let graph: Graph = [("a", "b"), ("b", "c"), ("c", "a"), ("d", "e"), ("e", "d"), ("e", "f"), ("f", "g")]
            .into_iter()
            .fold(Graph::new(), |mut graph, (from, to)| {
                graph.entry(from.to_owned()).or_default().insert(to.to_owned(), String::new());
                graph
            });
        let tangles = tangles(&graph);
        let cycles: Vec<&[String]> = tangles.iter().map(|tangle| tangle.cycle.as_slice()).collect();
        assert_eq!(cycles, [vec!["a", "b", "c", "a"], vec!["d", "e", "d"]]);
        assert_eq!(tangles[1].modules, BTreeSet::from(["d".to_owned(), "e".to_owned()]));
    }

    #[test]
    fn modules_declared_by_a_macro_are_read() {
        let dir = std::env::temp_dir().join(format!("module-graph-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("lib.rs"),
            "macro_rules! families { ($($f:ident),*) => { $(pub mod $f;)* } }\nfamilies! { one, two }\n",
        )
        .unwrap();
        std::fs::write(dir.join("one.rs"), "pub fn f() { crate::two::g(); }").unwrap();
        std::fs::write(dir.join("two.rs"), "pub fn g() { crate::one::f(); }").unwrap();
        let read = Crate::read(&dir.join("lib.rs"));
        std::fs::remove_dir_all(&dir).unwrap();
        let krate = read.unwrap();
        assert_eq!(krate.files().len(), 3);
        assert_eq!(krate.tangles()[0].cycle, ["crate::one", "crate::two", "crate::one"]);
    }

    #[test]
    fn a_missing_module_file_is_an_error() {
        let error = Crate::parse("mod gone;").unwrap_err();
        assert!(error.problem.contains("no file for module `gone`"), "{error}");
    }
}
