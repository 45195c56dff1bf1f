//! Creating an experiment. A plain form underneath, so it works before and without wasm.

use crate::components::ErrorNotice;
use crate::experiment::server_fns::CreateExperiment;
use crate::experiment::ExperimentKind;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NewExperimentPage() -> impl IntoView {
    let create = ServerAction::<CreateExperiment>::new();
    let pending = create.pending();
    let error = move || create.value().get().and_then(Result::err);
    view! {
        <Title text="New experiment" />
        <div class="page-head">
            <h1>"New experiment"</h1>
        </div>
        <ActionForm action=create attr:class="panel form" attr:id="new-experiment">
            {move || error().map(|error| view! { <ErrorNotice error /> })}
            <div class="field">
                <label for="n-description">"Description" <span class="required">"required"</span></label>
                <textarea id="n-description" name="description" rows="3" required maxlength="1000"
                    aria-describedby="n-description-help"></textarea>
                <small id="n-description-help">"What this experiment is for, in up to 1000 characters."</small>
            </div>
            <fieldset class="field">
                <legend>"Kind"</legend>
                <div class="choices">
                    {ExperimentKind::ALL.map(|k| {
                        let id = format!("n-kind-{}", k.as_str());
                        let label_for = id.clone();
                        view! {
                            <label class="choice" for=label_for>
                                <input type="radio" id=id name="kind" value=k.as_str()
                                    checked=k == ExperimentKind::default() />
                                <span>{k.label()}</span>
                                <small class="mono">{format!("{}000…", k.id_prefix())}</small>
                            </label>
                        }
                    })}
                </div>
            </fieldset>
            <div class="field-row">
                <div class="field">
                    <label for="n-hpc">"HPC"</label>
                    <input id="n-hpc" name="hpc" placeholder="e.g. MARENOSTRUM5" maxlength="200" />
                </div>
                <div class="field">
                    <label for="n-model">"Model"</label>
                    <input id="n-model" name="model" placeholder="e.g. EC-Earth4" maxlength="200" />
                </div>
                <div class="field">
                    <label for="n-branch">"Branch"</label>
                    <input id="n-branch" name="branch" placeholder="e.g. main" maxlength="200" />
                </div>
            </div>
            <div class="actions">
                <button type="submit" class="button button-primary" disabled=pending>
                    {move || if pending.get() { "Creating…" } else { "Create experiment" }}
                </button>
                <a class="button" href="/experiments">"Cancel"</a>
            </div>
        </ActionForm>
    }
}
