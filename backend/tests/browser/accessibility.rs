//! The screen checked by axe-core (issue 26: WCAG AA), run inside the page as a person's browser
//! would render it: no serious or critical violation signed out, signed in with orders, trades and
//! funds in every activity tab, at desktop size and in every view of the phone's layout.
//! `scripts/prereqs.sh --test` fetches axe-core (its version pinned there) from the npm registry.

use super::*;

/// axe-core's script, as prereqs.sh left it.
fn axe_source() -> String {
    let path = testkit::app::ui_dir().join("../target/axe-core/axe.min.js");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (scripts/prereqs.sh --test fetches axe-core)", path.display()))
}

/// The serious and critical violations axe finds in the page as it stands, one line each.
async fn violations(c: &Client, axe: &str) -> Vec<String> {
    // (Loaded once per page: it defines window.axe.)
    let loaded = c.execute("return typeof window.axe === 'object'", vec![]).await.unwrap();
    if loaded != serde_json::json!(true) {
        c.execute(axe, vec![]).await.unwrap();
    }
    let run = "const done = arguments[arguments.length - 1];
        axe.run(document, {resultTypes: ['violations']})
          .then(r => done(r.violations
            .filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => v.impact + ' ' + v.id + ': ' + v.help + ' at ' +
                 v.nodes.slice(0, 4).map(n => n.target.join(' ') + ' (' + (n.failureSummary || '').replace(/\\s+/g, ' ') + ')').join('; '))))
          .catch(e => done(['axe failed: ' + e]));";
    let found = c.execute_async(run, vec![]).await.unwrap();
    found.as_array().unwrap().iter().map(|v| v.as_str().unwrap_or_default().to_string()).collect()
}

async fn assert_clean(c: &Client, axe: &str, what: &str, found: &mut Vec<String>) {
    for v in violations(c, axe).await {
        found.push(format!("{what}: {v}"));
    }
}

#[tokio::test]
async fn the_screen_has_no_serious_accessibility_violations() {
    let axe = axe_source();
    let (url, app) = spawn_app().await;
    // A market with a book and a trade; a user with an open order, a closed one, a fill and funds.
    let (bob, carol) = (app.user("bob").await, app.user("carol").await);
    app.limit(&bob, "sell", "0.01", "48500").await;
    app.limit(&carol, "buy", "0.01", "48500").await;
    app.limit(&bob, "sell", "0.02", "49000").await;
    app.limit(&bob, "buy", "0.03", "48000").await;
    let (_driver, port) = start_driver().await;
    let mut found = Vec::new();

    let c = browser(port, 1440, 900).await;
    c.goto(&url).await.unwrap();
    wait_text(&c, ".ladder.asks", |t| t.contains("49,000.00")).await;
    wait_text(&c, ".tape", |t| t.contains("48,500.00")).await;
    assert_clean(&c, &axe, "signed out", &mut found).await;
    fill(&c, "input[name=username]", "bob").await;
    fill(&c, "input[name=password]", "password-of-bob").await;
    click(&c, "button[name=login]").await;
    wait_text(&c, ".signed-in", |t| t.contains("bob")).await;
    wait_text(&c, "button[name=tab-open]", |t| t == "Open orders (2)").await;
    assert_clean(&c, &axe, "signed in, open orders", &mut found).await;
    for tab in ["history", "trades", "funds"] {
        click(&c, &format!("button[name=tab-{tab}]")).await;
        wait_text(&c, &format!(".tab-panel.{tab} .row"), |t| !t.is_empty()).await;
        assert_clean(&c, &axe, &format!("signed in, {tab} tab"), &mut found).await;
    }
    // An error under the form, the sell side and the shortcuts' list.
    click(&c, "button[name=sell]").await;
    fill(&c, "input[name=price]", "abc").await;
    click(&c, "button[name=place]").await;
    wait_text(&c, ".entry .error", |t| !t.is_empty()).await;
    click(&c, "button[name=shortcuts]").await;
    assert_clean(&c, &axe, "an error and the shortcuts", &mut found).await;
    c.close().await.unwrap();

    let phone = browser(port, 390, 844).await;
    phone.goto(&url).await.unwrap();
    wait_text(&phone, ".status", |t| t.contains("live")).await;
    for view in ["chart", "book", "trades", "trade"] {
        click(&phone, &format!("button[name=show-{view}]")).await;
        assert_clean(&phone, &axe, &format!("phone, {view}"), &mut found).await;
    }
    phone.close().await.unwrap();
    assert!(found.is_empty(), "axe-core found:\n{}", found.join("\n"));
}
