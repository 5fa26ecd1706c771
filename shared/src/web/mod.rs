//! Function-URL routing shared by the Lambda binaries and `esign serve`, plus the pages.
//! One table of routes; each function serves its part of it.

mod api;
pub mod assets;
pub mod client_ip;
mod openapi;
pub mod pages;
#[cfg(all(test, feature = "embedded"))]
mod pages_tests;
pub(crate) mod qr_svg;
pub mod status;
#[cfg(all(test, feature = "embedded"))]
mod verify_tests;

use axum::Router;

use crate::app::App;

pub use status::{ApiError, RequestError};

/// Which function a route belongs to (each is one Lambda with one function URL).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Function {
    Upload,
    CreateSigningOrder,
    BankidCollect,
    Publish,
}

/// The routes of one function, behind the check that the request came through the site when
/// the installation says so (`Settings::only_through_site`).
pub fn function_router(app: App, f: Function) -> Router {
    let routes = match f {
        Function::Upload => api::upload_routes(),
        // The site sends `/openapi.json` here (a cache behaviour of its own in the template).
        Function::CreateSigningOrder => api::order_routes().merge(openapi::routes()),
        Function::BankidCollect => api::portal_routes().merge(pages::portal_pages()),
        Function::Publish => api::public_routes().merge(pages::public_pages()),
    };
    routes
        .fallback(status::not_found)
        .method_not_allowed_fallback(status::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            api::idempotent,
        ))
        .layer(axum::middleware::from_fn(api::etag))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            client_ip::only_through_site,
        ))
        .with_state(app)
}

/// Everything in one router (local mode).
pub fn router(app: App) -> Router {
    api::upload_routes()
        .merge(api::order_routes())
        .merge(api::portal_routes())
        .merge(api::public_routes())
        .merge(pages::portal_pages())
        .merge(pages::public_pages())
        .merge(pages::staff_pages())
        .merge(openapi::routes())
        .fallback(status::not_found)
        .method_not_allowed_fallback(status::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            api::idempotent,
        ))
        .layer(axum::middleware::from_fn(api::etag))
        .with_state(app)
}
