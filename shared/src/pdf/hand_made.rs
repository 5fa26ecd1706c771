//! Small PDFs written by hand, for tests here and for the fault matrix that other crates run
//! (`port_tests::fault_matrix`): a one-page document with a classic cross-reference table.

/// A minimal one-page PDF with a classic xref table, written by hand.
pub fn tiny_pdf(extra_catalog: &str, extra_objects: &[&str]) -> Vec<u8> {
    let mut objects: Vec<String> = vec![
        format!("<< /Type /Catalog /Pages 2 0 R {extra_catalog} >>"),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".into(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".into(),
        {
            let content = "BT /F1 12 Tf 72 700 Td (Protokoll) Tj ET";
            format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len())
        },
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".into(),
        "<< /Title (Testprotokoll) >>".into(),
    ];
    objects.extend(extra_objects.iter().map(|s| s.to_string()));
    pdf_from_objects(
        &objects,
        " /ID [<0123456789ABCDEF0123456789ABCDEF> <0123456789ABCDEF0123456789ABCDEF>]",
    )
}

/// A PDF of `objects` (numbered from 1; 1 is the catalog, 6 the info dictionary) with a
/// classic xref table, `trailer_extra` appended to the trailer dictionary.
pub fn pdf_from_objects(objects: &[String], trailer_extra: &str) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f\r\n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n\r\n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R /Info 6 0 R{trailer_extra} >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}
