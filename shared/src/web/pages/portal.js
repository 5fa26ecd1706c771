'use strict';
(function () {
  // Every second, so the animated QR code changes as BankID asks; the server asks BankID
  // (collect) at most every two seconds and answers the polls in between itself.
  var POLL_MS = 1000;
  var STATUS_LABELS = {
    open: ['Öppet för signering', 'wait'], declined: ['Avböjt', 'bad'], recalled: ['Återkallat', 'bad'],
    expired: ['Tiden har gått ut', 'bad'], completed: ['Alla har signerat', 'ok'], sealed: ['Klart', 'ok'],
    published: ['Klart och publicerat', 'ok'], exported: ['Klart och arkiverat', 'ok']
  };
  var MY_STATE = { pending: ['Du har inte signerat', 'wait'], signed: ['Du har signerat', 'ok'], declined: ['Du har avböjt', 'bad'] };

  function $(id) { return document.getElementById(id); }
  function el(tag, props, children) {
    var node = document.createElement(tag);
    if (props) Object.keys(props).forEach(function (k) {
      if (k === 'text') node.textContent = props[k];
      else if (k === 'className') node.className = props[k];
      else node.setAttribute(k, props[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function badge(map, value) {
    var e = map[value] || [String(value || 'okänd'), 'neutral'];
    return el('span', { className: 'badge ' + e[1], text: e[0] });
  }
  var timeFmt = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Stockholm', dateStyle: 'long', timeStyle: 'short' });
  function formatTime(v) { var d = new Date(v); return v && !isNaN(d.getTime()) ? timeFmt.format(d) : '–'; }

  // ---- API ----
  var sessionToken = null; // kept in memory only; the HttpOnly cookie carries the session across reloads
  function ApiError(status, code, messageSv) { this.status = status; this.code = code; this.message_sv = messageSv; }
  function api(method, path, options) {
    var opts = options || {};
    var headers = {};
    if (sessionToken) headers.Authorization = 'Bearer ' + sessionToken;
    var body;
    if (opts.json !== undefined) { headers['Content-Type'] = 'application/json'; body = JSON.stringify(opts.json); }
    return fetch(path, { method: method, headers: headers, body: body, cache: 'no-store', credentials: 'same-origin' })
      .catch(function () { throw new ApiError(0, 'network', 'Kunde inte nå tjänsten. Kontrollera anslutningen och försök igen.'); })
      .then(function (res) {
        if (!res.ok) {
          return res.json().catch(function () { return null; }).then(function (data) {
            var e = data && data.error;
            var fallback = res.status === 401 ? 'Du är inte inloggad.' : (res.status >= 500 ? 'Ett fel uppstod hos tjänsten. Försök igen om en stund.' : 'Det gick inte att utföra.');
            throw new ApiError(res.status, (e && e.code) || ('http.' + res.status), (e && e.message_sv) || fallback);
          });
        }
        if (opts.blob) return res.blob();
        return res.text().then(function (t) { return t ? JSON.parse(t) : {}; });
      });
  }
  function showError(target, err) {
    clear(target);
    target.appendChild(document.createTextNode(err.message_sv || 'Något gick fel.'));
    if (err.code) target.appendChild(el('span', { className: 'muted', text: ' (felkod: ' + err.code + ')' }));
    target.hidden = false;
  }
  function hideError(target) { target.hidden = true; clear(target); }

  // ---- views ----
  function show(view) {
    $('login-section').hidden = view !== 'login';
    $('bankid-panel').hidden = view !== 'bankid';
    $('documents-section').hidden = view !== 'documents';
  }

  // ---- BankID flow shared by login and signing ----
  var flow = null; // {kind, ref, timer, onComplete, failures}
  // The server draws the code (qr_svg); as an image it is only a picture, it can run nothing.
  function drawQr(data) {
    if (!data.qr_data) return;
    $('qr-text').textContent = data.qr_data;
    if (data.qr_svg) {
      $('qr-image').src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(data.qr_svg);
    } else {
      $('qr-image').removeAttribute('src');
      showError($('bankid-error'), { message_sv: 'QR-koden kunde inte visas. Använd länken för att öppna BankID på den här enheten.' });
    }
  }
  function setMessage(text) {
    // Only changed text is written, so screen readers announce each new instruction once.
    if ($('bankid-message').textContent !== text) $('bankid-message').textContent = text;
  }
  function setQrVisible(visible) {
    $('qr-area').hidden = !visible;
    $('qr-help').hidden = !visible;
  }
  function startFlow(kind, heading, start, collectPath, refName, onComplete) {
    stopFlow();
    $('bankid-heading').textContent = heading;
    hideError($('bankid-error'));
    $('bankid-retry').hidden = true;
    $('bankid-cancel').hidden = false;
    setMessage('Startar BankID …');
    setQrVisible(false);
    // Nothing from an earlier attempt may linger: its token and QR code are dead.
    $('autostart-link').hidden = true;
    $('autostart-link').setAttribute('href', '#');
    $('qr-text').textContent = '';
    $('qr-image').removeAttribute('src');
    show('bankid');
    $('bankid-panel').focus();
    var myFlow = { kind: kind, ref: null, timer: null, failures: 0 };
    flow = myFlow;
    start().then(function (data) {
      if (flow !== myFlow) return;
      myFlow.ref = data[refName];
      $('autostart-link').href = 'bankid:///?autostarttoken=' + encodeURIComponent(data.auto_start_token || '') + '&redirect=null';
      $('autostart-link').hidden = false;
      drawQr(data);
      setQrVisible(true);
      setMessage('Starta BankID-appen och skanna QR-koden, eller öppna BankID på den här enheten.');
      myFlow.timer = setTimeout(poll, POLL_MS);
    }).catch(function (err) { if (flow === myFlow) failFlow(err); });

    function poll() {
      if (flow !== myFlow) return;
      var body = {}; body[refName] = myFlow.ref;
      api('POST', collectPath, { json: body }).then(function (data) {
        if (flow !== myFlow) return;
        myFlow.failures = 0;
        if (data.message_sv) setMessage(data.message_sv);
        if (data.status === 'complete') {
          flow = null;
          onComplete(data);
          return;
        }
        if (data.status === 'failed') {
          failFlow({ message_sv: data.message_sv || 'BankID avbröts.', code: data.hint_code ? 'bankid.' + data.hint_code : null });
          return;
        }
        var hint = data.hint_code;
        var waitingForScan = !hint || hint === 'outstandingTransaction' || hint === 'noClient';
        setQrVisible(waitingForScan);
        if (waitingForScan && data.qr_data) drawQr(data);
        myFlow.timer = setTimeout(poll, POLL_MS);
      }).catch(function (err) {
        if (flow !== myFlow) return;
        // A single lost poll is retried; repeated failures end the attempt with the reason.
        if (err.status === 0 && ++myFlow.failures < 3) { myFlow.timer = setTimeout(poll, POLL_MS); return; }
        failFlow(err);
      });
    }
  }
  function failFlow(err) {
    if (flow && flow.timer) clearTimeout(flow.timer);
    setQrVisible(false);
    $('autostart-link').hidden = true;
    setMessage('');
    showError($('bankid-error'), err);
    $('bankid-retry').hidden = false;
    $('bankid-retry').focus();
    // The order has ended: nothing is left to cancel.
    flow = null;
  }
  function stopFlow() {
    if (flow && flow.timer) clearTimeout(flow.timer);
    flow = null;
  }
  $('bankid-retry').addEventListener('click', function () {
    var retry = lastRetry; if (retry) retry();
  });
  var lastRetry = null;
  $('bankid-cancel').addEventListener('click', function () {
    // Tell BankID too, so the order does not linger on the user's phone.
    var ref = flow && flow.ref;
    stopFlow();
    if (ref) api('POST', '/portal/cancel', { json: { order_ref: ref } }).catch(function () {});
    if (afterCancel) afterCancel();
  });
  var afterCancel = null;
  // Leaving the page (closing the tab, navigating away) cancels a BankID order in progress,
  // so it does not wait on the user's phone.
  window.addEventListener('pagehide', function () {
    if (!flow || !flow.ref || !navigator.sendBeacon) return;
    var body = new Blob([JSON.stringify({ order_ref: flow.ref })], { type: 'application/json' });
    navigator.sendBeacon('/portal/cancel', body);
  });

  // ---- login ----
  function login() {
    afterCancel = function () { show('login'); $('login-button').focus(); };
    lastRetry = login;
    hideError($('login-error'));
    startFlow('login', 'Logga in med BankID', function () { return api('POST', '/portal/login', { json: {} }); },
      '/portal/login/collect', 'login_ref', function (data) {
        if (data.session_token) sessionToken = data.session_token;
        showDocuments(data.name);
      });
  }
  $('login-button').addEventListener('click', login);

  function showLogin(message) {
    sessionToken = null;
    stopFlow();
    show('login');
    if (message) showError($('login-error'), message);
  }
  $('logout-button').addEventListener('click', function () {
    api('POST', '/portal/logout', { json: {} }).catch(function () { return null; }).then(function () {
      sessionToken = null;
      clear($('document-list'));
      showLogin();
      $('login-heading').setAttribute('tabindex', '-1');
      $('login-heading').focus();
      $('documents-status').textContent = '';
    });
  });

  // ---- documents ----
  function showDocuments(name) {
    show('documents');
    if (name) $('user-name').textContent = name;
    else api('GET', '/portal/me').then(function (me) { $('user-name').textContent = me.name || ''; }).catch(function () {});
    $('documents-section').focus();
    loadDocuments();
  }
  function loadDocuments(announce) {
    hideError($('documents-error'));
    return api('GET', '/portal/orders').then(function (data) {
      var orders = (data && data.orders) || [];
      var list = $('document-list'); clear(list);
      orders.forEach(function (o) { list.appendChild(renderDocument(o)); });
      var waiting = orders.filter(function (o) { return o.may_sign_now && o.my_state === 'pending'; }).length;
      $('documents-status').textContent = announce || (orders.length === 0
        ? 'Du har inga dokument att signera just nu.'
        : (waiting ? waiting + ' dokument väntar på din underskrift.' : 'Inget dokument väntar på din underskrift.'));
    }).catch(function (err) {
      if (err.status === 401) { showLogin({ message_sv: 'Du har loggats ut. Logga in igen.', code: err.code }); return; }
      showError($('documents-error'), err);
    });
  }
  $('documents-refresh').addEventListener('click', function () { loadDocuments(); });

  function orderPath(o) { return '/portal/orders/' + encodeURIComponent(o.tenant) + '/' + encodeURIComponent(o.id); }

  function renderDocument(o) {
    var li = el('li', { 'data-order': String(o.id) });
    var headingId = 'doc-' + String(o.id).replace(/[^A-Za-z0-9_-]/g, '') + '-title';
    li.appendChild(el('h3', { id: headingId, text: o.title || o.file_name || 'Dokument' }));
    var facts = el('dl', { className: 'facts' });
    [['Organisation', o.tenant_name], ['Nämnd', o.committee], ['Sammanträde', o.meeting_date], ['Paragrafer', o.paragraphs],
     ['Fil', o.file_name], ['Sista dag', formatTime(o.deadline)], ['Meddelande från sekreteraren', o.message]].forEach(function (p) {
      if (!p[1]) return;
      facts.appendChild(el('dt', { text: p[0] })); facts.appendChild(el('dd', { text: String(p[1]) }));
    });
    facts.appendChild(el('dt', { text: 'Status' }));
    facts.appendChild(el('dd', null, [badge(STATUS_LABELS, o.status), ' ', badge(MY_STATE, o.my_state)]));
    li.appendChild(facts);
    var status = el('p', { className: 'error', role: 'alert', hidden: '' });
    var canSign = o.status === 'open' && o.my_state === 'pending' && o.may_sign_now;
    if (o.status === 'open' && o.my_state === 'pending' && !o.may_sign_now) {
      li.appendChild(el('p', { className: 'muted', text: 'Du kan signera när de som ska signera före dig är klara.' }));
    }
    li.appendChild(renderSignersDetails(o));
    var read = el('button', { type: 'button', className: 'secondary', 'aria-describedby': headingId, text: 'Läs dokumentet' });
    read.addEventListener('click', function () { openPdf(o, status); });
    var actions = el('div', { className: 'actions' }, [read]);
    if (canSign) {
      var sign = el('button', { type: 'button', className: 'ok', 'aria-describedby': headingId, text: 'Signera' });
      sign.addEventListener('click', function () { signOrder(o); });
      var reject = el('button', { type: 'button', className: 'danger', 'aria-describedby': headingId, 'aria-expanded': 'false', text: 'Avböj' });
      actions.appendChild(sign); actions.appendChild(reject);
      var box = renderRejectBox(o, reject, status);
      reject.addEventListener('click', function () {
        var open = box.hidden;
        box.hidden = !open;
        reject.setAttribute('aria-expanded', String(open));
        if (open) box.querySelector('textarea').focus();
      });
      li.appendChild(actions);
      li.appendChild(status);
      li.appendChild(box);
    } else {
      li.appendChild(actions);
      li.appendChild(status);
    }
    return li;
  }

  // Who signs and how far they have come; loaded when opened (GET /portal/orders/{tenant}/{id}).
  function renderSignersDetails(o) {
    var details = el('details', { className: 'signers' });
    details.appendChild(el('summary', { text: 'Vilka ska signera?' }));
    var body = el('div', { 'aria-live': 'polite' });
    details.appendChild(body);
    details.addEventListener('toggle', function () {
      if (!details.open) return;
      clear(body);
      body.appendChild(el('p', { className: 'muted', text: 'Hämtar …' }));
      api('GET', orderPath(o)).then(function (item) {
        clear(body);
        var list = el('ul');
        (item.signers || []).forEach(function (sg) {
          list.appendChild(el('li', null, [(sg.name || '–') + (sg.role_label ? ', ' + sg.role_label : '') + ': ',
            badge({ pending: ['Väntar', 'wait'], signed: ['Har signerat', 'ok'], declined: ['Har avböjt', 'bad'] }, sg.state)]));
        });
        body.appendChild(list);
      }).catch(function (err) { clear(body); var p = el('p', { className: 'error' }); body.appendChild(p); showError(p, err); });
    });
    return details;
  }

  function renderRejectBox(o, toggle, status) {
    var id = 'reject-' + String(o.id).replace(/[^A-Za-z0-9_-]/g, '');
    var form = el('form', { className: 'reject-box', novalidate: '', hidden: '' });
    form.appendChild(el('label', { for: id, text: 'Varför avböjer du? (obligatoriskt)' }));
    form.appendChild(el('span', { className: 'hint', id: id + '-hint', text: 'Kommentaren skickas bara till nämndsekreteraren, som kan rätta dokumentet och skicka det igen.' }));
    var text = el('textarea', { id: id, required: '', 'aria-describedby': id + '-hint ' + id + '-error' });
    text.addEventListener('input', function () { if (text.value.trim()) { hideError(error); text.removeAttribute('aria-invalid'); } });
    form.appendChild(text);
    var error = el('p', { className: 'error', id: id + '-error', hidden: '' });
    form.appendChild(error);
    var send = el('button', { type: 'submit', className: 'danger', text: 'Skicka avböjande' });
    var cancel = el('button', { type: 'button', className: 'secondary', text: 'Avbryt' });
    cancel.addEventListener('click', function () { form.hidden = true; toggle.setAttribute('aria-expanded', 'false'); toggle.focus(); });
    form.appendChild(el('div', { className: 'actions' }, [send, cancel]));
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      hideError(error); text.removeAttribute('aria-invalid');
      var comment = text.value.trim();
      if (!comment) {
        showError(error, { message_sv: 'Skriv varför du avböjer.' }); text.setAttribute('aria-invalid', 'true'); text.focus(); return;
      }
      send.disabled = true;
      api('POST', orderPath(o) + '/reject', { json: { comment: comment } }).then(function () {
        loadDocuments('Du har avböjt ”' + (o.title || 'dokumentet') + '”. Sekreteraren har fått din kommentar.').then(function () {
          $('documents-heading').setAttribute('tabindex', '-1'); $('documents-heading').focus();
        });
      }).catch(function (err) {
        showError(error, err); text.setAttribute('aria-invalid', 'true'); text.focus(); send.disabled = false;
      });
    });
    return form;
  }

  function openPdf(o, status) {
    hideError(status);
    // Opened before the request so that pop-up blockers allow it (it follows the click).
    var win = window.open('', '_blank');
    if (win) { try { win.document.title = 'Hämtar dokumentet …'; } catch (e) { /* other origin */ } }
    api('GET', orderPath(o) + '/document.pdf', { blob: true }).then(function (blob) {
      var url = URL.createObjectURL(new Blob([blob], { type: 'application/pdf' }));
      if (win && !win.closed) win.location.href = url;
      else {
        var a = el('a', { href: url, download: o.file_name || 'dokument.pdf' });
        document.body.appendChild(a); a.click(); a.parentNode.removeChild(a);
      }
      setTimeout(function () { URL.revokeObjectURL(url); }, 10 * 60 * 1000);
    }).catch(function (err) {
      if (win && !win.closed) win.close();
      showError(status, err);
    });
  }

  function signOrder(o) {
    afterCancel = function () { show('documents'); loadDocuments(); };
    lastRetry = function () { signOrder(o); };
    startFlow('sign', 'Signera ”' + (o.title || 'dokumentet') + '” med BankID',
      function () { return api('POST', orderPath(o) + '/sign', { json: {} }); },
      '/portal/sign/collect', 'sign_ref', function () {
        show('documents');
        loadDocuments('Klart! Du har signerat ”' + (o.title || 'dokumentet') + '”.').then(function () {
          $('documents-section').focus();
        });
      });
  }

  // ---- start: an existing session cookie skips the login ----
  api('GET', '/portal/me').then(function (me) { showDocuments(me.name); })
    .catch(function (err) { showLogin(err.status === 401 || err.status === 404 ? null : err); });
})();
