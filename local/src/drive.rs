//! Drive the service over HTTP as people do: a secretary with an API key, and signers who log
//! in and sign with the simulated Mobilt BankID app (the simulator's phone API). `esign demo`
//! and the end-to-end tests use it, so both exercise the real routes.

use anyhow::{bail, Context, Result};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

#[derive(Clone)]
pub struct Http {
    pub base: String,
    pub client: reqwest::Client,
}

impl Http {
    pub fn new(base: &str) -> Self {
        Self {
            base: base.trim_end_matches('/').to_string(),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("a reqwest client"),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// POST JSON; answers the status and the JSON body (or `null`).
    pub async fn post(
        &self,
        path: &str,
        auth: Option<&str>,
        body: &Value,
    ) -> Result<(StatusCode, Value)> {
        let mut req = self.client.post(self.url(path)).json(body);
        if let Some(a) = auth {
            req = req.bearer_auth(a);
        }
        let resp = req.send().await.with_context(|| format!("POST {path}"))?;
        let status = resp.status();
        Ok((status, resp.json().await.unwrap_or(Value::Null)))
    }

    pub async fn get(&self, path: &str, auth: Option<&str>) -> Result<(StatusCode, Value)> {
        let mut req = self.client.get(self.url(path));
        if let Some(a) = auth {
            req = req.bearer_auth(a);
        }
        let resp = req.send().await.with_context(|| format!("GET {path}"))?;
        let status = resp.status();
        Ok((status, resp.json().await.unwrap_or(Value::Null)))
    }

    pub async fn get_bytes(&self, path: &str, auth: Option<&str>) -> Result<(StatusCode, Vec<u8>)> {
        let mut req = self.client.get(self.url(path));
        if let Some(a) = auth {
            req = req.bearer_auth(a);
        }
        let resp = req.send().await.with_context(|| format!("GET {path}"))?;
        let status = resp.status();
        Ok((status, resp.bytes().await?.to_vec()))
    }
}

fn expect_ok(what: &str, (status, body): (StatusCode, Value)) -> Result<Value> {
    if !status.is_success() {
        bail!("{what}: HTTP {status}: {body}");
    }
    Ok(body)
}

/// A secretary (or e-service) holding a tenant API key.
pub struct Secretary {
    pub http: Http,
    pub api_key: String,
}

impl Secretary {
    pub async fn upload(&self, file_name: &str, bytes: Vec<u8>) -> Result<(StatusCode, Value)> {
        let resp = self
            .http
            .client
            .post(self.http.url("/api/documents"))
            .query(&[("file_name", file_name)])
            .bearer_auth(&self.api_key)
            .header("content-type", "application/pdf")
            .body(bytes)
            .send()
            .await?;
        let status = resp.status();
        Ok((status, resp.json().await.unwrap_or(Value::Null)))
    }

    pub async fn upload_ok(&self, file_name: &str, bytes: Vec<u8>) -> Result<String> {
        let body = expect_ok("upload", self.upload(file_name, bytes).await?)?;
        Ok(body["document"]["id"]
            .as_str()
            .context("document id")?
            .to_string())
    }

    pub async fn post(&self, path: &str, body: &Value) -> Result<(StatusCode, Value)> {
        self.http.post(path, Some(&self.api_key), body).await
    }

    pub async fn get(&self, path: &str) -> Result<(StatusCode, Value)> {
        self.http.get(path, Some(&self.api_key)).await
    }

    pub async fn order(&self, id: &str) -> Result<Value> {
        Ok(expect_ok("get order", self.get(&format!("/api/orders/{id}")).await?)?["order"].clone())
    }

    /// Wait (bounded) until the order reaches `status`.
    pub async fn wait_for_status(
        &self,
        id: &str,
        status: &str,
        timeout: Duration,
    ) -> Result<Value> {
        let start = std::time::Instant::now();
        loop {
            let order = self.order(id).await?;
            if order["status"] == status {
                return Ok(order);
            }
            // Stopped for good: say why now, in the secretary's words, rather than wait.
            if order["status"] == "failed" && status != "failed" {
                let failure = &order["failure"];
                bail!(
                    "order {id} stopped at {}: {}\n{}",
                    failure["step"].as_str().unwrap_or("a step"),
                    failure["message_sv"].as_str().unwrap_or(""),
                    failure["message_en"].as_str().unwrap_or("")
                );
            }
            if start.elapsed() > timeout {
                bail!(
                    "order {id} is {} after {timeout:?}, wanted {status}",
                    order["status"]
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn file(&self, id: &str, name: &str) -> Result<Vec<u8>> {
        let (status, bytes) = self
            .http
            .get_bytes(&format!("/api/orders/{id}/{name}"), Some(&self.api_key))
            .await?;
        if !status.is_success() {
            bail!("{name}: HTTP {status}");
        }
        Ok(bytes)
    }
}

/// A person with Mobilt BankID on their (simulated) phone.
#[derive(Clone, Debug)]
pub struct Person {
    pub personal_number: String,
    pub given_name: String,
    pub surname: String,
}

impl Person {
    pub fn new(personal_number: &str, given_name: &str, surname: &str) -> Self {
        Self {
            personal_number: personal_number.into(),
            given_name: given_name.into(),
            surname: surname.into(),
        }
    }
    pub fn name(&self) -> String {
        format!("{} {}", self.given_name, self.surname)
    }
}

/// A signer in the portal, with their phone.
pub struct Portal {
    pub http: Http,
    pub person: Person,
    pub session: Option<String>,
}

impl Portal {
    pub fn new(http: Http, person: Person) -> Self {
        Self {
            http,
            person,
            session: None,
        }
    }

    /// What the phone does: open the order by its autostart token, identify, confirm.
    pub async fn phone_approves(&self, auto_start_token: &str) -> Result<()> {
        let opened = expect_ok(
            "phone open",
            self.http
                .post(
                    "/bankid-sim/phone/open",
                    None,
                    &json!({"autoStartToken": auto_start_token}),
                )
                .await?,
        )?;
        let order_ref = opened["orderRef"].as_str().context("orderRef")?.to_string();
        expect_ok(
            "phone identify",
            self.http
                .post(
                    "/bankid-sim/phone/identify",
                    None,
                    &json!({"orderRef": order_ref, "personalNumber": self.person.personal_number,
                            "givenName": self.person.given_name, "surname": self.person.surname}),
                )
                .await?,
        )?;
        expect_ok(
            "phone confirm",
            self.http
                .post(
                    "/bankid-sim/phone/confirm",
                    None,
                    &json!({"orderRef": order_ref}),
                )
                .await?,
        )?;
        Ok(())
    }

    /// Poll a collect route (every 100 ms here; the portal page polls every 2 s) until done.
    async fn collect(&self, path: &str, body: Value) -> Result<Value> {
        for _ in 0..100 {
            let out = expect_ok(
                "collect",
                self.http.post(path, self.session.as_deref(), &body).await?,
            )?;
            match out["status"].as_str() {
                Some("pending") => tokio::time::sleep(Duration::from_millis(100)).await,
                _ => return Ok(out),
            }
        }
        bail!("{path}: still pending")
    }

    pub async fn login(&mut self) -> Result<()> {
        let started = expect_ok(
            "login",
            self.http.post("/portal/login", None, &json!({})).await?,
        )?;
        let token = started["auto_start_token"]
            .as_str()
            .context("auto_start_token")?;
        self.phone_approves(token).await?;
        let done = self
            .collect(
                "/portal/login/collect",
                json!({"login_ref": started["login_ref"]}),
            )
            .await?;
        if done["status"] != "complete" {
            bail!("login failed: {done}");
        }
        self.session = Some(
            done["session_token"]
                .as_str()
                .context("session_token")?
                .to_string(),
        );
        Ok(())
    }

    pub async fn get(&self, path: &str) -> Result<(StatusCode, Value)> {
        self.http.get(path, self.session.as_deref()).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Result<(StatusCode, Value)> {
        self.http.post(path, self.session.as_deref(), body).await
    }

    /// Sign an order: start, approve on the phone, collect. Answers the final collect body.
    pub async fn sign(&self, tenant: &str, order_id: &str) -> Result<Value> {
        let started = expect_ok(
            "start signing",
            self.post(
                &format!("/portal/orders/{tenant}/{order_id}/sign"),
                &json!({}),
            )
            .await?,
        )?;
        let token = started["auto_start_token"]
            .as_str()
            .context("auto_start_token")?;
        self.phone_approves(token).await?;
        self.collect(
            "/portal/sign/collect",
            json!({"sign_ref": started["sign_ref"]}),
        )
        .await
    }
}
