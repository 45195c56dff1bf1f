//! Routes and page components.

mod experiment_config;
mod experiment_detail;
mod experiment_graph;
mod experiment_jobs;
mod experiment_list;
mod experiment_new;
mod experiment_runs;
mod experiment_tree;
mod not_found;

use crate::components::HydrationMarker;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::{path, SsrMode};

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <HydrationScripts options />
                // The graph and tree views' elements; modules load without blocking the page.
                <script type="module" src="/graph.js"></script>
                <script type="module" src="/tree.js"></script>
                <script type="module" src="/runs.js"></script>
                <script type="module" src="/live-page.js"></script>
                <script type="module" src="/account.js"></script>
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/hindcast.css" />
        <Title formatter=|page: String| format!("{page} · Hindcast") />
        <HydrationMarker />
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <header class="topbar">
                <A href="/" attr:class="brand">
                    <span class="brand-mark" aria-hidden="true">"◆"</span>
                    "Hindcast"
                </A>
                <nav aria-label="Main">
                    <A href="/experiments">"Experiments"</A>
                    <A href="/experiments/new" attr:class="button button-primary">"New experiment"</A>
                    <a href="/v4/docs">"API"</a>
                    <hc-account></hc-account>
                </nav>
            </header>
            <main id="main" tabindex="-1">
                // Async SSR: the status (404, 422) is known before the first byte is sent.
                <Routes fallback=not_found::NotFound>
                    <Route path=path!("/") view=experiment_list::ExperimentList ssr=SsrMode::Async />
                    <Route path=path!("/experiments") view=experiment_list::ExperimentList ssr=SsrMode::Async />
                    <Route path=path!("/experiments/new") view=experiment_new::NewExperimentPage />
                    <Route path=path!("/experiments/:expid") view=experiment_detail::ExperimentDetail ssr=SsrMode::Async />
                    <Route path=path!("/experiments/:expid/config") view=experiment_config::ExperimentConfig ssr=SsrMode::Async />
                    <Route path=path!("/experiments/:expid/jobs") view=experiment_jobs::ExperimentJobs ssr=SsrMode::Async />
                    <Route path=path!("/experiments/:expid/tree") view=experiment_tree::ExperimentTree ssr=SsrMode::Async />
                    <Route path=path!("/experiments/:expid/graph") view=experiment_graph::ExperimentGraph ssr=SsrMode::Async />
                    <Route path=path!("/experiments/:expid/runs") view=experiment_runs::ExperimentRuns ssr=SsrMode::Async />
                </Routes>
            </main>
        </Router>
    }
}
