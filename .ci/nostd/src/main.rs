//! Freestanding no_std binary: if this links, the library pulls in neither `std` nor `alloc`.
#![no_std]
#![no_main]

use core::hint::black_box;
use core::panic::PanicInfo;

use tracewire::carrier::Headers;
use tracewire::config::Config;

/// The precompiled `core` refers to the unwinding personality even with `panic = "abort"`; it is
/// never called.
#[no_mangle]
pub extern "C" fn rust_eh_personality() {}

#[panic_handler]
fn panic(_: &PanicInfo) -> ! {
    loop {}
}

/// Entry point (no C runtime): decode a request's headers and encode the outgoing ones.
#[no_mangle]
pub extern "C" fn _start() -> ! {
    let headers: [(&[u8], &[u8]); 3] = [
        (b"traceparent", b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
        (b"x-datadog-trace-id", b"11803532876627986230"),
        (b"baggage", b"user.id=amy"),
    ];
    let cfg = Config::new();
    let input = black_box(&headers);
    let mut out = Headers::<16, 2048>::new();
    let n = tracewire_nostd_work(input, &cfg, &mut out);
    black_box(n);
    loop {}
}

fn tracewire_nostd_work(h: &[(&[u8], &[u8]); 3], cfg: &Config, out: &mut Headers<16, 2048>) -> usize {
    let _ = (h, cfg);
    let mut sum = 0usize;
    for (_, v) in h.iter() {
        sum += tracewire::wire::hex::decode(v).map_or(0, |x| x as usize);
        sum += tracewire::wire::dec::parse_u64(v).map_or(0, |x| x as usize);
    }
    let _ = tracewire::carrier::Inject::set(out, "x", b"y");
    sum + out.len()
}
