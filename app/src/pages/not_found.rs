use leptos::prelude::*;
use leptos_meta::Title;

/// The page for any unknown address; answers with a real 404.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found" />
        <section class="panel empty-state">
            <h1>"Page not found"</h1>
            <p>"Nothing lives at this address."</p>
            <a class="button" href="/experiments">"Back to experiments"</a>
        </section>
    }
}
