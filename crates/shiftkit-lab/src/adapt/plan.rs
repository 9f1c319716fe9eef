//! What `--method` and the data settle before training: the methods to train or choose
//! among (for a regression, only those that need no classes), and the CNN's input size.

use shiftkit::methods::Method;

use super::TaskKind;
use crate::cli;

/// `--method`: `auto`, one method, or a list to choose among.
#[derive(Debug, Clone, PartialEq)]
pub enum Methods {
    /// Train this method alone.
    One(Method),
    /// Choose among these (source-only always added).
    Choose(Vec<Method>),
}

/// Whether `method` trains a regression: none of its terms reads class predictions.
pub fn fits_regression(method: Method) -> bool {
    !method.terms().iter().any(|term| term.needs_classes())
}

/// `--method`'s text for `task`: `auto` (every method that fits the task), one method, or a
/// list.
///
/// # Errors
///
/// An unknown method, or (for a regression) a method that needs classes, in one line.
pub fn methods(text: &str, task: TaskKind) -> Result<Methods, String> {
    let fitting = |method: &Method| !task.is_regression() || fits_regression(*method);
    if text.trim().eq_ignore_ascii_case("auto") {
        return Ok(Methods::Choose(
            Method::ALL.iter().copied().filter(fitting).collect(),
        ));
    }
    let list = cli::list::<Method>(text)
        .map_err(|e| format!("--method {text}: {e}"))?
        .0;
    if let Some(method) = list.iter().find(|m| !fitting(m)) {
        let fit: Vec<&str> = Method::ALL
            .iter()
            .filter(|m| fits_regression(**m))
            .map(|m| m.name())
            .collect();
        return Err(format!(
            "--method {}: {} needs classes (its terms read class predictions) and --task \
             regression predicts a value; a regression trains {}",
            text.trim(),
            method.name(),
            fit.join(", ")
        ));
    }
    Ok(match list.as_slice() {
        [one] => Methods::One(*one),
        _ => Methods::Choose(list),
    })
}

/// least 4 pixels a side.
pub fn cnn_size(shape: &[usize]) -> Option<(usize, [usize; 2])> {
    let (channels, h, w) = match *shape {
        [h, w] => (1, h, w),
        [c, h, w] if c == 1 || c == 3 => (c, h, w),
        _ => return None,
    };
    (h >= 4 && w >= 4).then_some((channels, [h, w]))
}
