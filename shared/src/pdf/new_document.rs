//! A PDF/A-2b document made from nothing, for what the service writes itself (the validation
//! report in an e-archive package): a first revision with the catalog, the XMP claim, an sRGB
//! output intent and an /ID, and the pages laid out by `page.rs` in the embedded fonts as an
//! incremental update on it (the writer every other document of ours goes through).

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::page::JusteringPage;
use super::publication::publication_version_with_fonts;
use super::PdfError;

const SRGB_ICC: &[u8] = include_bytes!("../../assets/icc/sRGB-v2-magic.icc");

/// `page` as a PDF/A-2b document titled `title`, made at `created`.
pub fn pdfa_document(
    title: &str,
    page: &JusteringPage,
    created: DateTime<Utc>,
) -> Result<Vec<u8>, PdfError> {
    let skeleton = skeleton(title, created);
    publication_version_with_fonts(&skeleton, page, super::font::registered_fonts())
}

fn xml_escape(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            c => c.to_string(),
        })
        .collect()
}

fn xmp(title: &str, created: DateTime<Utc>) -> String {
    let date = created.format("%Y-%m-%dT%H:%M:%SZ");
    format!(
        "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n\
         <x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n\
         <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n\
         <rdf:Description rdf:about=\"\" xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\" \
         xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\" \
         xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\">\n\
         <pdfaid:part>2</pdfaid:part>\n<pdfaid:conformance>B</pdfaid:conformance>\n\
         <dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">{title}</rdf:li></rdf:Alt></dc:title>\n\
         <dc:language><rdf:Bag><rdf:li>sv</rdf:li></rdf:Bag></dc:language>\n\
         <xmp:CreateDate>{date}</xmp:CreateDate>\n<xmp:ModifyDate>{date}</xmp:ModifyDate>\n\
         <xmp:MetadataDate>{date}</xmp:MetadataDate>\n\
         <pdf:Producer>e-underskrift</pdf:Producer>\n\
         </rdf:Description>\n</rdf:RDF>\n</x:xmpmeta>\n<?xpacket end=\"w\"?>",
        title = xml_escape(title),
    )
}

/// The first revision: catalog, empty page tree, XMP, output intent, ICC profile.
fn skeleton(title: &str, created: DateTime<Utc>) -> Vec<u8> {
    let xmp = xmp(title, created);
    let mut objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R /Metadata 3 0 R /OutputIntents [4 0 R] /Lang (sv-SE) >>"
            .to_vec(),
        b"<< /Type /Pages /Kids [] /Count 0 >>".to_vec(),
    ];
    let mut metadata = format!(
        "<< /Type /Metadata /Subtype /XML /Length {} >>\nstream\n",
        xmp.len()
    )
    .into_bytes();
    metadata.extend_from_slice(xmp.as_bytes());
    metadata.extend_from_slice(b"\nendstream");
    objects.push(metadata);
    objects.push(
        b"<< /Type /OutputIntent /S /GTS_PDFA1 /OutputConditionIdentifier (sRGB IEC61966-2.1) \
          /RegistryName (http://www.color.org) /Info (sRGB IEC61966-2.1) /DestOutputProfile 5 0 R >>"
            .to_vec(),
    );
    let mut icc = format!("<< /N 3 /Length {} >>\nstream\n", SRGB_ICC.len()).into_bytes();
    icc.extend_from_slice(SRGB_ICC);
    icc.extend_from_slice(b"\nendstream");
    objects.push(icc);

    let mut out = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f\r\n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n\r\n").as_bytes());
    }
    // A stable /ID from what the document says and when.
    let id = hex::encode(&Sha256::digest(format!("{title}\n{created}").as_bytes())[..16]);
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R /ID [<{id}> <{id}>] >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::test_support::*;

    #[test]
    fn a_document_made_from_nothing_is_pdfa_2b_and_reads_back() {
        let dir = temp_dir("new-document");
        let mut page = sample_page("Kontrollrapport");
        page.footer = "Kontrollen gjordes 2026-12-06 11:00 av e-underskrift 0.1.0.".into();
        let pdf = pdfa_document("Kontrollrapport <Åre> & co", &page, now()).unwrap();
        let path = dir.join("report.pdf");
        std::fs::write(&path, &pdf).unwrap();
        let (code, out) = qpdf_check(&path);
        assert_eq!(code, 0, "qpdf --check: {out}");
        assert_eq!(page_count(&path), 1);
        let text = pdftotext(&path);
        assert!(
            text.contains("Kontrollrapport") && text.contains("Åsa Öberg"),
            "{text}"
        );
        let (compliant, report) = pdfa_2b_failures(&path);
        assert!(compliant, "not PDF/A-2b: {report}");
        let _ = std::fs::remove_dir_all(dir);
    }
}
