// The verification page: sends the chosen PDF as it is and shows what the check found.
"use strict";
(function () {
  const file = document.getElementById("verify-file");
  const button = document.getElementById("verify-button");
  const result = document.getElementById("verify-result");

  function show(headline, lines, ok) {
    result.textContent = "";
    const p = document.createElement("p");
    p.className = ok ? "verdict ok" : "verdict";
    const strong = document.createElement("strong");
    strong.textContent = headline;
    p.appendChild(strong);
    result.appendChild(p);
    if (lines && lines.length) {
      const ul = document.createElement("ul");
      for (const line of lines) {
        const li = document.createElement("li");
        li.textContent = line;
        ul.appendChild(li);
      }
      result.appendChild(ul);
    }
  }

  // Opened from a notice: check the archive version the service keeps for that protocol.
  const kept = new URLSearchParams(window.location.search).get("arkivexemplar");
  if (kept && /^[a-z0-9-]+\/[0-9a-f-]+$/.test(kept)) {
    show("Kontrollerar arkivexemplaret …", [], false);
    fetch("/portal/verify/" + kept)
      .then(function (response) {
        return response.json().then(function (answer) { return [response.ok, answer]; });
      })
      .then(function (got) {
        if (got[0]) show(got[1].headline, got[1].details, got[1].valid);
        else show("Arkivexemplaret hittades inte.", [], false);
      })
      .catch(function () { show("Kontakten med tjänsten bröts. Försök igen.", [], false); });
  }

  button.addEventListener("click", async function () {
    const chosen = file.files && file.files[0];
    if (!chosen) {
      show("Välj en PDF-fil först.", [], false);
      file.focus();
      return;
    }
    button.disabled = true;
    show("Kontrollerar …", [], false);
    try {
      const response = await fetch("/portal/verify", {
        method: "POST",
        headers: { "content-type": "application/pdf" },
        body: chosen,
      });
      const answer = await response.json().catch(function () { return {}; });
      if (response.ok) {
        show(answer.headline, answer.details, answer.valid);
      } else {
        const message = answer.error && answer.error.message_sv;
        show(message || "Filen kunde inte kontrolleras. Försök igen.", [], false);
      }
    } catch (e) {
      show("Kontakten med tjänsten bröts. Försök igen.", [], false);
    } finally {
      button.disabled = false;
    }
  });
})();
