//! The N-API surface. It only converts: borrowed typed-array slices in (no
//! copies), results written into the caller's output array, a `KernelError`
//! turned into an Error whose message starts with its code (`kernel_error`).
//! All computation lives in the pure modules.
#![cfg_attr(test, allow(dead_code))]

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::error::{Code, KernelError};
use crate::layout;
use crate::scan::{scan_batch as scan, Batch};

/// A kernel's refusal as a JS Error: `<code prefix>: <message>` (layout/errors.json).
fn kernel_error(e: KernelError) -> Error {
    Error::new(
        Status::InvalidArg,
        format!("{}: {}", e.code.prefix(), e.message),
    )
}

/// Outputs that share memory with an input (or with each other): refused before
/// any slice is borrowed mutably.
fn aliased(code: Code, message: &str) -> Error {
    kernel_error(KernelError::new(code, message))
}

/// Version of `layout/scan.json` this addon was built with; the loader refuses
/// an addon whose layout differs from the TypeScript side's.
#[napi]
pub fn layout_version() -> u32 {
    layout::LAYOUT_VERSION
}

/// Features per step for a batch with `columns` value columns.
#[napi]
pub fn feature_count(columns: u32) -> u32 {
    layout::feature_count(columns as usize) as u32
}

/// Scans a batch of step tensors (layout in `native/src/scan/mod.rs`), writing
/// `steps x featureCount(columns)` features into `out`.
///
/// Inputs are borrowed slices. `out` is an owned view (one napi reference per
/// call) because napi-derive 3.7 does not accept `&mut [f64]` arguments; the
/// features are still written in place, not copied.
#[napi(catch_unwind)]
pub fn scan_batch(
    values: &[f64],
    groups: &[i32],
    prompts: &[f64],
    offsets: &[u32],
    present: &[u8],
    columns: u32,
    mut out: Float64Array,
) -> Result<()> {
    let batch = Batch {
        values,
        groups,
        prompts,
        offsets,
        present,
        columns: columns as usize,
    };
    let inputs = [
        bytes(values),
        bytes(groups),
        bytes(prompts),
        bytes(offsets),
        bytes(present),
    ];
    if inputs.iter().any(|&r| overlaps(r, bytes(&out))) {
        return Err(aliased(Code::ScanShape, "out shares memory with an input"));
    }
    // SAFETY: the call is synchronous, so no JS code runs while this borrow lives,
    // and `out` was just checked to share no byte with any input slice.
    let out = unsafe { out.as_mut() };
    scan(&batch, out).map_err(kernel_error)
}

/// The byte range a slice covers.
fn bytes<T>(s: &[T]) -> (usize, usize) {
    let start = s.as_ptr() as usize;
    (start, start + std::mem::size_of_val(s))
}

fn overlaps(a: (usize, usize), b: (usize, usize)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

mod bench;
mod detect;
