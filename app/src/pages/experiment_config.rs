//! An experiment's configuration: one form per YAML file (checked on save), a form to add a
//! file, and downloads.

use crate::components::{ErrorNotice, ExperimentHeader, ExperimentTab};
use crate::workflow::server_fns::{get_config, DeleteConfigFile, SaveConfigFile};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn ExperimentConfig() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let expid = Memo::new(move |_| params.get().get("expid").unwrap_or_default());
    // Where an upload (a plain form, see below) sends the browser back with its outcome.
    let upload_outcome = move || {
        let q = query.get();
        let (class, role, text) = match (q.get("uploaded"), q.get("upload_error")) {
            (_, Some(message)) => ("notice notice-error", "alert", format!("Upload refused: {message}")),
            (Some(count), None) => ("notice notice-ok", "status", format!("Uploaded {count} file(s).")),
            (None, None) => return None,
        };
        Some(view! { <p class=class role=role id="upload-outcome">{text}</p> })
    };
    let add = ServerAction::<SaveConfigFile>::new();
    let delete = ServerAction::<DeleteConfigFile>::new();
    // Only adding or removing a file changes the list; saving one file leaves the others'
    // unsaved edits alone.
    let changes = RwSignal::new(0u32);
    Effect::new(move |_| {
        if matches!(add.value().get(), Some(Ok(_))) || matches!(delete.value().get(), Some(Ok(_))) {
            changes.update(|n| *n += 1);
        }
    });
    let config = crate::codec::page_resource(move || (expid.get(), changes.get()), |(id, _)| get_config(id));
    let delete_error = move || delete.value().get().and_then(Result::err);
    view! {
        {move || view! { <ExperimentHeader expid=expid.get() current=ExperimentTab::Configuration /> }}
        <div class="page-head">
            <h1>"Configuration"</h1>
        </div>
        <p class="lead">
            "Autosubmit 4 YAML files, merged in name order (later keys win). Each file is checked when saved; "
            "generate the graph from the Overview tab."
        </p>
        {upload_outcome}
        {move || delete_error().map(|error| view! { <ErrorNotice error /> })}
        <Transition fallback=|| view! { <p class="loading">"Loading configuration…"</p> }>
            {move || Suspend::new(async move {
                match config.await {
                    Ok(files) => {
                        let expid = expid.get_untracked();
                        let empty = files.files.is_empty();
                        // A fixed text: leptos_meta reads the title after the page's signals
                        // are gone, so it must not read them.
                        let title = format!("{expid} configuration");
                        view! {
                            <Title text=title />
                            {empty.then(|| view! {
                                <section class="panel empty-state" id="no-files">
                                    <h2>"No configuration yet"</h2>
                                    <p>"Add expdef.yml, jobs.yml and the other files below, or PUT them through the API."</p>
                                </section>
                            })}
                            {files.files.into_iter().map(|(name, content)| view! {
                                <ConfigFileForm expid=expid.clone() name content delete />
                            }).collect_view()}
                        }.into_any()
                    }
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
        <section class="panel">
            <h2>"Upload files"</h2>
            // A plain multipart form to the API: it works without JavaScript and the server
            // sends the browser back here with the outcome.
            <form class="form" id="upload-files" method="post" enctype="multipart/form-data"
                action=move || format!("/v4/experiments/{}/config/files", expid.get())>
                <div class="field">
                    <label for="upload-input">"YAML files"</label>
                    <input id="upload-input" type="file" name="files" multiple accept=".yml,.yaml" required />
                    <small>"Files of the same name are replaced; the others stay. All are checked together, and nothing is stored if one is refused."</small>
                </div>
                <div class="actions">
                    <button type="submit" class="button">"Upload"</button>
                </div>
            </form>
        </section>
        <section class="panel">
            <h2>"Add a file"</h2>
            <ActionForm action=add attr:class="form" attr:id="add-file">
                {move || add.value().get().and_then(Result::err).map(|error| view! { <ErrorNotice error /> })}
                <input type="hidden" name="expid" value=move || expid.get() />
                <div class="field">
                    <label for="new-name">"File name"</label>
                    <input id="new-name" name="name" required placeholder="jobs.yml" pattern="[A-Za-z0-9_][A-Za-z0-9._-]*\\.(yml|yaml)" />
                    <small>"Letters, digits, '.', '_' or '-', ending in .yml or .yaml. A file of the same name is replaced."</small>
                </div>
                <div class="field config-file">
                    <label for="new-content">"Content"</label>
                    <textarea id="new-content" name="content" rows="12" spellcheck="false"></textarea>
                </div>
                <div class="actions">
                    <button type="submit" class="button button-primary" disabled=add.pending()>"Add file"</button>
                </div>
            </ActionForm>
        </section>
    }
}

#[component]
fn ConfigFileForm(expid: String, name: String, content: String, delete: ServerAction<DeleteConfigFile>) -> impl IntoView {
    let save = ServerAction::<SaveConfigFile>::new();
    let pending = save.pending();
    let id = format!("file-{}", name.replace('.', "-"));
    let (title_id, content_id) = (format!("{id}-title"), format!("{id}-content"));
    let (labelled_by, content_for) = (title_id.clone(), content_id.clone());
    let download = format!("/v4/experiments/{expid}/config/files/{name}");
    let rows = content.lines().count().clamp(8, 40);
    let (remove_label, content_label) = (format!("Remove {name}"), format!("Content of {name}"));
    let (expid_for_delete, name_for_delete) = (expid.clone(), name.clone());
    let (name_shown, name_download) = (name.clone(), name.clone());
    view! {
        <section class="panel config-file" id=id aria-labelledby=labelled_by>
            <h2>
                <span class="mono" id=title_id>{name_shown}</span>
                <span class="actions">
                    <a class="button" href=download download=name_download>"Download"</a>
                    <ActionForm action=delete>
                        <input type="hidden" name="expid" value=expid_for_delete />
                        <input type="hidden" name="name" value=name_for_delete />
                        <button type="submit" class="button" aria-label=remove_label>"Remove"</button>
                    </ActionForm>
                </span>
            </h2>
            <ActionForm action=save attr:class="form">
                {move || match save.value().get() {
                    Some(Err(error)) => Some(view! { <ErrorNotice error /> }.into_any()),
                    Some(Ok(_)) => Some(view! { <p class="notice notice-ok" role="status">"Saved."</p> }.into_any()),
                    None => None,
                }}
                <input type="hidden" name="expid" value=expid />
                <input type="hidden" name="name" value=name />
                <label class="visually-hidden" for=content_for>{content_label}</label>
                <textarea id=content_id name="content" rows=rows spellcheck="false">{content}</textarea>
                <div class="actions">
                    <button type="submit" class="button button-primary" disabled=pending>
                        {move || if pending.get() { "Saving…" } else { "Save" }}
                    </button>
                </div>
            </ActionForm>
        </section>
    }
}
