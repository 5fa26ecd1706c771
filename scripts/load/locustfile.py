"""Load on `esign serve`: signers who have logged in with (simulated) BankID poll their signing
every second, as the portal page does, while secretaries list their orders. Run by
scripts/bench-load; each signer is a person of their own with an order of their own.

Signers never approve on the phone: their signing stays pending (and is started again when
BankID gives up on it), which is the most common state and the most frequent request.
"""
import itertools
import json
import os
import threading

from locust import HttpUser, between, constant, events, task

API_KEY = os.environ["ESIGN_BENCH_API_KEY"]
DOCUMENT_ID = os.environ["ESIGN_BENCH_DOCUMENT_ID"]
TENANT = os.environ.get("ESIGN_BENCH_TENANT", "demo")
_serial = itertools.count(1)
_lock = threading.Lock()


def personnummer(n):
    """A valid personnummer (Luhn check digit) born 1980-01-01, serial n."""
    base = f"800101{n:03d}"
    total = 0
    for i, d in enumerate(base):
        p = int(d) * (2 if i % 2 == 0 else 1)
        total += p // 10 + p % 10
    return f"19{base}{(10 - total % 10) % 10}"


class Signer(HttpUser):
    weight = 40
    wait_time = constant(1)

    def on_start(self):
        with _lock:
            n = next(_serial)
        self.pnr = personnummer(n)
        self.client.headers["content-type"] = "application/json"
        body = {
            "document_id": DOCUMENT_ID, "committee": "KS", "meeting_date": "2026-12-01",
            "paragraphs": "§ 1", "title": f"Protokoll {n}", "plan": "parallel",
            "signers": [{"name": f"Ledamot {n}", "role": "justerare", "personnummer": self.pnr}],
        }
        r = self.client.post("/api/orders", json=body, name="setup: create order",
                             headers={"authorization": f"Bearer {API_KEY}"})
        self.order_id = r.json()["order"]["id"]
        started = self.client.post("/portal/login", json={}, name="/portal/login").json()
        opened = self.client.post("/bankid-sim/phone/open", name="setup: phone",
                                  json={"autoStartToken": started["auto_start_token"]}).json()
        for step, extra in (("identify", {"personalNumber": self.pnr, "givenName": "Ledamot",
                                          "surname": str(n)}), ("confirm", {})):
            self.client.post(f"/bankid-sim/phone/{step}", name="setup: phone",
                             json={"orderRef": opened["orderRef"], **extra})
        for _ in range(20):
            done = self.client.post("/portal/login/collect", name="/portal/login/collect",
                                    json={"login_ref": started["login_ref"]}).json()
            if done.get("status") == "complete":
                self.session = done["session_token"]
                break
        else:
            raise RuntimeError("login did not complete")
        self.sign_ref = None

    def start_signing(self):
        r = self.client.post(f"/portal/orders/{TENANT}/{self.order_id}/sign", json={},
                             name="/portal/orders/{t}/{id}/sign",
                             headers={"authorization": f"Bearer {self.session}"})
        self.sign_ref = r.json().get("sign_ref")

    @task
    def poll(self):
        if not self.sign_ref:
            self.start_signing()
            return
        r = self.client.post("/portal/sign/collect", json={"sign_ref": self.sign_ref},
                             name="/portal/sign/collect",
                             headers={"authorization": f"Bearer {self.session}"})
        if r.ok and r.json().get("status") == "failed":
            self.sign_ref = None


class Secretary(HttpUser):
    fixed_count = 5
    wait_time = between(1, 2)

    @task
    def list_orders(self):
        self.client.get("/api/orders", name="/api/orders",
                        headers={"authorization": f"Bearer {API_KEY}"})


class StaticPage(HttpUser):
    """The reference in the same run: the start page, a static page from memory (the floor
    the HTTP stack and the load tool give every other figure)."""

    fixed_count = 1
    wait_time = constant(1)

    @task
    def start_page(self):
        self.client.get("/", name="reference: GET / (static)")
