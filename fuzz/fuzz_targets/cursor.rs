//! Decoding any client-sent cursor: an error or a cursor that encodes back to itself.
#![no_main]
use colophon::content::cursor::Cursor;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|raw: &str| {
    for order in ["published_desc", "title_asc"] {
        if let Ok(c) = Cursor::decode(raw, order, "after") {
            assert_eq!(c.order, order);
            let again = Cursor::decode(&c.encode(), order, "after").expect("our own cursor decodes");
            assert_eq!(again, c);
        }
    }
});
