//! Recommended user messages (RFA texts, digest §1.11) in Swedish and English.

use crate::bankid::error::BankIdError;
use crate::bankid::types::{CollectStatus, HintCode};

pub const RFA1: (&str, &str) = ("Starta BankID-appen.", "Start your BankID app.");
pub const RFA3: (&str, &str) = (
    "Åtgärden avbruten. Försök igen.",
    "Action cancelled. Please try again.",
);
pub const RFA4: (&str, &str) = (
    "En identifiering eller underskrift för det här personnumret är redan påbörjad. Försök igen.",
    "An identification or signing for this personal number is already started. Please try again.",
);
pub const RFA5: (&str, &str) = (
    "Internt tekniskt fel. Försök igen.",
    "Internal error. Please try again.",
);
pub const RFA6: (&str, &str) = ("Åtgärden avbruten.", "Action cancelled.");
pub const RFA8: (&str, &str) = (
    "BankID-appen svarar inte. Kontrollera att den är startad och att du har internetanslutning. Om du inte har något giltigt BankID kan du skaffa ett hos din bank. Försök sedan igen.",
    "The BankID app is not responding. Please check that it's started and that you have internet access. If you don't have a valid BankID you can get one from your bank. Try again.",
);
pub const RFA9: (&str, &str) = (
    "Skriv in din säkerhetskod i BankID-appen och välj Identifiera eller Skriv under.",
    "Enter your security code in the BankID app and select Identify or Sign.",
);
pub const RFA13: (&str, &str) = (
    "Försöker starta BankID-appen.",
    "Trying to start your BankID app.",
);
pub const RFA15B: (&str, &str) = (
    "Söker efter BankID. Säkerställ att du har ett giltigt BankID på den här enheten.",
    "Searching for BankID. Make sure you have a valid BankID on this device.",
);
pub const RFA16: (&str, &str) = (
    "Det BankID du försöker använda är för gammalt eller spärrat. Använd ett annat BankID eller skaffa ett nytt hos din bank.",
    "The BankID you are trying to use is blocked or too old. Please use another BankID or get a new one from your bank.",
);
pub const RFA17A: (&str, &str) = (
    "BankID-appen verkar inte finnas i din dator eller telefon. Installera den och skaffa ett BankID hos din bank. Installera appen från din appbutik eller https://install.bankid.com",
    "The BankID app couldn't be found on your computer or mobile device. Please install it and get a BankID from your bank. Install the app from your app store or https://install.bankid.com",
);
pub const RFA17B: (&str, &str) = (
    "Misslyckades att läsa av QR-koden. Starta BankID-appen och läs av QR-koden. Kontrollera att BankID-appen är uppdaterad. Om du inte har BankID-appen måste du installera den och skaffa ett BankID hos din bank. Installera appen från din appbutik eller https://install.bankid.com",
    "Failed to scan the QR code. Start the BankID app and scan the QR code. Check that the BankID app is up to date. If you don't have the BankID app, you need to install it and get a BankID from your bank. Install the app from your app store or https://install.bankid.com",
);
pub const RFA21: (&str, &str) = (
    "Identifiering eller underskrift pågår.",
    "Identification or signing in progress.",
);
pub const RFA22: (&str, &str) = (
    "Okänt fel. Försök igen.",
    "Unknown error. Please try again.",
);
pub const RFA23: (&str, &str) = (
    "Fotografera och läs av din ID-handling med BankID-appen.",
    "Process your machine-readable travel document using the BankID app.",
);
/// BankID's own demo text while a QR code is shown (`outstandingTransaction` with QR).
pub const QR_SCAN: (&str, &str) = (
    "Starta BankID-appen och tryck på QR-ikonen. Skanna sedan QR-koden.",
    "Start the BankID app and scan the QR code.",
);
/// Not an RFA: shown once the order is complete.
pub const COMPLETE: (&str, &str) = ("Klart.", "Done.");

/// The message to show for a collect result. `started_with_qr`: the user was shown a QR code
/// (another device) rather than an autostart link (this device).
pub fn user_message(
    status: CollectStatus,
    hint: Option<&HintCode>,
    started_with_qr: bool,
) -> (&'static str, &'static str) {
    match status {
        CollectStatus::Complete => COMPLETE,
        CollectStatus::Pending => match hint {
            Some(HintCode::OutstandingTransaction) if started_with_qr => QR_SCAN,
            Some(HintCode::OutstandingTransaction) => RFA13,
            Some(HintCode::NoClient) => RFA1,
            Some(HintCode::Started) => RFA15B,
            Some(HintCode::UserSign) => RFA9,
            Some(HintCode::UserMrtd) => RFA23,
            _ => RFA21,
        },
        CollectStatus::Failed => match hint {
            Some(HintCode::ExpiredTransaction) => RFA8,
            Some(HintCode::CertificateErr) => RFA16,
            Some(HintCode::UserCancel) => RFA6,
            Some(HintCode::Cancelled) => RFA3,
            Some(HintCode::StartFailed) if started_with_qr => RFA17B,
            Some(HintCode::StartFailed) => RFA17A,
            _ => RFA22,
        },
    }
}

/// The message for an error of the RP API (RFA4 / RFA5 / RFA22).
pub fn error_message(error: &BankIdError) -> (&'static str, &'static str) {
    match error {
        BankIdError::AlreadyInProgress { .. } => RFA4,
        BankIdError::RequestTimeout { .. }
        | BankIdError::InternalError { .. }
        | BankIdError::Maintenance { .. }
        | BankIdError::TooManyRequests { .. }
        | BankIdError::MethodNotAllowed { .. }
        | BankIdError::InvalidParameters { .. }
        | BankIdError::Unauthorized { .. }
        | BankIdError::NotFound { .. }
        | BankIdError::UnsupportedMediaType { .. }
        | BankIdError::InvalidRequest(_)
        | BankIdError::Transport(_) => RFA5,
        BankIdError::Unknown { .. } => RFA22,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorText;

    #[test]
    fn hint_codes_map_to_rfa() {
        assert_eq!(
            user_message(CollectStatus::Pending, Some(&HintCode::UserSign), true),
            RFA9
        );
        assert_eq!(
            user_message(
                CollectStatus::Pending,
                Some(&HintCode::OutstandingTransaction),
                false
            ),
            RFA13
        );
        assert_eq!(
            user_message(
                CollectStatus::Pending,
                Some(&HintCode::OutstandingTransaction),
                true
            ),
            QR_SCAN
        );
        assert_eq!(
            user_message(CollectStatus::Failed, Some(&HintCode::StartFailed), true),
            RFA17B
        );
        assert_eq!(
            user_message(CollectStatus::Failed, Some(&HintCode::StartFailed), false),
            RFA17A
        );
        assert_eq!(
            user_message(CollectStatus::Failed, Some(&HintCode::UserCancel), false),
            RFA6
        );
        assert_eq!(
            user_message(CollectStatus::Failed, Some(&HintCode::Cancelled), false),
            RFA3
        );
    }

    #[test]
    fn unknown_hints_fall_back_to_rfa21_and_rfa22() {
        let unknown = HintCode::Unknown("newThing".into());
        assert_eq!(
            user_message(CollectStatus::Pending, Some(&unknown), false),
            RFA21
        );
        assert_eq!(
            user_message(CollectStatus::Failed, Some(&unknown), false),
            RFA22
        );
    }

    #[test]
    fn errors_map_to_rfa() {
        let busy = BankIdError::AlreadyInProgress {
            details: String::new(),
        };
        assert_eq!(busy.message_sv(), RFA4.0);
        assert_eq!(busy.message_en(), RFA4.1);
        let odd = BankIdError::Unknown {
            code: "x".into(),
            details: String::new(),
            http_status: 400,
        };
        assert_eq!(odd.message_en(), RFA22.1);
    }
}
