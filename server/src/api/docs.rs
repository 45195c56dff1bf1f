//! `/v4/docs`: a readable page of the API, rendered on the server from the OpenAPI document
//! (no CDN-hosted viewer: Hindcast runs where nothing can be downloaded).

use super::ApiDoc;
use axum::response::Html;
use serde_json::Value;
use std::fmt::Write;
use utoipa::OpenApi;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

pub async fn page() -> Html<String> {
    let doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or(Value::Null);
    let mut body = String::new();
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            for method in METHODS {
                if let Some(op) = item.get(method) {
                    render_operation(&mut body, method, path, op);
                }
            }
        }
    }
    Html(format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"color-scheme\" content=\"light dark\">\
         <title>API · Hindcast</title><link rel=\"stylesheet\" href=\"/pkg/hindcast.css\"></head>\
         <body><header class=\"topbar\"><a class=\"brand\" href=\"/\">\
         <span class=\"brand-mark\" aria-hidden=\"true\">◆</span>Hindcast</a>\
         <nav aria-label=\"Main\"><a href=\"/experiments\">Experiments</a></nav></header>\
         <main id=\"main\"><div class=\"page-head\"><h1>JSON API</h1></div>\
         <p class=\"lead\">{}</p><p>Machine-readable: <a href=\"/v4/openapi.json\">/v4/openapi.json</a>. \
         Errors are <code>{{\"error\": true, \"error_message\": \"…\"}}</code> with the real HTTP status.</p>\
         {body}</main></body></html>",
        escape(doc["info"]["description"].as_str().unwrap_or_default())
    ))
}

fn render_operation(out: &mut String, method: &str, path: &str, op: &Value) {
    let _ = write!(
        out,
        "<section class=\"panel api-op\"><h2><span class=\"badge method-{method}\">{}</span> \
         <code>{}</code></h2><p>{}</p>",
        method.to_uppercase(),
        escape(path),
        escape(op["description"].as_str().or(op["summary"].as_str()).unwrap_or_default()),
    );
    if let Some(params) = op["parameters"].as_array().filter(|p| !p.is_empty()) {
        out.push_str("<table class=\"data-table\"><thead><tr><th>Parameter</th><th>In</th><th>Description</th></tr></thead><tbody>");
        for p in params {
            let _ = write!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                escape(p["name"].as_str().unwrap_or_default()),
                escape(p["in"].as_str().unwrap_or_default()),
                escape(p["description"].as_str().unwrap_or_default()),
            );
        }
        out.push_str("</tbody></table>");
    }
    if let Some(schema) = op["requestBody"]["content"]["application/json"]["schema"]["$ref"].as_str() {
        let _ = write!(out, "<p>Body: <code>{}</code> (JSON)</p>", escape(schema_name(schema)));
    }
    if let Some(responses) = op["responses"].as_object() {
        out.push_str("<ul class=\"responses\">");
        for (status, response) in responses {
            let schema = response["content"]["application/json"]["schema"]["$ref"].as_str().map(schema_name);
            let _ = write!(
                out,
                "<li><strong>{}</strong> {}</li>",
                escape(status),
                schema.map(|s| format!("<code>{}</code>", escape(s))).unwrap_or_default()
            );
        }
        out.push_str("</ul>");
    }
    out.push_str("</section>");
}

fn schema_name(reference: &str) -> &str {
    reference.rsplit('/').next().unwrap_or(reference)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
