//! The backend's modules form layers and every import points down them (the order is in `src/lib.rs`):
//! no module imports one above it, and no file imports one that imports it back, directly or through
//! others. Read from the source: every `use` and every path through `crate::`, `super::` or a child
//! module is an edge from the file to the file defining the module it names.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The crate's top-level modules, lowest first; a module may import only from lower groups.
const LAYERS: &[&[&str]] = &[
    &["config", "metrics"],
    &["redis"],
    &["engine"],
    &["auth", "feed", "funds"],
    &["market_data"],
    &["http"],
    &["startup"],
];

/// A module's path (`["engine", "wire"]`) and the file defining it.
type Modules = BTreeMap<Vec<String>, PathBuf>;

fn source_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every module of the library, from `src/lib.rs` down (`main.rs` is the binary, not a module).
fn modules() -> Modules {
    let mut out = Modules::new();
    fn walk(dir: &Path, prefix: &[String], out: &mut Modules) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_stem().unwrap().to_string_lossy().to_string();
            if path.is_dir() {
                let mut p = prefix.to_vec();
                p.push(name);
                walk(&path, &p, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let mut p = prefix.to_vec();
                match name.as_str() {
                    "mod" | "lib" => {}
                    "main" if prefix.is_empty() => continue,
                    _ => p.push(name),
                }
                out.insert(p, path);
            }
        }
    }
    walk(&source_dir(), &[], &mut out);
    out
}

/// The text without comments (line comments and doc comments), so that prose naming a module is not
/// read as an import, and without its unit tests (`#[cfg(test)] mod tests { .. }`, whose `super` is the
/// file itself).
fn code_of(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = Vec::new();
    let mut in_tests = false;
    let mut previous = "";
    for line in text.lines() {
        if previous == "#[cfg(test)]" && line.starts_with("mod ") {
            in_tests = true;
        } else if in_tests && line == "}" {
            in_tests = false;
        } else if !in_tests && !line.trim_start().starts_with("//") {
            lines.push(line);
        }
        previous = line;
    }
    lines.join("\n")
}

/// The paths a `use` tree names, each with the name it is brought in under: `a::{b, c::{self as x, d}}`
/// gives `a::b` (as `b`), `a::c` (as `x`) and `a::c::d` (as `d`).
fn use_paths(tree: &str) -> Vec<(String, String)> {
    fn expand(prefix: &str, tree: &str, out: &mut Vec<(String, String)>) {
        let tree = tree.trim();
        match tree.find('{') {
            None => {
                let (path, alias) = match tree.split_once(" as ") {
                    Some((p, a)) => (p.trim(), a.trim()),
                    None => (tree, tree.rsplit("::").next().unwrap_or(tree)),
                };
                let full = match path {
                    "self" => prefix.trim_end_matches("::").to_string(),
                    _ => format!("{prefix}{path}"),
                };
                let alias = if alias == "self" {
                    full.rsplit("::").next().unwrap_or("").to_string()
                } else {
                    alias.to_string()
                };
                out.push((full, alias));
            }
            Some(open) => {
                let (head, rest) = tree.split_at(open);
                let inner = &rest[1..rest.rfind('}').unwrap()];
                let (mut depth, mut start) = (0, 0);
                for (i, c) in inner.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        ',' if depth == 0 => {
                            expand(&format!("{prefix}{}", head.trim()), &inner[start..i], out);
                            start = i + 1;
                        }
                        _ => {}
                    }
                }
                if !inner[start..].trim().is_empty() {
                    expand(&format!("{prefix}{}", head.trim()), &inner[start..], out);
                }
            }
        }
    }
    let mut out = Vec::new();
    expand("", tree, &mut out);
    out
}

/// Every path the file names that may lead to another module of the crate: its `use` trees, and in its
/// code the paths through `crate::`, `super::`, a child module or a module a `use` brought in.
fn named_paths(code: &str, children: &BTreeSet<String>) -> Vec<String> {
    let mut paths = Vec::new();
    // Names that stand for a path in the code: child modules, and what the `use`s bring in.
    let mut aliases: BTreeMap<String, String> = children.iter().map(|c| (c.clone(), c.clone())).collect();
    let mut rest = String::new();
    let mut statement: Option<String> = None;
    for line in code.lines() {
        let trimmed = line.trim_start();
        let prefixes = ["use ", "pub use ", "pub(crate) use ", "pub(super) use "];
        let starts_use = prefixes.iter().find(|p| trimmed.starts_with(**p));
        match (&mut statement, starts_use) {
            (None, Some(prefix)) => statement = Some(trimmed[prefix.len()..].to_string()),
            (Some(s), _) => {
                s.push(' ');
                s.push_str(trimmed);
            }
            (None, None) => {
                rest.push_str(line);
                rest.push('\n');
            }
        }
        if let Some(s) = &statement {
            if s.trim_end().ends_with(';') {
                for (path, alias) in use_paths(s.trim_end().trim_end_matches(';')) {
                    aliases.insert(alias, path.clone());
                    paths.push(path);
                }
                statement = None;
            }
        }
    }
    let bytes = rest.as_bytes();
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut i = 0;
    while i < bytes.len() {
        if is_ident(bytes[i]) && (i == 0 || !is_ident(bytes[i - 1]) && bytes[i - 1] != b':') {
            let start = i;
            while i < bytes.len() && (is_ident(bytes[i]) || bytes[i..].starts_with(b"::")) {
                i += if bytes[i] == b':' { 2 } else { 1 };
            }
            let path = &rest[start..i];
            if let Some((first, tail)) = path.split_once("::") {
                match first {
                    "crate" | "super" => paths.push(path.to_string()),
                    _ => {
                        if let Some(full) = aliases.get(first) {
                            paths.push(format!("{full}::{tail}"));
                        }
                    }
                }
            }
        } else {
            i += 1;
        }
    }
    paths
}

/// The module a path leads to, from the module `at`: the deepest module of the crate along it.
fn resolve(path: &str, at: &[String], modules: &Modules) -> Option<Vec<String>> {
    let mut segments = path.split("::").filter(|s| !s.is_empty() && *s != "self").peekable();
    let mut module: Vec<String> = match segments.peek() {
        Some(&"crate") => {
            segments.next();
            Vec::new()
        }
        Some(&"super") => {
            let mut m = at.to_vec();
            while segments.peek() == Some(&"super") {
                segments.next();
                m.pop();
            }
            m
        }
        _ => at.to_vec(),
    };
    for segment in segments {
        module.push(segment.to_string());
        if !modules.contains_key(&module) {
            module.pop();
            break;
        }
    }
    Some(module)
}

/// Edges between the crate's files: module → the modules it imports from (itself excluded).
fn imports(modules: &Modules) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let mut edges = BTreeMap::new();
    for (module, path) in modules {
        let children: BTreeSet<String> = modules
            .keys()
            .filter(|m| m.len() == module.len() + 1 && m.starts_with(module))
            .map(|m| m.last().unwrap().clone())
            .collect();
        let code = code_of(path);
        let targets: BTreeSet<Vec<String>> = named_paths(&code, &children)
            .iter()
            .filter_map(|p| resolve(p, module, modules))
            .filter(|t| t != module)
            .collect();
        edges.insert(module.clone(), targets);
    }
    edges
}

fn rank(module: &[String]) -> Option<usize> {
    let top = module.first()?;
    LAYERS.iter().position(|group| group.contains(&top.as_str()))
}

#[test]
fn every_top_level_module_has_a_layer() {
    for module in modules().keys().filter(|m| m.len() == 1) {
        assert!(rank(module).is_some(), "src/{}: add it to LAYERS here and to the order in lib.rs", module[0]);
    }
}

#[test]
fn no_module_imports_from_a_layer_above_its_own() {
    let modules = modules();
    let mut wrong = Vec::new();
    for (from, targets) in imports(&modules) {
        for to in targets {
            if from.first() == to.first() || to.is_empty() {
                continue;
            }
            if let (Some(a), Some(b)) = (rank(&from), rank(&to)) {
                if b >= a {
                    wrong.push(format!("{} imports {}", from.join("::"), to.join("::")));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "imports that point up or across the layers of lib.rs:\n{}", wrong.join("\n"));
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let modules = modules();
    let edges = imports(&modules);
    // Depth-first search for a cycle; the path to it is the report.
    fn visit(
        m: &Vec<String>,
        edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        state: &mut BTreeMap<Vec<String>, u8>,
        stack: &mut Vec<Vec<String>>,
    ) -> Option<Vec<Vec<String>>> {
        match state.get(m) {
            Some(2) => return None,
            Some(1) => {
                let at = stack.iter().position(|s| s == m).unwrap();
                let mut cycle = stack[at..].to_vec();
                cycle.push(m.clone());
                return Some(cycle);
            }
            _ => {}
        }
        state.insert(m.clone(), 1);
        stack.push(m.clone());
        for next in edges.get(m).into_iter().flatten() {
            if let Some(cycle) = visit(next, edges, state, stack) {
                return Some(cycle);
            }
        }
        stack.pop();
        state.insert(m.clone(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for m in edges.keys() {
        if let Some(cycle) = visit(m, &edges, &mut state, &mut Vec::new()) {
            let names: Vec<String> =
                cycle.iter().map(|m| if m.is_empty() { "crate".to_string() } else { m.join("::") }).collect();
            panic!("a cycle of imports: {}", names.join(" -> "));
        }
    }
}

#[test]
fn the_reader_sees_imports_through_use_trees_and_paths() {
    let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    };
    assert_eq!(
        use_paths("super::{a, b::{self as x, d}}"),
        pairs(&[("super::a", "a"), ("super::b", "x"), ("super::b::d", "d")])
    );
    let children = BTreeSet::from(["wire".to_string()]);
    let code = "use crate::config::Markets;\nuse super::socket as ws;\n\
                fn f() { wire::decode(x); crate::metrics::METRICS.inc(); ws::send(); other::g(); }";
    assert_eq!(
        named_paths(code, &children),
        ["crate::config::Markets", "super::socket", "wire::decode", "crate::metrics::METRICS", "super::socket::send"]
    );
}
