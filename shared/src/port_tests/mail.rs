//! The mailer's contract (a mail directory, SES).

use crate::ports::{Mailer, OutgoingMail};

/// The mailer's contract: what is sent arrives to its recipient with the exact subject and
/// text (Swedish letters, long lines, several paragraphs), and a malformed recipient (or one
/// that smuggles a header) is refused before anything is sent. `sent()` returns the mails
/// that reached `to` so far.
pub async fn mailer_suite<F, Fut>(m: &dyn Mailer, to: &str, mut sent: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Vec<OutgoingMail>>,
{
    let mail = OutgoingMail {
        to: to.into(),
        subject: "Protokoll att justera: Kultur- och fritidsnämnden §§ 12–14 (Åre, Övik)".into(),
        text: format!(
            "Hej Åsa Öberg!\n\nDu ombeds justera protokollet från sammanträdet 2026-11-23.\n\
             Öppna länken och logga in med BankID:\nhttps://esign.example.se/portal/orders/abc\n\n\
             {}\n.\nFrom the secretary: “citat” – tack!\n",
            "En lång rad utan radbrytning som är längre än sjuttiosex tecken, för att se att \
             inget bryts eller kodas om på vägen. "
                .repeat(3)
        ),
    };
    m.send(&mail).await.unwrap();
    let got = sent().await;
    assert_eq!(got, vec![mail.clone()]);
    for bad in [
        "not an address",
        "",
        "anna@example.se\r\nBcc: eve@example.se",
    ] {
        let refused = m
            .send(&OutgoingMail {
                to: bad.into(),
                ..mail.clone()
            })
            .await;
        assert!(refused.is_err(), "{bad:?} accepted");
    }
    assert_eq!(sent().await.len(), 1, "nothing more was sent");
}
