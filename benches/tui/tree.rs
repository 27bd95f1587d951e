//! The Pretty tree: frame time with an ~80-line e-commerce order selected among the retained
//! events while the cursor walks it and folds and unfolds what is beside it (part 1's app), and
//! the cost of one fold or unfold on a 10,000-line payload (part `fold`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use eventscope::model::pretty::pretty;
use eventscope::model::{EventFrame, Frame};
use eventscope::tui::action::Action;
use eventscope::tui::app::{App, Focus, Tab};
use eventscope::tui::highlight::{HighlightKey, Highlighted, highlight_doc};
use eventscope::tui::tree::{Folds, containers};
use eventscope::tui::views;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::value::RawValue;

use crate::figures::{Percentiles, goal, percentiles};
use crate::{Config, settle};

/// An order with `products` products (each 10 lines pretty-printed) and a browser context.
pub fn order(products: usize) -> String {
    let items: Vec<String> = (0..products)
        .map(|i| {
            format!(
                r#"{{"product_id":"p-{i}","sku":"SKU-{i:05}","name":"Item {i}","price":{}.99,"quantity":{},"category":"Games","url":"https://shop.example/p/{i}","image_url":"https://shop.example/p/{i}.jpg"}}"#,
                10 + i % 90,
                1 + i % 3
            )
        })
        .collect();
    format!(
        r#"{{"type":"track","event":"Order Completed","userId":"user_42","anonymousId":"anon-1","messageId":"m-order","timestamp":"2026-11-22T10:00:00.100Z","properties":{{"order_id":"ord_1","checkout_id":"chk_1","total":42.50,"revenue":40.00,"shipping":2.50,"tax":0,"discount":0,"coupon":"NONE","currency":"USD","products":[{}]}},"context":{{"ip":"203.0.113.7","locale":"en-US","userAgent":"Mozilla/5.0","library":{{"name":"analytics.js","version":"next-1.70.0"}},"page":{{"path":"/checkout","url":"https://shop.example/checkout","title":"Checkout","referrer":""}}}}}}"#,
        items.join(",")
    )
}

/// Draw times with the order selected in `app` (holding part 1's events), its tree focused,
/// while the cursor moves through it and `H`/`L` fold and unfold the containers beside it.
pub fn tree_frames(
    app: &mut App,
    terminal: &mut Terminal<TestBackend>,
    config: &Config,
) -> anyhow::Result<Percentiles> {
    let text = order(5);
    let lines = pretty(&text).lines.len();
    let seq = app.store.len() as u64 + 1;
    let raw = RawValue::from_string(text).context("the order is JSON")?;
    app.ingest(
        vec![Frame::Event(EventFrame::from_plain(seq, raw, "bench"))],
        Instant::now(),
    );
    app.update(Action::Live);
    app.focus = Focus::Detail;
    app.detail.tab = Tab::Pretty;
    let Some((id, doc)) = app.detail.doc.clone() else {
        bail!("the order is not laid out");
    };
    let highlighted = Highlighted {
        key: HighlightKey {
            id,
            theme: app.theme.name.clone(),
        },
        lines: Arc::new(highlight_doc(&doc, &app.theme)),
        doc,
    };
    let script = [
        Action::Down,
        Action::Down,
        Action::Down,
        Action::FoldSiblings,
        Action::UnfoldSiblings,
    ];
    let mut times = Vec::with_capacity(config.draws);
    let warmup = 20;
    for i in 0..warmup + config.draws {
        // Down through the order, then back to the top.
        let action = if i % lines == lines - 1 {
            Action::Top
        } else {
            script[i % script.len()]
        };
        app.update(action);
        let started = Instant::now();
        terminal.draw(|f| {
            views::draw(f, app, Some(&highlighted));
        })?;
        if i >= warmup {
            times.push(started.elapsed());
        }
    }
    let screen = format!("{:?}", terminal.backend());
    if !screen.contains("\"products\": [") {
        bail!("the order's tree is not on screen:\n{screen}");
    }
    let draw = percentiles(&times);
    println!(
        "  the Pretty tree of a {lines}-line order (cursor moving, H/L folding beside it), {} draws: median {:.3} ms, p99 {:.3} ms (goal median < 2 ms: {})",
        config.draws,
        draw.p50,
        draw.p99,
        goal(draw.p50 < 2.0)
    );
    Ok(draw)
}

/// Folds every container of a 10,000-line order one by one, then unfolds them one by one;
/// the mean and the slowest time of one fold or unfold, in ms.
pub fn fold_time(config: &Config) -> anyhow::Result<(f64, f64)> {
    let text = order(1_000);
    let doc = pretty(&text);
    settle(
        config,
        &format!(
            "Fold: every container of a {}-line order, folded then unfolded one at a time",
            doc.lines.len()
        ),
    );
    let opening: Vec<usize> = containers(&doc).collect();
    let mut folds = Folds::new(1, &doc);
    let mut times: Vec<Duration> = Vec::with_capacity(opening.len() * 2);
    for fold in [true, false] {
        for line in &opening {
            let started = Instant::now();
            folds.set(&doc, *line, fold);
            times.push(started.elapsed());
        }
    }
    if folds.any() {
        bail!("a container stayed folded");
    }
    let each = percentiles(&times);
    println!(
        "  {} folds and unfolds of {} containers: mean {:.4} ms, p99 {:.4} ms, max {:.4} ms (goal < 5 ms: {})",
        times.len(),
        opening.len(),
        each.mean,
        each.p99,
        each.max,
        goal(each.max < 5.0)
    );
    Ok((each.mean, each.max))
}
