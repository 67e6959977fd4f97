//! "Did you mean" for line names.

/// Levenshtein distance between two strings (by `char`): strsim's, the crate clap already
/// uses for its own suggestions.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    strsim::levenshtein(a, b)
}

/// The candidate closest to `name`, if it is close enough to be a plausible typo.
pub(crate) fn closest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let limit = (name.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| (edit_distance(name, c), c))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, c)| (d, c.to_owned()))
        .map(|(_, c)| c.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("", ""), 0);
        assert_eq!(edit_distance("led0", "led0"), 0);
        assert_eq!(edit_distance("led0", "led1"), 1);
        assert_eq!(edit_distance("led", "led0"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
    }

    #[test]
    fn suggestions() {
        let names = ["led0", "led1", "button", "relay"];
        assert_eq!(closest("led2", names), Some("led0".into()));
        assert_eq!(closest("buton", names), Some("button".into()));
        assert_eq!(closest("rely", names), Some("relay".into()));
        assert_eq!(closest("zzzzzz", names), None);
        assert_eq!(closest("x", []), None);
    }
}
