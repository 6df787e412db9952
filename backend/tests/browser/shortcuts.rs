//! The keyboard shortcuts (issue 26): B and S choose the side, F goes to the quantity, Esc clears the
//! form, `?` lists them; letters typed in a field stay text.

use super::*;

/// A key pressed with the focus where it is (the screen listens on the window).
async fn press(c: &Client, key: &str) {
    let script = "const target = document.activeElement || document.body;
        target.dispatchEvent(new KeyboardEvent('keydown', {key: arguments[0], bubbles: true}));";
    c.execute(script, vec![serde_json::json!(key)]).await.unwrap();
}

async fn focused_name(c: &Client) -> String {
    let name = c.execute("return document.activeElement && document.activeElement.name || '';", vec![]).await.unwrap();
    name.as_str().unwrap_or("").to_string()
}

#[tokio::test]
async fn the_keys_choose_the_side_go_to_the_quantity_and_clear_the_form() {
    let (url, _app) = spawn_app().await;
    let (_driver, port) = start_driver().await;
    let c = browser(port, 1280, 900).await;
    sign_up(&c, &url, "kay").await;
    press(&c, "s").await;
    wait_text(&c, "button[name=place]", |t| t.starts_with("Sell")).await;
    press(&c, "b").await;
    wait_text(&c, "button[name=place]", |t| t.starts_with("Buy")).await;
    fill(&c, "input[name=price]", "100.00").await;
    // F: to the quantity; there, letters are text and not shortcuts.
    click(&c, "h2").await;
    press(&c, "f").await;
    assert_eq!(focused_name(&c).await, "quantity");
    press(&c, "s").await;
    wait_text(&c, "button[name=place]", |t| t.starts_with("Buy")).await;
    fill(&c, "input[name=quantity]", "0.5").await;
    // Esc clears the form.
    press(&c, "Escape").await;
    wait_value(&c, "input[name=price]", "").await;
    wait_value(&c, "input[name=quantity]", "").await;
    // ? lists them; Esc closes the list.
    click(&c, "h2").await;
    press(&c, "?").await;
    wait_text(&c, ".shortcuts", |t| t.contains("go to the quantity") && t.contains("Esc")).await;
    press(&c, "Escape").await;
    wait_gone(&c, ".shortcuts").await;
    click(&c, "button[name=shortcuts]").await;
    wait_text(&c, ".shortcuts", |t| t.contains("show or hide this list")).await;
    click(&c, "button[name=close_shortcuts]").await;
    wait_gone(&c, ".shortcuts").await;
}
