//! Style rules as tests: what a reviewer would otherwise have to remember.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ sits in the workspace root").to_path_buf()
}

/// Every `.rs` file under `dir`, skipping build output.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                if path.file_name().is_some_and(|name| name != "target") {
                    stack.push(path);
                }
            } else if path.extension().is_some_and(|extension| extension == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn sources(crates: &[&str]) -> Vec<(PathBuf, String)> {
    let root = root();
    crates
        .iter()
        .flat_map(|name| rust_files(&root.join(name)))
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("sources are UTF-8");
            (path, text)
        })
        .collect()
}

const ALL: [&str; 6] = ["components", "systems", "engine", "benches", "tests", "fuzz"];

#[test]
fn every_file_says_what_it_holds() {
    let undocumented: Vec<_> = sources(&ALL)
        .into_iter()
        .filter(|(_, text)| !text.trim_start().starts_with("//!"))
        .map(|(path, _)| path)
        .collect();
    assert!(undocumented.is_empty(), "files without a `//!` header: {undocumented:#?}");
}

#[test]
fn the_core_does_no_io_and_reads_no_clock() {
    // Written in pieces so this file does not trip its own check.
    let forbidden = [
        ["std::time::", "Instant"].concat(),
        ["System", "Time"].concat(),
        ["thread_", "rng"].concat(),
        ["rand::", "rng()"].concat(),
        ["std::", "fs"].concat(),
        ["std::", "net"].concat(),
        ["std::", "env"].concat(),
        ["println", "!"].concat(),
    ];
    let mut found = Vec::new();
    for (path, text) in sources(&["components", "systems"]) {
        for word in &forbidden {
            if text.contains(word.as_str()) {
                found.push(format!("{}: {word}", path.display()));
            }
        }
    }
    assert!(found.is_empty(), "components and systems are sans-IO: {found:#?}");
}

#[test]
fn nothing_that_decides_uses_a_randomly_seeded_hash_map() {
    let forbidden = [["std::collections::", "HashMap"].concat(), ["std::collections::", "HashSet"].concat()];
    let mut found = Vec::new();
    for (path, text) in sources(&["components", "systems", "engine"]) {
        for word in &forbidden {
            if text.contains(word.as_str()) {
                found.push(format!("{}: {word}", path.display()));
            }
        }
    }
    assert!(found.is_empty(), "use FxHashMap (fixed hasher) instead: {found:#?}");
}

#[test]
fn tests_neither_skip_nor_sleep_nor_expect_panics() {
    let forbidden = [["#[", "ignore"].concat(), ["#[", "should_panic"].concat(), ["thread::", "sleep"].concat()];
    let mut found = Vec::new();
    for (path, text) in sources(&ALL) {
        // Test code: the test and fuzz crates, and the `#[cfg(test)]` part of any other file (a
        // harness such as the service's load generator may wait; a test may not).
        let in_test_crate = ["tests", "fuzz"].iter().any(|name| path.starts_with(root().join(name)));
        let test_part = if in_test_crate {
            text.as_str()
        } else {
            text.find(["#[cfg(", "test)]"].concat().as_str()).map_or("", |start| &text[start..])
        };
        for word in &forbidden {
            if test_part.contains(word.as_str()) || (word.starts_with("#[") && text.contains(word.as_str())) {
                found.push(format!("{}: {word}", path.display()));
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn the_top_level_is_the_design_card() {
    let root = root();
    for entry in
        ["Cargo.toml", "engine", "systems", "components", "benches", "fuzz", "tests", "README.md", "ARCHITECTURE.md"]
    {
        assert!(root.join(entry).exists(), "missing {entry}");
    }
}

/// The top-level modules of each crate, with the other top-level modules each one names (`crate::x`)
/// outside comments.
fn module_imports(crate_dir: &str) -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
    let src = root().join(crate_dir).join("src");
    let mut graph: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> = Default::default();
    for path in rust_files(&src) {
        let relative = path.strip_prefix(&src).expect("under src");
        let first = relative.components().next().expect("a file").as_os_str().to_string_lossy().into_owned();
        let module = first.trim_end_matches(".rs").to_owned();
        if module == "lib" || module == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("sources are UTF-8");
        let imports = graph.entry(module.clone()).or_default();
        for line in text.lines().filter(|line| !line.trim_start().starts_with("//")) {
            for (position, _) in line.match_indices("crate::") {
                let name: String = line[position + "crate::".len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
                    .collect();
                if !name.is_empty() && name != module {
                    imports.insert(name);
                }
            }
        }
    }
    graph
}

#[test]
fn no_module_imports_another_that_imports_it_back() {
    for crate_dir in ["components", "systems", "engine"] {
        let graph = module_imports(crate_dir);
        // Depth-first search for a back edge; `path` is the chain of modules being visited.
        fn visit(
            module: &str,
            graph: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
            path: &mut Vec<String>,
            done: &mut std::collections::BTreeSet<String>,
        ) -> Option<Vec<String>> {
            if let Some(start) = path.iter().position(|seen| seen == module) {
                let mut circle = path[start..].to_vec();
                circle.push(module.to_owned());
                return Some(circle);
            }
            if !done.insert(module.to_owned()) {
                return None;
            }
            path.push(module.to_owned());
            for next in graph.get(module).into_iter().flatten().filter(|next| graph.contains_key(*next)) {
                if let Some(circle) = visit(next, graph, path, done) {
                    return Some(circle);
                }
            }
            path.pop();
            None
        }
        let mut done = std::collections::BTreeSet::new();
        for module in graph.keys() {
            let circle = visit(module, &graph, &mut Vec::new(), &mut done);
            assert!(circle.is_none(), "{crate_dir}: modules import each other in a circle: {:?}", circle);
        }
    }
}

#[test]
fn the_binary_only_parses_and_dispatches() {
    let main = std::fs::read_to_string(root().join("engine/src/main.rs")).expect("engine/src/main.rs");
    let code_lines =
        main.lines().filter(|line| !line.trim().is_empty() && !line.trim_start().starts_with("//")).count();
    assert!(code_lines <= 12, "engine/src/main.rs has {code_lines} lines of code; subcommands live in engine/src/cli/");
}
