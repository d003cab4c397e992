//! Shared helpers: running the binary, and one demo coalition built once per test run.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

/// The `missive` binary, with no password or log settings inherited from the caller.
pub fn missive() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_missive"));
    cmd.env_remove("MISSIVE_KEY_PASSWORD")
        .env_remove("MISSIVE_LOG")
        .env_remove("MISSIVE_DATABASE_URL");
    cmd
}

/// Stdout and stderr of a finished command, as text.
pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn ran(output: Output) -> Ran {
    Ran {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs `missive` with arguments.
pub fn run(args: &[&str]) -> Ran {
    ran(missive().args(args).output().expect("run missive"))
}

/// Runs `missive` with arguments and standard input.
pub fn run_with_stdin(args: &[&str], stdin: &str) -> Ran {
    ran(missive()
        .args(args)
        .write_stdin(stdin.as_bytes().to_vec())
        .output()
        .expect("run missive"))
}

/// The demo's folders.
pub struct Demo {
    pub root: PathBuf,
    pub bundle: PathBuf,
    pub roster: PathBuf,
    pub keys: PathBuf,
    pub letter: PathBuf,
}

impl Demo {
    fn at(root: &Path) -> Self {
        Self {
            root: root.to_owned(),
            bundle: root.join("bundle"),
            roster: root.join("coalition/roster.toml"),
            keys: root.join("keys"),
            letter: root.join("letter"),
        }
    }

    pub fn roster_arg(&self) -> String {
        self.roster.display().to_string()
    }

    pub fn signed_text(&self, lang: &str) -> String {
        std::fs::read_to_string(self.bundle.join(lang).join("letter.txt")).expect("letter.txt")
    }
}

/// A demo built once for the whole test run (read-only: copy it before changing anything).
pub fn demo() -> &'static Demo {
    static DEMO: OnceLock<Demo> = OnceLock::new();
    DEMO.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir").keep().join("demo");
        build_demo(&dir)
    })
}

/// A fresh demo of one's own, to change.
pub fn own_demo() -> (tempfile::TempDir, Demo) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let demo = build_demo(&tmp.path().join("demo"));
    (tmp, demo)
}

fn build_demo(dir: &Path) -> Demo {
    let out = run(&["demo", "--no-serve", "--dir", &dir.display().to_string()]);
    assert_eq!(out.code, 0, "missive demo failed:\n{}\n{}", out.stdout, out.stderr);
    Demo::at(dir)
}

/// Writes `text` into a new file in `dir` and returns its path as a string.
pub fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path.display().to_string()
}

/// Every file under `dir`, relative, sorted.
pub fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else if let Ok(rel) = e.path().strip_prefix(dir) {
                out.push(rel.display().to_string());
            }
        }
    }
    out.sort();
    out
}
