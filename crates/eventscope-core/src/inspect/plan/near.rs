//! "Did you mean": the planned name nearest to one the plan does not know, ignoring case,
//! spacing and punctuation first, then within a small edit distance (`Product Viewd` →
//! `Product Viewed`).

/// Lowercase letters and digits only: `Order completed` ~ `order_completed` ~ `OrderCompleted`.
pub(super) fn fold(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The candidate nearest to `name`: equal once folded, else the fewest edits (a transposition
/// counts as one) on the folded names, at most 2 and at most a third of the name's length.
/// Ties go to the alphabetically first candidate, so the answer does not depend on map order.
pub(super) fn nearest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let folded = fold(name);
    let limit = (folded.len() / 3).min(2);
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        let other = fold(candidate);
        // Each edit changes the length by at most one: most candidates end here.
        if other.len().abs_diff(folded.len()) > limit {
            continue;
        }
        let distance = strsim::osa_distance(&folded, &other);
        if distance > limit {
            continue;
        }
        let better = match best {
            None => true,
            Some((d, c)) => distance < d || (distance == d && candidate < c),
        };
        if better {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::nearest;

    #[test]
    fn case_spacing_and_small_typos_find_the_planned_name() {
        let plan = ["Product Viewed", "Product Added", "Order Completed"];
        for typed in [
            "product viewed",
            "ProductViewed",
            "Product Viewd",
            "product_viewed",
            "Prodcut Viewed",
        ] {
            assert_eq!(nearest(typed, plan), Some("Product Viewed"), "{typed}");
        }
        assert_eq!(nearest("Signed Up", plan), None);
        assert_eq!(
            nearest("ab", ["ac"]),
            None,
            "short names need an exact fold"
        );
    }
}
