//! Reading a tracking plan file: the core compiles a plan from text it is given; the file is
//! read here, at the edge, and every error names it.

use std::path::Path;

use eventscope_core::inspect::plan::TrackingPlan;

/// Reads and compiles the plan at `path`; the error is one line naming the file.
pub fn load(path: &Path) -> Result<TrackingPlan, String> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|error| format!("{file}: cannot read the tracking plan: {error}"))?;
    TrackingPlan::parse(&text, &file).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_is_named_in_the_error() {
        let missing = load(Path::new("/nonexistent/plan.json")).unwrap_err();
        assert!(
            missing.starts_with("/nonexistent/plan.json: cannot read the tracking plan: "),
            "{missing}"
        );
        assert!(!missing.contains('\n'), "{missing}");
    }

    #[test]
    fn a_plan_file_compiles_and_is_named_by_its_path() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/plan.json");
        let plan = load(&path).unwrap();
        assert_eq!(plan.len(), 42);
        assert_eq!(plan.source(), path.display().to_string());
        let bad =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/plans/bad-pattern.json");
        let err = load(&bad).unwrap_err();
        assert!(
            err.starts_with(&format!(
                "{}: rules[1] (TRACK \"Order Completed\" v2): ",
                bad.display()
            )),
            "{err}"
        );
    }
}
