#![no_main]
//! The C API through its Rust declarations, called as C would: headers as pointer/length pairs
//! into the input, a raw block, a host iteration callback, configuration strings, and output
//! buffers of arbitrary capacity inside valid memory. Every status is a known value, a failed
//! write reports 0 bytes, and what is written is `name: value` lines of valid field values.
use std::ffi::{c_char, c_int, c_void, CString};
use std::mem::MaybeUninit;

use libfuzzer_sys::fuzz_target;
use tracewire_ffi::*;

fn lines_ok(out: &[u8]) -> bool {
    out.split(|&b| b == b'\n').filter(|l| !l.is_empty()).all(|l| {
        let Some(l) = l.strip_suffix(b"\r") else { return false };
        let Some(i) = l.iter().position(|&b| b == b':') else { return false };
        let v = &l[i + 1..];
        v.first() == Some(&b' ') && tracewire::wire::is_field_value(&v[1..])
    })
}

struct Host<'a> {
    headers: Vec<(&'a [u8], &'a [u8])>,
}

unsafe extern "C" fn iterate(host: *mut c_void, visit: tracewire_visit_fn, ctx: *mut c_void) {
    // SAFETY: `host` is the `Host` the target passed; `visit` is the library's visitor.
    let host = unsafe { &*host.cast::<Host<'_>>() };
    let visit = visit.expect("the library passes its visitor");
    for (n, v) in &host.headers {
        // SAFETY: pointers into the fuzz input, valid for the whole iteration.
        unsafe { visit(ctx, n.as_ptr(), n.len(), v.as_ptr(), v.len()) };
    }
}

unsafe extern "C" fn set(host: *mut c_void, n: *const u8, nl: usize, v: *const u8, vl: usize) -> c_int {
    // SAFETY: `host` is the counter below; name and value are valid during the call.
    let refuse_after = unsafe { &mut *host.cast::<(usize, usize)>() };
    let (name, value) = unsafe { (std::slice::from_raw_parts(n, nl), std::slice::from_raw_parts(v, vl)) };
    assert!(!name.is_empty() && tracewire::wire::is_field_value(value));
    refuse_after.1 += 1;
    c_int::from(refuse_after.1 > refuse_after.0)
}

fuzz_target!(|data: &[u8]| {
    let [sel, cap, refuse, rest @ ..] = data else { return };
    // Configuration: default, or environment-style strings cut from the input.
    let mut cfg = MaybeUninit::<tracewire_config>::uninit();
    let vars = ["DD_TRACE_PROPAGATION_STYLE", "DD_TRACE_PROPAGATION_BEHAVIOR_EXTRACT", "DD_TRACE_PROPAGATION_EXTRACT_FIRST"];
    let (texts, body) = rest.split_at(rest.len().min(usize::from(sel & 0x3f)));
    let values: Vec<CString> = texts
        .split(|&b| b == b'|')
        .take(3)
        .map(|t| CString::new(t.iter().copied().filter(|&b| b != 0).collect::<Vec<u8>>()).unwrap())
        .collect();
    let names: Vec<CString> = vars.iter().take(values.len()).map(|v| CString::new(*v).unwrap()).collect();
    let name_ptrs: Vec<*const c_char> = names.iter().map(|c| c.as_ptr()).collect();
    let value_ptrs: Vec<*const c_char> = values.iter().map(|c| c.as_ptr()).collect();
    // SAFETY: writable storage, `n` NUL-terminated names and values.
    let s = unsafe { tracewire_config_from_strings(cfg.as_mut_ptr(), name_ptrs.as_ptr(), value_ptrs.as_ptr(), names.len()) };
    assert!(matches!(s, tracewire_status::Ok | tracewire_status::ConfigIssue));

    // The input's `name:value` lines, as a header array, a block and a host list.
    let pairs: Vec<(&[u8], &[u8])> = body
        .split(|&b| b == b'\n')
        .filter_map(|l| l.iter().position(|&b| b == b':').map(|i| (&l[..i], &l[i + 1..])))
        .collect();
    let hs: Vec<tracewire_header> = pairs
        .iter()
        .map(|(n, v)| tracewire_header { name: n.as_ptr(), name_len: n.len(), value: v.as_ptr(), value_len: v.len() })
        .collect();
    let mut ctx = Box::new(MaybeUninit::<tracewire_context>::uninit());
    let mut bufs = Box::new(MaybeUninit::<tracewire_buffers>::uninit());
    let mut out = vec![0u8; usize::from(*cap) * 16];
    let span = u64::from(*refuse) * 0x0101_0101;
    for way in 0..3 {
        // SAFETY: all pointers address valid memory of the stated lengths; the input outlives
        // every use of the context.
        let s = unsafe {
            match way {
                0 => tracewire_extract_headers(cfg.as_ptr(), hs.as_ptr(), hs.len(), ctx.as_mut_ptr()),
                1 => tracewire_extract_block(cfg.as_ptr(), body.as_ptr(), body.len(), ctx.as_mut_ptr()),
                _ => {
                    let mut host = Host { headers: pairs.clone() };
                    tracewire_extract_callback(cfg.as_ptr(), Some(iterate), (&mut host as *mut Host<'_>).cast(), ctx.as_mut_ptr())
                }
            }
        };
        assert!(matches!(s, tracewire_status::Ok | tracewire_status::TooManyHeaders));
        let c = ctx.as_ptr();
        let (mut hi, mut lo, mut p, mut prio) = (0u64, 0u64, 0u64, 0i32);
        let (mut op, mut ol) = (std::ptr::null::<u8>(), 0usize);
        // SAFETY: an extracted context and writable outputs.
        unsafe {
            let has = tracewire_context_has_trace(c) == 1;
            assert_eq!(tracewire_context_trace_id(c, &mut hi, &mut lo) == tracewire_status::Ok, has);
            let _ = tracewire_context_parent_id(c, &mut p);
            let _ = tracewire_context_sampling_priority(c, &mut prio);
            if tracewire_context_origin(c, &mut op, &mut ol) == tracewire_status::Ok {
                // The origin points into the input.
                let start = body.as_ptr() as usize;
                assert!(op as usize >= start && op as usize + ol <= start + body.len());
            }
            for st in -1..8 {
                let _ = tracewire_context_style_status(c, st);
            }
        }
        for inject in [true, false] {
            let mut n = usize::MAX;
            // SAFETY: context, configuration, buffer storage, `out` of `out.len()` bytes.
            let s = unsafe {
                if inject {
                    tracewire_inject_block(c, cfg.as_ptr(), bufs.as_mut_ptr(), span, out.as_mut_ptr(), out.len(), &mut n)
                } else {
                    tracewire_forward_block(c, cfg.as_ptr(), bufs.as_mut_ptr(), span, out.as_mut_ptr(), out.len(), &mut n)
                }
            };
            match s {
                tracewire_status::Ok => {
                    assert!(n <= out.len());
                    assert!(lines_ok(&out[..n]), "{:?}", String::from_utf8_lossy(&out[..n]));
                }
                tracewire_status::Full => assert_eq!(n, 0),
                tracewire_status::InvalidArgument => assert_eq!(span, 0),
                other => panic!("unexpected {other:?}"),
            }
        }
        let mut counter = (usize::from(*refuse % 8), 0usize);
        // SAFETY: as above; the callback checks what it gets.
        let s = unsafe {
            tracewire_inject_callback(c, cfg.as_ptr(), bufs.as_mut_ptr(), span, Some(set), (&mut counter as *mut (usize, usize)).cast())
        };
        assert!(matches!(s, tracewire_status::Ok | tracewire_status::CallbackFailed | tracewire_status::InvalidArgument));
    }
    // SAFETY: a static string for any number.
    assert!(!tracewire_strerror(c_int::from(*sel)).is_null());
});
