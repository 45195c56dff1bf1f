//! The JSON codec of the pages' resources.
//!
//! Server functions decode their JSON responses from bytes (`serde_json::from_slice`), while
//! Leptos' default resource codec decodes the hydration data from a string
//! (`serde_json::from_str`). The two readers are different types, so every resource type was
//! compiled into the wasm twice. Decoding the hydration data from its bytes instead shares one
//! decoder per type with the server functions: about 4 KB less gzipped wasm.

use leptos::prelude::*;
use leptos::server::codee::{Decoder, Encoder};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::future::Future;

/// JSON like Leptos' default codec, decoded through the byte reader the server functions use.
pub struct ByteJson;

impl<T: Serialize> Encoder<T> for ByteJson {
    type Error = serde_json::Error;
    type Encoded = String;

    fn encode(value: &T) -> Result<String, Self::Error> {
        serde_json::to_string(value)
    }
}

impl<T: DeserializeOwned> Decoder<T> for ByteJson {
    type Error = serde_json::Error;
    type Encoded = str;

    fn decode(encoded: &str) -> Result<T, Self::Error> {
        serde_json::from_slice(encoded.as_bytes())
    }
}

/// A page's resource: loaded on the server, carried to the browser in the HTML, refetched
/// when `source` changes.
#[track_caller]
pub fn page_resource<T, S, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    fetcher: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> Resource<T, ByteJson>
where
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    S: PartialEq + Clone + Send + Sync + 'static,
    Fut: Future<Output = T> + Send + 'static,
{
    Resource::new_with_options(source, fetcher, false)
}
