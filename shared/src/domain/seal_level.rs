//! Which PAdES level an installation can seal at, and why not higher: B-T needs a timestamp
//! authority, B-LT and B-LTA revocation data as well. A tenant gets the highest level by
//! default; a seal at a level whose services are missing is refused with what is missing.

use serde::{Deserialize, Serialize};

use super::SealLevel;

/// A service a seal level needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingService {
    TimestampAuthority,
    Revocation,
}

impl MissingService {
    /// As the Swedish message names it.
    pub fn name_sv(self) -> &'static str {
        match self {
            MissingService::TimestampAuthority => "en tidsstämpeltjänst",
            MissingService::Revocation => "spärrinformation (OCSP eller CRL)",
        }
    }
}

impl std::fmt::Display for MissingService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            MissingService::TimestampAuthority => "a timestamp authority",
            MissingService::Revocation => "revocation data (OCSP or CRL)",
        })
    }
}

/// The services an installation has for sealing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SealServices {
    pub timestamp_authority: bool,
    pub revocation: bool,
}

impl SealServices {
    /// The highest level these services can make.
    pub fn highest_level(self) -> SealLevel {
        SealLevel::ALL
            .into_iter()
            .rev()
            .find(|l| self.missing_for(*l).is_none())
            .unwrap_or(SealLevel::BB)
    }

    /// The first service `level` needs that is missing here, if any.
    pub fn missing_for(self, level: SealLevel) -> Option<MissingService> {
        needs(level).into_iter().find(|s| !self.has(*s))
    }

    fn has(self, service: MissingService) -> bool {
        match service {
            MissingService::TimestampAuthority => self.timestamp_authority,
            MissingService::Revocation => self.revocation,
        }
    }
}

/// What a level needs: a timestamp authority from B-T, revocation data from B-LT (B-LTA's
/// document timestamp comes from the same authority).
pub fn needs(level: SealLevel) -> Vec<MissingService> {
    let mut out = Vec::new();
    if level >= SealLevel::BT {
        out.push(MissingService::TimestampAuthority);
    }
    if level >= SealLevel::BLT {
        out.push(MissingService::Revocation);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_highest_level_follows_the_services_and_says_what_is_missing() {
        let none = SealServices::default();
        let tsa = SealServices {
            timestamp_authority: true,
            revocation: false,
        };
        let both = SealServices {
            timestamp_authority: true,
            revocation: true,
        };
        assert_eq!(none.highest_level(), SealLevel::BB);
        assert_eq!(tsa.highest_level(), SealLevel::BT);
        assert_eq!(both.highest_level(), SealLevel::BLTA);
        assert_eq!(
            none.missing_for(SealLevel::BT),
            Some(MissingService::TimestampAuthority)
        );
        assert_eq!(
            tsa.missing_for(SealLevel::BLTA),
            Some(MissingService::Revocation)
        );
        assert_eq!(tsa.missing_for(SealLevel::BT), None);
        assert_eq!(none.missing_for(SealLevel::BB), None);
        // Revocation data without a timestamp authority makes nothing above B-B.
        let revocation_only = SealServices {
            timestamp_authority: false,
            revocation: true,
        };
        assert_eq!(revocation_only.highest_level(), SealLevel::BB);
    }
}
