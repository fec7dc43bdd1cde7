//! The states records move through, and the kinds of site, as types with one spelling each
//! (`as_str`, what the database stores and the API shows; `parse`, the way back). Code
//! compares and stores these, never a bare string, so a misspelt state cannot compile.

use serde::{Deserialize, Serialize};

/// Declares a state enum with its stored names.
macro_rules! states {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every state, in lifecycle order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored and shown name.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// The state a stored or submitted name stands for.
            pub fn parse(text: &str) -> Option<$name> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }

            /// Every stored name, in lifecycle order (for messages and filters).
            pub fn names() -> Vec<&'static str> {
                Self::ALL.iter().map(|s| s.as_str()).collect()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

states! {
    /// A hospital request's lifecycle: submitted → reserved (a crib held at a site) →
    /// fulfilled (a handout names it), or declined, cancelled, expired (the hold lapsed).
    ReferralStatus {
        Submitted = "submitted",
        Reserved = "reserved",
        Fulfilled = "fulfilled",
        Declined = "declined",
        Cancelled = "cancelled",
        Expired = "expired",
    }
}

impl ReferralStatus {
    /// The states in which a request is still open.
    pub const OPEN: [ReferralStatus; 2] = [ReferralStatus::Submitted, ReferralStatus::Reserved];

    /// Whether a request in this state is still open.
    pub fn is_open(self) -> bool {
        Self::OPEN.contains(&self)
    }
}

states! {
    /// A possible match between a hospital request's new family and a family registered
    /// before it: open until a manager says it is the same family (the request's family is
    /// merged into it) or a different one; the other matches of a request become moot once
    /// one is confirmed.
    MatchStatus {
        Open = "open",
        Same = "same",
        Different = "different",
        Moot = "moot",
    }
}

states! {
    /// How far a session's sign-in got: `full` opens the app; the others open only the
    /// one page that finishes signing in (the second factor's code, setting one up, or
    /// changing a password an administrator reset).
    SessionStage {
        Full = "full",
        Code = "code",
        Enrol = "enrol",
        Password = "password",
    }
}

states! {
    /// Two babies on two family records that may be one baby: open (the hand-out waits),
    /// or different (staff said so, with a reason). A manager's merge makes them one baby
    /// and the match goes with the removed row.
    InfantMatchStatus {
        Open = "open",
        Different = "different",
    }
}

states! {
    /// A follow-up after a handout: due until a call reaches the family (completed) or the
    /// last attempt fails (lost to follow-up); cancelled when its handout is voided.
    FollowUpStatus {
        Due = "due",
        Completed = "completed",
        LostToFollowUp = "lost_to_follow_up",
        Cancelled = "cancelled",
    }
}

states! {
    /// A transfer between sites: in transit from the moment it leaves, then received at the
    /// destination or cancelled (the stock goes back).
    TransferStatus {
        InTransit = "in_transit",
        Received = "received",
        Cancelled = "cancelled",
    }
}

states! {
    /// What a site is: a distribution site (families come to the door), a hospital (nurses
    /// request cribs there), or a warehouse (stock only).
    SiteKind {
        Distribution = "distribution",
        Hospital = "hospital",
        Warehouse = "warehouse",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_reads_back_from_its_name() {
        for s in ReferralStatus::ALL {
            assert_eq!(ReferralStatus::parse(s.as_str()), Some(*s));
        }
        for s in FollowUpStatus::ALL {
            assert_eq!(FollowUpStatus::parse(s.as_str()), Some(*s));
        }
        for s in TransferStatus::ALL {
            assert_eq!(TransferStatus::parse(s.as_str()), Some(*s));
        }
        for s in SiteKind::ALL {
            assert_eq!(SiteKind::parse(s.as_str()), Some(*s));
        }
        assert_eq!(ReferralStatus::parse("Reserved"), None, "names are exact");
        assert_eq!(serde_json::to_value(FollowUpStatus::LostToFollowUp).ok(), Some("lost_to_follow_up".into()));
    }

    #[test]
    fn open_requests_are_submitted_or_reserved() {
        let open: Vec<_> = ReferralStatus::ALL.iter().filter(|s| s.is_open()).map(|s| s.as_str()).collect();
        assert_eq!(open, ["submitted", "reserved"]);
        assert_eq!(ReferralStatus::names().join(", "), "submitted, reserved, fulfilled, declined, cancelled, expired");
    }
}
