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
    assert_eq!(
        out.code, 0,
        "missive demo failed:\n{}\n{}",
        out.stdout, out.stderr
    );
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

impl Ran {
    /// The first verdict line of `missive verify` output (after any "Trusted roster" line).
    pub fn verdict(&self) -> &str {
        self.stdout
            .lines()
            .find(|l| {
                ["AUTHENTIC", "ALTERED", "NOT SIGNED", "UNKNOWN"]
                    .iter()
                    .any(|v| l.starts_with(v))
            })
            .unwrap_or_default()
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// A private copy of a fixture folder under `tests/fixtures/`.
pub struct Fixture(tempfile::TempDir);

pub fn fixture(name: &str) -> Fixture {
    let tmp = tempfile::tempdir().expect("tempdir");
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    copy_dir(&src, tmp.path());
    Fixture(tmp)
}

impl Fixture {
    pub fn at(&self, rel: &str) -> String {
        self.0.path().join(rel).display().to_string()
    }

    /// Signs the fixture letter with every key in `keys/` and publishes it to `bundle/`.
    pub fn publish(&self, only: &str) {
        for entry in std::fs::read_dir(self.0.path().join("keys"))
            .expect("keys")
            .flatten()
        {
            if entry.path().extension().is_some_and(|e| e == "key") {
                let out = run(&[
                    "sign",
                    &self.at("letter"),
                    "--key",
                    &entry.path().display().to_string(),
                ]);
                assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
            }
        }
        let out = run(&[
            "publish",
            &self.at("letter"),
            "--out",
            &self.at("bundle"),
            "--only",
            only,
        ]);
        assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    }
}
