//! The engine's Lua passes luacheck (settings in `.luacheckrc`): no undefined, unused or shadowed
//! variable, lines within 120 characters. The Function library is checked as Redis loads it,
//! assembled (its files share locals), and each warning is reported at its own file and line.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `library.lua:<line>` as `lua/<file>.lua:<line>`: each source file appears verbatim in the library.
fn source_line(library: &str, line: usize) -> String {
    let lua = root().join("lua");
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(&lua).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_file()).collect();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        if let Some(at) = library.find(&text) {
            let first = library[..at].matches('\n').count() + 1;
            let lines = text.matches('\n').count();
            if (first..first + lines).contains(&line) {
                return format!("lua/{}:{}", file.file_name().unwrap().to_string_lossy(), line - first + 1);
            }
        }
    }
    format!("library line {line} (the assembly's own code)")
}

#[test]
fn the_lua_library_and_scripts_pass_luacheck() {
    let library = &*backend::engine::library::LIBRARY;
    let dir = root().join("target/lua-lint");
    std::fs::create_dir_all(&dir).unwrap();
    let assembled = dir.join("library.lua");
    std::fs::write(&assembled, library).unwrap();
    let out = Command::new("luacheck")
        .current_dir(root())
        .args(["--config", ".luacheckrc", "--formatter", "plain", "--codes", "--no-color"])
        .arg(&assembled)
        .args(["lua/accounts", "tools/yardstick/seed_layout_match.lua"])
        .output()
        .expect("luacheck runs (scripts/prereqs.sh --test installs Debian's lua-check)");
    let report: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| match l.split_once("library.lua:") {
            Some((_, rest)) => {
                let (line, message) = rest.split_once(':').unwrap_or((rest, ""));
                format!("{}:{message}", source_line(library, line.parse().unwrap_or(0)))
            }
            None => l.to_string(),
        })
        .collect();
    assert!(out.status.success(), "luacheck:\n{}\n{}", report.join("\n"), String::from_utf8_lossy(&out.stderr));
}
