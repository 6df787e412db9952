//! Sign up, sign in, sign out; and on opening the screen, the session this browser was signed in with
//! (a reload keeps the user signed in: the session's cookie is the server's, out of scripts' reach).

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;

#[component]
pub fn Account(token: ReadSignal<Option<String>>, set_token: WriteSignal<Option<String>>) -> impl IntoView {
    let (username, set_username) = signal(String::new());
    let (password, set_password) = signal(String::new());
    let (message, set_message) = signal(None::<String>);
    let (who, set_who) = signal(String::new());
    spawn_local(async move {
        if let Some(session) = api::resume().await {
            if token.get_untracked().is_none() {
                set_who.set(session.username);
                set_token.set(Some(session.access_token));
            }
        }
    });
    let sign_in = move |register: bool| {
        let (u, p) = (username.get_untracked(), password.get_untracked());
        if u.trim().is_empty() || p.is_empty() {
            set_message.set(Some("enter a username and a password".into()));
            return;
        }
        spawn_local(async move {
            if register {
                if let Err(e) = api::register(&u, &p).await {
                    set_message.set(Some(e.detail));
                    return;
                }
            }
            match api::login(&u, &p).await {
                Ok(t) => {
                    set_message.set(None);
                    set_who.set(u);
                    set_token.set(Some(t));
                }
                Err(e) => set_message.set(Some(e.detail)),
            }
        });
    };
    let sign_out = move |_| {
        if let Some(t) = token.get_untracked() {
            spawn_local(async move { api::logout(&t).await });
        }
        set_token.set(None);
    };
    view! {
        <section class="panel account">
            <Show
                when=move || token.get().is_some()
                fallback=move || view! {
                    <h2>"Account"</h2>
                    <form class="form" on:submit=move |ev| { ev.prevent_default(); sign_in(false) }>
                        <input name="username" placeholder="username" autocomplete="username"
                            prop:value=username on:input=move |ev| set_username.set(event_target_value(&ev)) />
                        <input name="password" type="password" placeholder="password" autocomplete="current-password"
                            prop:value=password on:input=move |ev| set_password.set(event_target_value(&ev)) />
                        <div class="buttons">
                            <button type="submit" class="primary" name="login">"Log in"</button>
                            <button type="button" name="register" on:click=move |_| sign_in(true)>"Register"</button>
                        </div>
                        <Show when=move || message.get().is_some()>
                            <p class="error">{move || message.get()}</p>
                        </Show>
                    </form>
                }
            >
                <div class="signed-in">
                    <span>"Signed in as "<b>{move || who.get()}</b></span>
                    <button name="logout" on:click=sign_out>"Log out"</button>
                </div>
            </Show>
        </section>
    }
}
