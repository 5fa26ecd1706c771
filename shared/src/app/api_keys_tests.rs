//! API keys: scopes limit what a key's caller may do, revocation and expiry end it, its use is
//! recorded, and a key of before scopes still works as the admin key it was.

use super::*;
use crate::app::test_app;
use crate::domain::api_key::Scope;
use crate::error::ErrorText;
use crate::ports::Clock;

fn code<T: std::fmt::Debug>(r: Result<T, AppError>) -> String {
    r.unwrap_err().code().into_owned()
}

/// A tenant "kommun", and its admin by the key made with it.
async fn kommun_admin() -> (test_app::TestApp, Staff) {
    let t = test_app::start().await;
    let admin_key = t.add_tenant("kommun").await;
    let admin = t
        .app
        .tenants
        .authenticate_api_key(&admin_key)
        .await
        .unwrap();
    (t, admin)
}

/// A key made by `admin`: as kept, and its secret.
async fn make(
    t: &test_app::TestApp,
    admin: &Staff,
    name: &str,
    scopes: &[Scope],
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
) -> (crate::domain::api_key::ApiKey, String) {
    let new = NewApiKey {
        name: name.into(),
        scopes: scopes.to_vec(),
        expires_at,
    };
    t.app.tenants.create_api_key(admin, new).await.unwrap()
}

#[tokio::test]
async fn a_key_for_an_e_service_creates_orders_but_adds_no_staff() {
    let (t, admin) = kommun_admin().await;
    let (made, secret) = make(
        &t,
        &admin,
        "Ekonomiskt bistånd",
        &[Scope::OrdersWrite, Scope::OrdersRead],
        None,
    )
    .await;
    assert!(made.id.starts_with("key_") && secret.starts_with("esk_kommun_"));
    assert!(
        !format!("{made:?}").contains(&secret),
        "the secret is not kept"
    );
    let service = t.app.tenants.authenticate_api_key(&secret).await.unwrap();
    assert_eq!(service.role, StaffRole::Secretary);

    // Orders: yes. Staff, keys, files: no.
    let input = t
        .protocol_order(&service, &[("Åsa", "191212121212", None)])
        .await;
    let order = t.app.orders.create_order(&service, input).await.unwrap();
    t.app
        .orders
        .get_order(&service, &order.id.to_string())
        .await
        .unwrap();
    let add = t
        .app
        .tenants
        .add_staff(&service, "19121212-1212", "Sara", StaffRole::Admin)
        .await;
    assert_eq!(code(add), "auth.forbidden");
    assert_eq!(
        code(t.app.tenants.list_api_keys(&service).await),
        "auth.forbidden"
    );
    let file = t
        .app
        .orders
        .order_file(&service, &order.id.to_string(), "archive.pdf")
        .await;
    assert_eq!(code(file), "auth.forbidden");

    // A read-only key reads but does not create.
    let (_, reader) = make(&t, &admin, "Uppföljning", &[Scope::OrdersRead], None).await;
    let reader = t.app.tenants.authenticate_api_key(&reader).await.unwrap();
    t.app.orders.list_orders(&reader).await.unwrap();
    let input = t
        .protocol_order(&admin, &[("Åsa", "191212121212", None)])
        .await;
    assert_eq!(
        code(t.app.orders.create_order(&reader, input).await),
        "auth.forbidden"
    );
    let listed = t.app.tenants.list_api_keys(&admin).await.unwrap();
    assert_eq!(listed.len(), 3, "the admin key and the two made");
}

#[tokio::test]
async fn a_revoked_or_expired_key_lets_nobody_in_and_use_is_recorded() {
    let (t, admin) = kommun_admin().await;
    let now = t.clock.now();
    let (made, secret) = make(
        &t,
        &admin,
        "Tillfällig",
        &[Scope::OrdersRead],
        Some(now + chrono::Duration::days(30)),
    )
    .await;
    t.app.tenants.authenticate_api_key(&secret).await.unwrap();
    let listed = t.app.tenants.list_api_keys(&admin).await.unwrap();
    let used = listed.iter().find(|k| k.id == made.id).unwrap();
    assert_eq!(used.last_used_at, Some(now));

    t.clock.advance(chrono::Duration::days(30));
    assert_eq!(
        code(t.app.tenants.authenticate_api_key(&secret).await),
        "auth.key_expired"
    );

    let (other, other_secret) = make(&t, &admin, "Återkallas", &[Scope::OrdersRead], None).await;
    let revoked = t
        .app
        .tenants
        .revoke_api_key(&admin, &other.id)
        .await
        .unwrap();
    assert!(revoked.revoked_at.is_some());
    assert_eq!(
        code(t.app.tenants.authenticate_api_key(&other_secret).await),
        "auth.key_revoked"
    );
    // Revoking again changes nothing; another tenant's admin cannot find it.
    let again = t
        .app
        .tenants
        .revoke_api_key(&admin, &other.id)
        .await
        .unwrap();
    assert_eq!(again.revoked_at, revoked.revoked_at);
    let other_admin = t.add_tenant("grannkommun").await;
    let other_admin = t
        .app
        .tenants
        .authenticate_api_key(&other_admin)
        .await
        .unwrap();
    assert_eq!(
        code(t.app.tenants.revoke_api_key(&other_admin, &other.id).await),
        "api_key.not_found"
    );
    // Bad requests for a key.
    for (scopes, expires_at) in [
        (vec![], None),
        (
            vec![Scope::OrdersRead],
            Some(now - chrono::Duration::days(1)),
        ),
    ] {
        let r = t
            .app
            .tenants
            .create_api_key(
                &admin,
                NewApiKey {
                    name: "x".into(),
                    scopes,
                    expires_at,
                },
            )
            .await;
        assert!(code(r).starts_with("api_key."));
    }
}

#[tokio::test]
async fn a_key_from_before_scopes_works_as_admin_and_can_then_be_listed_and_revoked() {
    let (t, admin) = kommun_admin().await;
    // A record as keys were stored before they had scopes: the tenant only.
    let secret = "esk_kommun_0000000000000000000000000000000000000000000000000000000000000001";
    t.ports
        .state
        .transact(vec![crate::ports::Write::Put {
            item: crate::ports::Item {
                pk: format!("APIKEY#{}", sha256_hex(secret.as_bytes())),
                sk: "APIKEY".into(),
                version: 0,
                data: serde_json::json!({ "tenant": "kommun" }),
                gsi1: None,
                expires_at: None,
            },
            expect: crate::ports::Expect::Absent,
        }])
        .await
        .unwrap();
    let old = t.app.tenants.authenticate_api_key(secret).await.unwrap();
    assert_eq!(old.role, StaffRole::Admin);
    let listed = t.app.tenants.list_api_keys(&admin).await.unwrap();
    let legacy = listed
        .iter()
        .find(|k| k.id == format!("key_{}", &sha256_hex(secret.as_bytes())[..16]))
        .expect("written in full at its first use");
    t.app
        .tenants
        .revoke_api_key(&admin, &legacy.id)
        .await
        .unwrap();
    assert_eq!(
        code(t.app.tenants.authenticate_api_key(secret).await),
        "auth.key_revoked"
    );
}
