'use strict';
(function () {
  var STORAGE = 'esign.phone.identity';
  var POLL_MS = 2000;
  var KIND = { auth: ['Legitimering', 'Identifiera'], sign: ['Underskrift', 'Signera'] };

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

  function ApiError(status, code, messageSv) { this.status = status; this.code = code; this.message_sv = messageSv; }
  function api(method, path, json) {
    var init = { method: method, cache: 'no-store', credentials: 'same-origin', headers: {} };
    if (json !== undefined) { init.headers['Content-Type'] = 'application/json'; init.body = JSON.stringify(json); }
    return fetch(path, init)
      .catch(function () { throw new ApiError(0, 'network', 'Kunde inte nå simulatorn.'); })
      .then(function (res) {
        return res.text().then(function (t) {
          var data = null;
          try { data = t ? JSON.parse(t) : {}; } catch (e) { data = null; }
          if (!res.ok) {
            var e = data && data.error;
            var code = (e && e.code) || (data && data.errorCode) || ('http.' + res.status);
            var msg = (e && e.message_sv) || (data && data.details) || 'Det gick inte att utföra (' + res.status + ').';
            throw new ApiError(res.status, code, msg);
          }
          return data || {};
        });
      });
  }
  function showError(target, err) {
    clear(target);
    target.appendChild(document.createTextNode(err.message_sv || 'Något gick fel.'));
    if (err.code) target.appendChild(el('span', { className: 'muted', text: ' (felkod: ' + err.code + ')' }));
    target.hidden = false;
  }
  function hideError(target) { target.hidden = true; clear(target); }

  // ---- simpleMarkdownV1 (subset): headings, *bold*, _italic_, --- rules; everything else is text ----
  function decodeBase64Utf8(b64) {
    try {
      var bin = atob(String(b64 || ''));
      var bytes = new Uint8Array(bin.length);
      for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      return new TextDecoder('utf-8').decode(bytes);
    } catch (e) { return ''; }
  }
  // simpleMarkdownV1 inline: *emphasis*, and a backslash makes the next character literal.
  function inline(parent, text) {
    var buf = '', i = 0;
    function flush() { if (buf) { parent.appendChild(document.createTextNode(buf)); buf = ''; } }
    while (i < text.length) {
      var c = text[i];
      if (c === '\\' && i + 1 < text.length) { buf += text[i + 1]; i += 2; continue; }
      if (c === '*') {
        var j = i + 1, inner = '';
        while (j < text.length && text[j] !== '*') {
          if (text[j] === '\\' && j + 1 < text.length) { inner += text[j + 1]; j += 2; } else { inner += text[j]; j += 1; }
        }
        if (j < text.length && inner) { flush(); parent.appendChild(el('strong', { text: inner })); i = j + 1; continue; }
      }
      buf += c; i += 1;
    }
    flush();
  }
  function renderMarkdown(text) {
    var box = el('div', { className: 'uvd' });
    String(text).replace(/\r\n?/g, '\n').split('\n').forEach(function (line) {
      var h = /^(#{1,3})\s+(.*)$/.exec(line);
      if (h) { var node = el('h' + h[1].length); inline(node, h[2]); box.appendChild(node); return; }
      if (/^\s*(-{3,}|\*{3,})\s*$/.test(line)) { box.appendChild(el('hr')); return; }
      if (!line.trim()) return;
      var p = el('p'); inline(p, line); box.appendChild(p);
    });
    return box;
  }

  // ---- identity ----
  function identity() {
    try { return JSON.parse(localStorage.getItem(STORAGE) || 'null'); } catch (e) { return null; }
  }
  function fillIdentity() {
    var id = identity();
    $('phone-pnr').value = id ? id.personalNumber : '';
    $('phone-given-name').value = id ? id.givenName : '';
    $('phone-surname').value = id ? id.surname : '';
  }
  $('identity-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    hideError($('identity-error'));
    var pnr = $('phone-pnr').value.replace(/[\s-]/g, '');
    var given = $('phone-given-name').value.trim();
    var surname = $('phone-surname').value.trim();
    var fields = [['phone-pnr', /^\d{12}$/.test(pnr), 'Ange personnumret med 12 siffror.'],
      ['phone-given-name', !!given, 'Ange förnamn.'], ['phone-surname', !!surname, 'Ange efternamn.']];
    for (var i = 0; i < fields.length; i++) {
      $(fields[i][0]).removeAttribute('aria-invalid');
    }
    for (var j = 0; j < fields.length; j++) {
      if (!fields[j][1]) {
        showError($('identity-error'), { message_sv: fields[j][2] });
        $(fields[j][0]).setAttribute('aria-invalid', 'true');
        $(fields[j][0]).focus();
        return;
      }
    }
    localStorage.setItem(STORAGE, JSON.stringify({ personalNumber: pnr, givenName: given, surname: surname }));
    $('phone-pnr').value = pnr;
    lastCount = -1;
    pollOrders();
    $('orders-heading').focus();
  });
  $('identity-forget').addEventListener('click', function () {
    localStorage.removeItem(STORAGE);
    fillIdentity();
    clear($('order-list'));
    $('orders-status').textContent = 'Uppgifterna är borttagna.';
    $('phone-pnr').focus();
  });

  // ---- pending orders ----
  var lastCount = -1;
  var lastKey = '';
  var busy = {};
  function pollOrders() {
    var id = identity();
    if (!id) {
      var hint = 'Fyll i dina uppgifter ovan för att se väntande ärenden.';
      if ($('orders-status').textContent !== hint) $('orders-status').textContent = hint;
      return Promise.resolve();
    }
    // The simulator's phone API takes the personnummer as a query parameter; it is never put in
    // this page's own address and never logged.
    return api('GET', '/bankid-sim/phone/orders?personalNumber=' + encodeURIComponent(id.personalNumber)).then(function (data) {
      hideError($('orders-error'));
      var orders = Array.isArray(data) ? data : (data.orders || []);
      var key = orders.map(function (o) { return o.orderRef + ':' + o.kind; }).join('|');
      if (key !== lastKey) {
        lastKey = key;
        var list = $('order-list');
        var focusedRef = document.activeElement && document.activeElement.getAttribute('data-ref');
        clear(list);
        orders.forEach(function (o) { list.appendChild(renderOrder(o, list)); });
        if (focusedRef) {
          var again = list.querySelector('[data-ref="' + focusedRef.replace(/"/g, '') + '"]');
          if (again) again.focus();
        }
      }
      if (orders.length !== lastCount) {
        lastCount = orders.length;
        $('orders-status').textContent = orders.length === 0 ? 'Inga väntande ärenden.'
          : (orders.length === 1 ? 'Ett ärende väntar.' : orders.length + ' ärenden väntar.');
      }
    }).catch(function (err) { showError($('orders-error'), err); });
  }

  function renderOrder(o, list) {
    var kind = KIND[o.kind] || ['Ärende', 'Godkänn'];
    var li = el('li');
    li.appendChild(el('p', { className: 'kind', text: kind[0] }));
    if (o.userVisibleData) li.appendChild(renderMarkdown(decodeBase64Utf8(o.userVisibleData)));
    else li.appendChild(el('p', { text: o.kind === 'auth' ? 'Legitimera dig.' : 'Godkänn ärendet.' }));
    var error = el('p', { className: 'error', hidden: '' });
    var done = el('p', { className: 'success', role: 'status' });
    var approve = el('button', { type: 'button', className: 'ok', 'data-ref': o.orderRef, text: kind[1] });
    var cancel = el('button', { type: 'button', className: 'secondary', text: 'Avbryt' });
    approve.addEventListener('click', function () { act(o.orderRef, 'approve', approve, cancel, error, done, kind, o.autoStartToken); });
    cancel.addEventListener('click', function () { act(o.orderRef, 'cancel', approve, cancel, error, done, kind); });
    li.appendChild(el('div', { className: 'actions' }, [approve, cancel]));
    li.appendChild(error);
    li.appendChild(done);
    return li;
  }

  function act(orderRef, what, approve, cancel, error, done, kind, autoStartToken) {
    var id = identity();
    hideError(error);
    if (what === 'approve' && !id) {
      showError(error, { message_sv: 'Fyll i personnummer och namn först.' }); $('phone-pnr').focus(); return;
    }
    if (busy[orderRef]) return;
    busy[orderRef] = true;
    approve.disabled = true; cancel.disabled = true;
    var step = what === 'cancel'
      ? api('POST', '/bankid-sim/phone/cancel', { orderRef: orderRef })
      // An order picked from the list is opened first, as the app does when it starts it.
      : (autoStartToken ? api('POST', '/bankid-sim/phone/open', { autoStartToken: autoStartToken }) : Promise.resolve())
          .then(function () { return api('POST', '/bankid-sim/phone/identify', { orderRef: orderRef, personalNumber: id.personalNumber, givenName: id.givenName, surname: id.surname }); })
          .then(function () { return api('POST', '/bankid-sim/phone/confirm', { orderRef: orderRef }); });
    step.then(function () {
      done.textContent = what === 'cancel' ? 'Avbrutet.' : (kind[1] === 'Signera' ? 'Signerat. Gå tillbaka till webbsidan.' : 'Klart. Gå tillbaka till webbsidan.');
      // The order is finished: its buttons go, the message stays (focus moves to it).
      var actions = approve.parentNode;
      if (actions && actions.parentNode) actions.parentNode.removeChild(actions);
      done.setAttribute('tabindex', '-1');
      done.focus();
      setTimeout(function () { delete busy[orderRef]; pollOrders(); }, 1500);
    }).catch(function (err) {
      delete busy[orderRef];
      showError(error, err);
      approve.disabled = false; cancel.disabled = false;
    });
  }

  // ---- open by QR text or autostart token ----
  function parseOpenInput(raw) {
    var text = String(raw || '').trim();
    if (!text) return null;
    if (/^bankid\./.test(text)) return { qrData: text };
    var m = /[?&]autostarttoken=([^&\s]+)/i.exec(text);
    if (m) { try { return { autoStartToken: decodeURIComponent(m[1]) }; } catch (e) { return { autoStartToken: m[1] }; } }
    return { autoStartToken: text };
  }
  $('open-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var input = $('open-input');
    hideError($('open-error')); input.removeAttribute('aria-invalid');
    var body = parseOpenInput(input.value);
    if (!body) { showError($('open-error'), { message_sv: 'Klistra in QR-kodens text eller en token.' }); input.setAttribute('aria-invalid', 'true'); input.focus(); return; }
    $('open-button').disabled = true;
    api('POST', '/bankid-sim/phone/open', body).then(function (data) {
      input.value = '';
      var order = { orderRef: data.orderRef, kind: data.kind, userVisibleData: data.userVisibleData };
      var list = $('opened-list');
      clear(list);
      var item = renderOrder(order, list);
      list.appendChild(item);
      $('open-status').textContent = 'Ärendet är öppnat. Välj vad du vill göra.';
      item.querySelector('button').focus();
      pollOrders();
    }).catch(function (err) { showError($('open-error'), err); input.setAttribute('aria-invalid', 'true'); input.focus(); })
      .then(function () { $('open-button').disabled = false; });
  });

  document.addEventListener('visibilitychange', function () { if (!document.hidden) pollOrders(); });
  fillIdentity();
  pollOrders();
  setInterval(function () { if (!document.hidden) pollOrders(); }, POLL_MS);
})();
