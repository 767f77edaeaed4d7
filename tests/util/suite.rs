//! The runner of every test binary that runs a suite (`harness = false`,
//! libtest-mimic): a suite is a table of (name, function), written once
//! with [`table!`](crate::table), and each binary turns the tables it runs
//! into trials. A suite function left out of its table is never used, and
//! rustc says so (dead code): no test can be forgotten unnoticed. In these
//! binaries `#[test]` does nothing: a test is a function in a table.

pub use libtest_mimic::Trial;

/// A suite: each test's name and function.
pub type Table<T> = &'static [(&'static str, T)];

/// `table![f, g]`: `&[("f", f), ("g", g)]`, each function as the table's
/// function type.
#[macro_export]
macro_rules! table {
    ($($name:ident),* $(,)?) => {
        &[$((stringify!($name), $name as _)),*]
    };
}

/// A trial of each test in `table`, named `prefix` + its name, run by `run`.
pub fn trials<T, R>(prefix: &str, table: &[(&'static str, T)], run: R) -> Vec<Trial>
where
    T: Copy + Send + 'static,
    R: Fn(T) + Clone + Send + 'static,
{
    table
        .iter()
        .map(|&(name, test)| {
            let run = run.clone();
            Trial::test(format!("{prefix}{name}"), move || {
                run(test);
                Ok(())
            })
        })
        .collect()
}

/// A trial of each test in `table`, each run as it is.
pub fn each(prefix: &str, table: Table<fn()>) -> Vec<Trial> {
    trials(prefix, table, |test: fn()| test())
}

/// Run `trials` as `cargo test` asks (filters, --list, --test-threads)
/// and exit with libtest's codes.
pub fn run(trials: Vec<Trial>) -> ! {
    libtest_mimic::run(&libtest_mimic::Arguments::from_args(), trials).exit()
}
