//! A small command-line parser: `--name value`, `--name=value` and bare flags, a generated
//! `--help`, and clear errors (exit status 2) for anything the user got wrong.

#![allow(dead_code)]
// shared by two examples, each of which uses a subset
// A command-line program talks to its user on stdout and stderr.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::fmt::Display;
use std::str::FromStr;

/// One option of a program.
pub struct Opt {
    /// The name, without the leading `--`.
    pub name: &'static str,
    /// The placeholder of its value in the help (`"N"`), or `None` for a flag.
    pub value: Option<&'static str>,
    /// One line of help, defaults included.
    pub help: &'static str,
}

impl Opt {
    /// An option that takes a value, shown as `placeholder` in the help.
    pub const fn value(name: &'static str, placeholder: &'static str) -> Self {
        Self {
            name,
            value: Some(placeholder),
            help: "",
        }
    }

    /// An option that takes no value.
    pub const fn flag(name: &'static str) -> Self {
        Self {
            name,
            value: None,
            help: "",
        }
    }

    /// The option with its line of help.
    pub const fn help(self, help: &'static str) -> Self {
        Self { help, ..self }
    }
}

/// A program's name, what it does, and its options (`--help` is added).
pub struct Cli {
    pub program: &'static str,
    pub about: &'static str,
    pub options: &'static [Opt],
}

/// What the command line said: each option given, with its value (flags have an empty one).
pub struct Matches {
    given: Vec<(&'static str, String)>,
}

impl Cli {
    /// Parses the process's arguments. Prints the help and exits with status 0 on `--help`;
    /// prints an error and exits with status 2 on an unknown option, a missing value or a
    /// stray argument.
    pub fn parse(&self) -> Matches {
        let args: Vec<String> = std::env::args().skip(1).collect();
        if args.iter().any(|a| a == "--help" || a == "-h") {
            print!("{}", self.usage());
            std::process::exit(0);
        }
        self.parse_from(args)
            .unwrap_or_else(|message| fail(message))
    }

    /// Parses `args` (without the program name).
    pub fn parse_from(&self, args: Vec<String>) -> Result<Matches, String> {
        let mut given = Vec::new();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let Some(body) = arg.strip_prefix("--") else {
                return Err(format!("unexpected argument `{arg}`"));
            };
            let (name, inline) = match body.split_once('=') {
                Some((name, value)) => (name, Some(value.to_string())),
                None => (body, None),
            };
            let Some(opt) = self.options.iter().find(|o| o.name == name) else {
                return Err(format!("unknown option `--{name}`"));
            };
            let value = match (opt.value, inline) {
                (None, None) => String::new(),
                (None, Some(_)) => return Err(format!("`--{name}` takes no value")),
                (Some(_), Some(value)) => value,
                (Some(placeholder), None) => args
                    .next()
                    .filter(|v| !v.starts_with("--"))
                    .ok_or_else(|| format!("`--{name}` needs a value ({placeholder})"))?,
            };
            given.push((opt.name, value));
        }
        Ok(Matches { given })
    }

    /// The help text: usage, description, and one line per option.
    pub fn usage(&self) -> String {
        let mut text = format!(
            "{}\n\nUsage: cargo run --release -p shiftkit --example {} -- [OPTIONS]\n\nOptions:\n",
            self.about, self.program
        );
        let column = |o: &Opt| match o.value {
            Some(value) => format!("--{} {value}", o.name),
            None => format!("--{}", o.name),
        };
        let width = self
            .options
            .iter()
            .map(|o| column(o).len())
            .max()
            .unwrap_or(0);
        for option in self.options {
            text += &format!("  {:width$}  {}\n", column(option), option.help);
        }
        text += &format!("  {:width$}  print this help\n", "--help");
        text
    }
}

impl Matches {
    /// Whether the option was given.
    pub fn has(&self, name: &str) -> bool {
        self.given.iter().any(|(n, _)| *n == name)
    }

    /// The value of the option (the last one, if repeated), parsed; `None` when absent.
    /// Exits with status 2 and a clear message when the value does not parse.
    pub fn get<T: FromStr>(&self, name: &str) -> Option<T>
    where
        T::Err: Display,
    {
        let (_, text) = self.given.iter().rev().find(|(n, _)| *n == name)?;
        Some(
            text.parse()
                .unwrap_or_else(|e| fail(format!("invalid value `{text}` for --{name}: {e}"))),
        )
    }

    /// A comma-separated list (`0,1,2`), each item parsed; `all` gives `all`. Repeats are
    /// dropped. Exits with status 2 when an item does not parse or the list is empty.
    pub fn list<T: FromStr + PartialEq + Clone>(&self, name: &str, all: &[T]) -> Option<Vec<T>>
    where
        T::Err: Display,
    {
        let (_, text) = self.given.iter().rev().find(|(n, _)| *n == name)?;
        let mut items: Vec<T> = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let new: Vec<T> = if part.eq_ignore_ascii_case("all") {
                all.to_vec()
            } else {
                match part.parse() {
                    Ok(item) => vec![item],
                    Err(e) => fail(format!("invalid item `{part}` in --{name}: {e}")),
                }
            };
            for item in new {
                if !items.contains(&item) {
                    items.push(item);
                }
            }
        }
        if items.is_empty() {
            fail(format!("--{name} is empty"));
        }
        Some(items)
    }
}

/// Prints `error: message` and a pointer to `--help` on stderr, and exits with status 2.
pub fn fail(message: impl Display) -> ! {
    eprintln!("error: {message}\n(run with --help to see every option)");
    std::process::exit(2)
}
