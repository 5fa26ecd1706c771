'use strict';
(function () {
  var KEY_STORAGE = 'esign.apiKey';
  var REFRESH_MS = 5000;
  var STATUS_LABELS = {
    open: ['Väntar på underskrifter', 'wait'], declined: ['Avböjt', 'bad'], recalled: ['Återkallat', 'bad'],
    expired: ['Tiden har gått ut', 'bad'], completed: ['Alla har signerat', 'ok'], sealed: ['Förseglat', 'ok'],
    published: ['Publicerat', 'ok'], exported: ['Arkiverat', 'ok'], failed: ['Stoppat av ett fel', 'bad']
  };
  var SIGNER_STATES = { pending: ['Väntar', 'wait'], signed: ['Signerat', 'ok'], declined: ['Avböjt', 'bad'] };
  var ROLES = [['ordforande', 'Ordförande'], ['justerare', 'Justerare'], ['sekreterare', 'Sekreterare'], ['part', 'Part (avtal)']];
  var EVENT_LABELS = {
    created: 'Skickat för signering', signed: 'Signerat', completed: 'Alla har signerat', declined: 'Avböjt',
    recalled: 'Återkallat', resent: 'Ny version skickad', expired: 'Tiden gick ut', seal: 'Förseglat',
    publish: 'Publicerat', export: 'Exporterat till e-arkivet', reminded: 'Påminnelse skickad',
    failed: 'Stoppat av ett fel', retried: 'Körs igen'
  };
  var PLAN_LABELS = { parallel: 'Alla samtidigt', sequential: 'En i taget', steps: 'I steg' };
  // [which file, its route, the button, the name it is saved under (as the service names it)]
  var DOWNLOADS = [
    ['archive', 'archive.pdf', 'Arkivversion (PDF)', 'arkivversion.pdf'],
    ['publication', 'publication.pdf', 'Publiceringsversion (PDF)', 'publiceringsversion.pdf'],
    ['notice', 'notice.html', 'Anslag (HTML)', 'anslag.html'], ['notice', 'notice.json', 'Anslag (JSON)', 'anslag.json'],
    ['sip', 'sip.zip', 'Arkivpaket (SIP, zip)', 'arkivpaket.zip']
  ];

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
    var entry = map[value] || [String(value || 'okänd'), 'neutral'];
    return el('span', { className: 'badge ' + entry[1], text: entry[0] });
  }
  var dateTimeFmt = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Stockholm', dateStyle: 'short', timeStyle: 'short' });
  function formatTime(value) {
    if (!value) return '–';
    var d = new Date(value);
    return isNaN(d.getTime()) ? String(value) : dateTimeFmt.format(d);
  }

  // ---- API access ----
  function ApiError(status, code, messageSv) { this.status = status; this.code = code; this.message_sv = messageSv; }
  function apiKey() { return sessionStorage.getItem(KEY_STORAGE) || ''; }
  function genericMessage(status) {
    if (status === 401) return 'API-nyckeln godtogs inte.';
    if (status === 404) return 'Det du söker finns inte.';
    if (status === 413) return 'Filen är för stor.';
    if (status >= 500) return 'Ett fel uppstod hos tjänsten. Försök igen om en stund.';
    return 'Begäran kunde inte utföras.';
  }
  function api(method, path, options) {
    var opts = options || {};
    // Staff logged in with BankID are known by their session cookie; an API key is the other way.
    var headers = apiKey() ? { Authorization: 'Bearer ' + apiKey() } : {};
    var body;
    if (opts.json !== undefined) { headers['Content-Type'] = 'application/json'; body = JSON.stringify(opts.json); }
    if (opts.bytes !== undefined) { headers['Content-Type'] = 'application/pdf'; body = opts.bytes; }
    return fetch(path, { method: method, headers: headers, body: body, cache: 'no-store', credentials: 'same-origin' })
      .catch(function () {
        throw new ApiError(0, 'network', 'Kunde inte nå tjänsten. Kontrollera anslutningen och försök igen.');
      })
      .then(function (res) {
        if (!res.ok) {
          return res.json().catch(function () { return null; }).then(function (data) {
            var e = data && data.error;
            if (res.status === 401) showKeyMissing('API-nyckeln godtogs inte. Ange den igen.');
            throw new ApiError(res.status, (e && e.code) || ('http.' + res.status), (e && e.message_sv) || genericMessage(res.status));
          });
        }
        if (opts.blob) return res.blob();
        return res.text().then(function (t) { return t ? JSON.parse(t) : {}; });
      });
  }
  function showError(target, err, field) {
    target.textContent = '';
    target.appendChild(document.createTextNode(err.message_sv || 'Något gick fel.'));
    if (err.code) target.appendChild(el('span', { className: 'muted', text: ' (felkod: ' + err.code + ')' }));
    target.hidden = false;
    if (field) field.setAttribute('aria-invalid', 'true');
  }
  function hideError(target, field) {
    target.hidden = true; target.textContent = '';
    if (field) field.removeAttribute('aria-invalid');
  }

  // ---- API key ----
  function showKeyMissing(message) {
    sessionStorage.removeItem(KEY_STORAGE);
    $('key-missing').hidden = false; $('key-present').hidden = true; $('app').hidden = true;
    stopDetail();
    if (message) { $('key-error').textContent = message; $('key-error').hidden = false; }
  }
  function showKeyPresent() {
    $('key-missing').hidden = true; $('key-present').hidden = false; $('app').hidden = false;
    loadOrders();
  }
  $('key-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var value = $('api-key').value.trim();
    if (!value) { $('key-error').textContent = 'Ange API-nyckeln.'; $('key-error').hidden = false; $('api-key').focus(); return; }
    sessionStorage.setItem(KEY_STORAGE, value);
    $('api-key').value = '';
    hideError($('key-error'));
    showKeyPresent();
    $('new-heading').setAttribute('tabindex', '-1');
    $('new-heading').focus();
  });
  $('key-forget').addEventListener('click', function () { showKeyMissing(); $('api-key').focus(); });

  // ---- upload ----
  function readFile(file) {
    return new Promise(function (resolve, reject) {
      var reader = new FileReader();
      reader.onload = function () { resolve(reader.result); };
      reader.onerror = function () { reject(new ApiError(0, 'file.read', 'Filen kunde inte läsas.')); };
      reader.readAsArrayBuffer(file);
    });
  }
  function uploadFile(file) {
    return readFile(file).then(function (bytes) {
      return api('POST', '/api/documents?file_name=' + encodeURIComponent(file.name), { bytes: bytes });
    }).then(function (data) { return data.document || data; });
  }
  function formatSize(bytes) {
    if (typeof bytes !== 'number') return '–';
    return bytes < 1024 * 1024 ? Math.max(1, Math.round(bytes / 1024)) + ' kB' : (bytes / 1048576).toFixed(1).replace('.', ',') + ' MB';
  }
  $('upload-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var input = $('upload-file');
    hideError($('upload-error'), input);
    if (!input.files || !input.files[0]) {
      showError($('upload-error'), { message_sv: 'Välj en PDF-fil först.' }, input); input.focus(); return;
    }
    var button = $('upload-button');
    button.disabled = true; button.textContent = 'Laddar upp …';
    uploadFile(input.files[0]).then(function (doc) {
      var facts = $('upload-facts'); clear(facts);
      [['Filnamn', doc.file_name], ['Storlek', formatSize(doc.size)], ['Sidor', doc.page_count],
       ['PDF/A', doc.pdfa_claim ? String(doc.pdfa_claim) : 'Nej'], ['Dokument-id', doc.id]].forEach(function (p) {
        facts.appendChild(el('dt', { text: p[0] })); facts.appendChild(el('dd', { text: p[1] === undefined || p[1] === null ? '–' : String(p[1]) }));
      });
      var check = doc.publication;
      $('upload-publication').textContent = check ? check.message_sv : 'Dokumentet kunde inte granskas för personnummer. Det granskas igen när det publiceras.';
      $('preview-button').hidden = !check || !!check.held;
      uploadedId = doc.id;
      $('upload-result').hidden = false;
      $('order-document-id').value = doc.id || '';
      if (!$('order-title').value && doc.title) $('order-title').value = doc.title;
      $('order-created').textContent = 'Dokumentet är uppladdat. Fyll i uppgifterna nedan.';
    }).catch(function (err) { showError($('upload-error'), err, input); input.focus(); })
      .then(function () { button.disabled = false; button.textContent = 'Ladda upp'; });
  });

  var uploadedId = null;
  function saveBlob(blob, name) {
    var url = URL.createObjectURL(blob);
    var a = el('a', { href: url, download: name });
    document.body.appendChild(a); a.click(); a.parentNode.removeChild(a);
    setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
  }
  $('preview-button').addEventListener('click', function () {
    var button = $('preview-button');
    hideError($('preview-error'));
    if (!uploadedId) return;
    button.disabled = true;
    api('GET', '/api/documents/' + encodeURIComponent(uploadedId) + '/publication-preview.pdf', { blob: true })
      .then(function (blob) { saveBlob(blob, 'publiceringsversion-forhandsvisning.pdf'); })
      .catch(function (err) { showError($('preview-error'), err); })
      .then(function () { button.disabled = false; });
  });

  // ---- signers ----
  var signerCounter = 0;
  function addSignerRow(values) {
    var v = values || {};
    var n = ++signerCounter;
    var id = function (name) { return 'signer-' + n + '-' + name; };
    var row = el('fieldset', { className: 'signer-row', 'data-signer': String(n) });
    var legend = el('legend', { text: 'Undertecknare' });
    row.appendChild(legend);
    var grid = el('div', { className: 'signer-grid' });
    function field(name, label, input) {
      input.id = id(name);
      input.setAttribute('data-field', name);
      grid.appendChild(el('div', null, [el('label', { for: input.id, text: label }), input]));
    }
    var name = el('input', { type: 'text', autocomplete: 'off' }); name.value = v.name || '';
    var email = el('input', { type: 'email', autocomplete: 'off' }); email.value = v.email || '';
    var role = el('select');
    ROLES.forEach(function (r) { var o = el('option', { value: r[0], text: r[1] }); role.appendChild(o); });
    role.value = v.role || 'justerare';
    var pnr = el('input', { type: 'text', inputmode: 'numeric', autocomplete: 'off', spellcheck: 'false', placeholder: 'ÅÅÅÅMMDDNNNN' });
    var step = el('input', { type: 'number', min: '1', step: '1', inputmode: 'numeric' }); step.value = v.step || '1';
    field('name', 'Namn', name);
    field('email', 'E-post', email);
    field('role', 'Roll', role);
    field('personnummer', 'Personnummer (12 siffror)', pnr);
    field('step', 'Steg', step);
    step.parentNode.setAttribute('data-step-field', '');
    row.appendChild(grid);
    var remove = el('button', { type: 'button', className: 'secondary', text: 'Ta bort' });
    remove.addEventListener('click', function () {
      row.parentNode.removeChild(row);
      renumberSigners();
      var rows = document.querySelectorAll('#signers .signer-row');
      (rows.length ? rows[rows.length - 1].querySelector('input') : $('add-signer')).focus();
    });
    row.appendChild(el('div', { className: 'actions' }, [remove]));
    $('signers').appendChild(row);
    renumberSigners();
    updateStepVisibility();
    return row;
  }
  function renumberSigners() {
    var rows = document.querySelectorAll('#signers .signer-row');
    Array.prototype.forEach.call(rows, function (row, i) {
      row.querySelector('legend').textContent = 'Undertecknare ' + (i + 1);
      var btn = row.querySelector('.actions button');
      btn.textContent = 'Ta bort undertecknare ' + (i + 1);
      btn.disabled = rows.length === 1;
    });
  }
  function updateStepVisibility() {
    var steps = $('order-plan').value === 'steps';
    Array.prototype.forEach.call(document.querySelectorAll('[data-step-field]'), function (n) { n.hidden = !steps; });
  }
  $('add-signer').addEventListener('click', function () { addSignerRow().querySelector('input').focus(); });
  $('order-plan').addEventListener('change', updateStepVisibility);

  // ---- deadline: meeting + 14 days at 23:59 Stockholm time unless the secretary changes it ----
  var deadlineTouched = false;
  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function defaultDeadline(meetingDate) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(meetingDate || '');
    if (!m) return '';
    var d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3] + 14));
    return d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()) + 'T23:59';
  }
  $('order-meeting-date').addEventListener('change', function () {
    if (!deadlineTouched) $('order-deadline').value = defaultDeadline($('order-meeting-date').value);
  });
  $('order-deadline').addEventListener('input', function () { deadlineTouched = true; });
  var stockholmParts = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Stockholm', hourCycle: 'h23',
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  function stockholmOffsetMs(instant) {
    var p = {};
    stockholmParts.formatToParts(new Date(instant)).forEach(function (x) { p[x.type] = x.value; });
    return Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour % 24, +p.minute, +p.second) - instant;
  }
  // A datetime-local value read as Swedish wall-clock time, as an RFC 3339 UTC instant.
  function stockholmToRfc3339(local) {
    var m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(local || '');
    if (!m) return null;
    var wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
    var utc = wall - stockholmOffsetMs(wall);
    utc = wall - stockholmOffsetMs(utc);
    return new Date(utc).toISOString().replace('.000Z', 'Z');
  }

  // ---- create order ----
  var FIELD_HINTS = [
    ['secretary_email', 'order-secretary-email'], ['personnummer', null], ['signer', null], ['email', null], ['step', 'order-plan'], ['deadline', 'order-deadline'],
    ['meeting', 'order-meeting-date'], ['paragraph', 'order-paragraphs'], ['committee', 'order-committee'],
    ['diarie', 'order-diarienummer'], ['title', 'order-title'], ['message', 'order-message'], ['plan', 'order-plan'],
    ['document', 'order-document-id'], ['pdf', 'order-document-id']
  ];
  function clearOrderErrors() {
    Array.prototype.forEach.call(document.querySelectorAll('#order-form .error'), function (n) { n.hidden = true; n.textContent = ''; });
    Array.prototype.forEach.call(document.querySelectorAll('#order-form [aria-invalid]'), function (n) { n.removeAttribute('aria-invalid'); });
  }
  // Shows the API's error beside the field its code names (falls back to the form's own line).
  function showOrderError(err) {
    var code = String(err.code || '').toLowerCase();
    var target = null;
    for (var i = 0; i < FIELD_HINTS.length && !target; i++) {
      if (code.indexOf(FIELD_HINTS[i][0]) >= 0) target = FIELD_HINTS[i][1] ? $(FIELD_HINTS[i][1]) : 'signers';
    }
    if (target === 'signers') {
      showError($('signers-error'), err);
      var first = document.querySelector('#signers input');
      if (code.indexOf('personnummer') >= 0) {
        // The API does not say which row; point at the numbers that do not look valid here.
        Array.prototype.forEach.call(document.querySelectorAll('#signers [data-field=personnummer]'), function (input) {
          if (!looksLikePersonnummer(input.value)) {
            input.setAttribute('aria-invalid', 'true');
            input.setAttribute('aria-describedby', 'signers-error');
            if (first === document.querySelector('#signers input')) first = input;
          }
        });
      }
      if (first) first.focus();
    } else if (target) {
      showError($(target.id + '-error'), err, target);
      target.focus();
    }
    showError($('order-error'), err);
    if (!target) $('order-submit').focus();
  }
  // Only a hint for pointing at a row; the service decides what is valid.
  function looksLikePersonnummer(value) {
    var digits = String(value).replace(/[\s-]/g, '');
    if (!/^\d{12}$/.test(digits)) return false;
    var sum = 0;
    for (var i = 2; i < 12; i++) {
      var v = +digits[i] * (i % 2 === 0 ? 2 : 1);
      sum += v > 9 ? v - 9 : v;
    }
    return sum % 10 === 0;
  }
  // "102: 26 kap. 1 § OSL" per line; a line the service cannot take is sent as it is and
  // answered with its own message.
  function parseConfidential(text) {
    return text.split('\n').map(function (line) { return line.trim(); }).filter(Boolean).map(function (line) {
      var m = /^§?\s*(\d+)\s*[:.\-–]?\s*(.*)$/.exec(line);
      return m ? { paragraph: parseInt(m[1], 10), ground: m[2] } : { paragraph: 0, ground: line };
    });
  }
  function collectOrder() {
    var plan = $('order-plan').value;
    var body = {
      document_id: $('order-document-id').value.trim(),
      committee: $('order-committee').value.trim(),
      meeting_date: $('order-meeting-date').value,
      paragraphs: $('order-paragraphs').value.trim(),
      title: $('order-title').value.trim(),
      plan: plan,
      signers: []
    };
    var diarie = $('order-diarienummer').value.trim();
    if (diarie) body.diarienummer = diarie;
    var message = $('order-message').value.trim();
    if (message) body.message = message;
    var confidential = parseConfidential($('order-confidential').value);
    if (confidential.length) body.confidential = confidential;
    var secretaryEmail = $('order-secretary-email').value.trim();
    if (secretaryEmail) body.secretary_email = secretaryEmail;
    if (deadlineTouched && $('order-deadline').value) body.deadline = stockholmToRfc3339($('order-deadline').value);
    Array.prototype.forEach.call(document.querySelectorAll('#signers .signer-row'), function (row) {
      function val(name) { return row.querySelector('[data-field=' + name + ']').value.trim(); }
      var signer = { name: val('name'), role: val('role'), personnummer: val('personnummer').replace(/[\s-]/g, '') };
      if (val('email')) signer.email = val('email');
      if (plan === 'steps') { var s = parseInt(val('step'), 10); if (s > 0) signer.step = s; }
      body.signers.push(signer);
    });
    return body;
  }
  function localCheck(body) {
    var checks = [['document_id', 'order-document-id', 'Ladda upp dokumentet först.'],
      ['title', 'order-title', 'Ange en rubrik.'], ['committee', 'order-committee', 'Ange nämnd eller organ.'],
      ['meeting_date', 'order-meeting-date', 'Ange sammanträdesdatum.'], ['paragraphs', 'order-paragraphs', 'Ange paragrafer.']];
    for (var i = 0; i < checks.length; i++) {
      if (!body[checks[i][0]]) {
        var f = $(checks[i][1]);
        showError($(checks[i][1] + '-error'), { message_sv: checks[i][2] }, f); f.focus(); return false;
      }
    }
    var rows = document.querySelectorAll('#signers .signer-row');
    for (var j = 0; j < body.signers.length; j++) {
      var s = body.signers[j];
      var missing = !s.name ? 'name' : (!s.personnummer ? 'personnummer' : null);
      if (missing) {
        var input = rows[j].querySelector('[data-field=' + missing + ']');
        showError($('signers-error'), { message_sv: 'Undertecknare ' + (j + 1) + ': ange ' + (missing === 'name' ? 'namn' : 'personnummer') + '.' }, input);
        input.focus(); return false;
      }
    }
    return true;
  }
  $('order-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    clearOrderErrors();
    $('order-created').textContent = '';
    var body = collectOrder();
    if (!localCheck(body)) return;
    var button = $('order-submit');
    button.disabled = true;
    api('POST', '/api/orders', { json: body }).then(function (data) {
      var order = data.order || data;
      $('order-created').textContent = 'Uppdraget ”' + (order.title || body.title) + '” är skickat för signering.';
      resetOrderForm();
      loadOrders();
      openOrder(order.id);
    }).catch(showOrderError).then(function () { button.disabled = false; });
  });
  function resetOrderForm() {
    $('order-form').reset();
    deadlineTouched = false;
    clear($('signers'));
    addSignerRow({ role: 'ordforande' }); addSignerRow({ role: 'justerare' });
    $('upload-result').hidden = true; $('upload-form').reset();
    updateStepVisibility();
  }

  // ---- order list ----
  function loadOrders() {
    $('orders-status').textContent = 'Hämtar uppdrag …';
    hideError($('orders-error'));
    return api('GET', '/api/orders').then(function (data) {
      var orders = (data && data.orders) || [];
      var focusedId = document.activeElement && document.activeElement.getAttribute('data-order-id');
      var body = $('orders-body'); clear(body);
      orders.forEach(function (o) {
        var open = el('button', { type: 'button', className: 'secondary', 'data-order-id': String(o.id), text: 'Visa' });
        open.appendChild(el('span', { className: 'visually-hidden', text: ' ' + (o.title || o.id) }));
        open.addEventListener('click', function () { openOrder(o.id); });
        body.appendChild(el('tr', null, [
          el('td', { 'data-label': 'Rubrik', text: o.title || '–' }), el('td', { 'data-label': 'Nämnd', text: o.committee || '–' }),
          el('td', { 'data-label': 'Sammanträde', text: o.meeting_date || '–' }),
          el('td', { 'data-label': 'Status' }, [badge(STATUS_LABELS, o.status)]),
          el('td', { 'data-label': 'Sista dag', text: formatTime(o.deadline) }), el('td', { 'data-label': '' }, [open])
        ]));
      });
      $('orders-table').hidden = orders.length === 0;
      if (focusedId) {
        Array.prototype.forEach.call(body.querySelectorAll('button[data-order-id]'), function (b) {
          if (b.getAttribute('data-order-id') === focusedId) b.focus();
        });
      }
      $('orders-status').textContent = orders.length ? orders.length + ' uppdrag.' : 'Inga uppdrag ännu.';
    }).catch(function (err) { $('orders-status').textContent = ''; showError($('orders-error'), err); });
  }
  $('orders-refresh').addEventListener('click', loadOrders);

  // ---- order detail ----
  var current = { id: null, timer: null, status: null, files: {} };
  function stopDetail() {
    if (current.timer) clearInterval(current.timer);
    current.timer = null; current.id = null; current.status = null; current.downloadsKey = null;
    if ($('order-detail')) $('order-detail').hidden = true;
  }
  function openOrder(id) {
    stopDetail();
    current.id = id;
    ['recall-form', 'resend-form'].forEach(function (f) { $(f).reset(); });
    ['recall-error', 'resend-error', 'retry-error', 'download-error', 'detail-error'].forEach(function (e) { hideError($(e)); });
    $('order-detail').hidden = false;
    refreshOrder(true).then(function () { $('order-detail').focus(); });
    current.timer = setInterval(function () { if (!document.hidden) refreshOrder(false); }, REFRESH_MS);
  }
  function refreshOrder(first) {
    var id = current.id;
    return api('GET', '/api/orders/' + encodeURIComponent(id)).then(function (data) {
      if (current.id !== id) return;
      hideError($('detail-error'));
      renderOrder(data.order || data, first);
    }).catch(function (err) { if (current.id === id) showError($('detail-error'), err); });
  }
  // The notice's dates of law; a notice that went up later than the law allows is said so,
  // so the secretary can act on it (kommunallagen: at the latest the second day after justering).
  function anslagText(a) {
    var text = 'Uppsatt ' + a.posted + ', sista dag för överklagande ' + a.appeal_ends + ', tas ned ' + a.taken_down + '.';
    if (a.late) text += ' Obs! Anslaget sattes upp senare än lagen tillåter (senast andra dagen efter justeringen).';
    return text;
  }

  function renderOrder(o, first) {
    $('detail-heading').textContent = o.title || 'Uppdrag';
    if (!first && current.status && current.status !== o.status) {
      $('detail-live').textContent = 'Status ändrad: ' + (STATUS_LABELS[o.status] || [o.status])[0];
      loadOrders();
    }
    current.status = o.status;
    $('detail-updated').textContent = 'Senast hämtat ' + new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Stockholm', timeStyle: 'medium' }).format(new Date()) + '.';
    var facts = $('detail-facts'); clear(facts);
    var statusDd = el('dd', null, [badge(STATUS_LABELS, o.status)]);
    [['Status', statusDd], ['Nämnd', o.committee], ['Sammanträde', o.meeting_date], ['Paragrafer', o.paragraphs],
     ['Diarienummer', o.diarienummer], ['Ordning', PLAN_LABELS[o.plan] || o.plan], ['Fil', o.file_name],
     ['Version', o.version], ['Sista dag', formatTime(o.deadline)], ['Skapat', formatTime(o.created_at)],
     ['Klart', o.completed_at ? formatTime(o.completed_at) : null], ['Meddelande', o.message],
     ['Omedelbar justering', o.immediate ? 'Ja, paragraferna justeras vid sammanträdet' : null],
     ['Sekretess', (o.confidential || []).length ? o.confidential.map(function (c) { return '§ ' + c.paragraph + ' (' + c.ground + ')'; }).join(', ') : null],
     ['Anslaget', o.anslag ? anslagText(o.anslag) : null]].forEach(function (p) {
      if (p[1] === null || p[1] === undefined || p[1] === '') return;
      facts.appendChild(el('dt', { text: p[0] }));
      facts.appendChild(p[1] instanceof Node ? p[1] : el('dd', { text: String(p[1]) }));
    });
    var usesSteps = o.plan === 'steps';
    Array.prototype.forEach.call(document.querySelectorAll('#order-detail [data-steps-only]'), function (n) { n.hidden = !usesSteps; });
    function stepCell(s) {
      var td = el('td', { 'data-label': 'Steg', text: s.step === undefined || s.step === null ? '–' : String(s.step) });
      td.hidden = !usesSteps;
      return td;
    }
    var tbody = $('detail-signers'); clear(tbody);
    (o.signers || []).forEach(function (s) {
      var stateCell = el('td', { 'data-label': 'Status' }, [el('span', null, [badge(SIGNER_STATES, s.state)])]);
      var stateBox = stateCell.firstChild;
      var when = s.signed_at || s.declined_at;
      if (when) stateBox.appendChild(el('div', { className: 'muted', text: formatTime(when) }));
      else if (s.state === 'pending' && o.status === 'open') {
        stateBox.appendChild(el('div', { className: 'muted', text: s.may_sign_now ? 'Kan signera nu' : 'Väntar på tidigare steg' }));
      }
      tbody.appendChild(el('tr', null, [el('td', { 'data-label': 'Namn', text: s.name || '–' }),
        el('td', { 'data-label': 'Roll', text: s.role_label || s.role || '–' }),
        el('td', { 'data-label': 'Personnummer', text: s.personnummer_masked || '–' }), stepCell(s),
        stateCell, el('td', { 'data-label': 'Kommentar', text: s.comment || '–' })]));
    });
    var hist = $('detail-history'); clear(hist);
    (o.history || []).slice().reverse().forEach(function (h) {
      var text = formatTime(h.at) + ' – ' + (EVENT_LABELS[h.kind] || h.kind || '') + (h.signer_name ? ' av ' + h.signer_name : '') + (h.version ? ' (version ' + h.version + ')' : '') + (h.detail ? ': ' + h.detail : '');
      hist.appendChild(el('li', { text: text }));
    });
    var files = o.files || {};
    var available = DOWNLOADS.filter(function (d) { return files[d[0]]; });
    var downloadsKey = o.id + ':' + available.map(function (d) { return d[1]; }).join(',');
    // Rebuilt only when the set changes, so the 5 s refresh never takes keyboard focus away.
    if (current.downloadsKey !== downloadsKey) {
      current.downloadsKey = downloadsKey;
      var downloads = $('downloads'); clear(downloads);
      available.forEach(function (d) {
        var b = el('button', { type: 'button', className: 'secondary', id: 'download-' + d[1].replace('.', '-'), text: d[2] });
        b.addEventListener('click', function () { download(o, d[1], d[3], b); });
        downloads.appendChild(b);
      });
    }
    $('downloads-none').hidden = available.length > 0;
    $('retry-form').hidden = !(o.status === 'failed' && o.failure);
    $('failure-reason').textContent = o.failure ? o.failure.message_sv : '';
    // Before the notice is up, the secretary may give her own publication version; when the
    // publication was held for want of one, it is what she needs.
    var held = o.failure && o.failure.code === 'publication.held';
    var beforePublishing = ['open', 'completed', 'sealed'].indexOf(o.status) >= 0 ||
      (o.status === 'failed' && o.failure && o.failure.step !== 'archive-export');
    $('publication-form').hidden = !(held || (beforePublishing && !o.anslag));
    $('recall-form').hidden = !(o.status === 'open' || o.status === 'declined');
    $('resend-form').hidden = !(o.status === 'declined' || o.status === 'recalled' || o.status === 'expired');
  }
  function download(order, name, savedAs, button) {
    hideError($('download-error'));
    button.disabled = true;
    api('GET', '/api/orders/' + encodeURIComponent(order.id) + '/' + name, { blob: true }).then(function (blob) {
      var url = URL.createObjectURL(blob);
      var a = el('a', { href: url, download: 'Protokoll ' + order.committee + ' ' + order.meeting_date + ' – ' + savedAs });
      document.body.appendChild(a); a.click(); a.parentNode.removeChild(a);
      setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
    }).catch(function (err) { showError($('download-error'), err); })
      .then(function () { button.disabled = false; });
  }
  // Polling pauses while the tab is hidden; catch up as soon as it is shown again.
  document.addEventListener('visibilitychange', function () {
    if (!document.hidden && current.id) refreshOrder(false);
  });
  $('detail-close').addEventListener('click', function () { stopDetail(); $('orders-heading').focus(); });
  $('orders-heading').setAttribute('tabindex', '-1');

  $('retry-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    hideError($('retry-error'));
    $('retry-button').disabled = true;
    api('POST', '/api/orders/' + encodeURIComponent(current.id) + '/retry', { json: {} })
      .then(function (data) { renderOrder(data.order || data, false); $('detail-live').textContent = 'Steget körs igen.'; loadOrders(); })
      .catch(function (err) { showError($('retry-error'), err); })
      .then(function () { $('retry-button').disabled = false; });
  });
  $('publication-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var input = $('publication-file');
    hideError($('publication-error'), input);
    if (!input.files || !input.files[0]) { showError($('publication-error'), { message_sv: 'Välj PDF-filen att publicera.' }, input); input.focus(); return; }
    var id = current.id;
    $('publication-button').disabled = true;
    uploadFile(input.files[0]).then(function (doc) {
      return api('POST', '/api/orders/' + encodeURIComponent(id) + '/publication-version', { json: { document_id: doc.id } });
    }).then(function (data) {
      $('publication-form').reset(); renderOrder(data.order || data, false);
      $('detail-live').textContent = 'Publiceringsversionen är sparad och används när protokollet publiceras.'; loadOrders();
    }).catch(function (err) { showError($('publication-error'), err, input); input.focus(); })
      .then(function () { $('publication-button').disabled = false; });
  });
  $('recall-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var reason = $('recall-reason').value.trim();
    hideError($('recall-error'), $('recall-reason'));
    if (!confirm('Vill du återkalla uppdraget? Ingen kan signera det efter det.')) return;
    $('recall-button').disabled = true;
    api('POST', '/api/orders/' + encodeURIComponent(current.id) + '/recall', { json: reason ? { reason: reason } : {} })
      .then(function (data) { $('recall-form').reset(); renderOrder(data.order || data, false); $('detail-live').textContent = 'Uppdraget är återkallat.'; loadOrders(); })
      .catch(function (err) { showError($('recall-error'), err, $('recall-reason')); $('recall-reason').focus(); })
      .then(function () { $('recall-button').disabled = false; });
  });
  $('resend-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var input = $('resend-file');
    hideError($('resend-error'), input);
    if (!input.files || !input.files[0]) { showError($('resend-error'), { message_sv: 'Välj den rättade PDF-filen.' }, input); input.focus(); return; }
    var id = current.id;
    $('resend-button').disabled = true;
    uploadFile(input.files[0]).then(function (doc) {
      var body = { document_id: doc.id };
      var deadline = stockholmToRfc3339($('resend-deadline').value);
      if (deadline) body.deadline = deadline;
      return api('POST', '/api/orders/' + encodeURIComponent(id) + '/resend', { json: body });
    }).then(function (data) {
      $('resend-form').reset(); renderOrder(data.order || data, false);
      $('detail-live').textContent = 'Den rättade versionen är skickad för signering.'; loadOrders();
    }).catch(function (err) { showError($('resend-error'), err, input); input.focus(); })
      .then(function () { $('resend-button').disabled = false; });
  });

  // ---- start ----
  resetOrderForm();
  if (apiKey()) {
    showKeyPresent();
  } else {
    // Logged in with BankID as staff of a tenant? Then no key is needed.
    fetch('/api/whoami', { cache: 'no-store', credentials: 'same-origin' })
      .then(function (res) { return res.ok ? res.json() : null; })
      .catch(function () { return null; })
      .then(function (who) {
        if (!who || !who.tenant) { showKeyMissing(); return; }
        $('key-present').querySelector('p').textContent = 'Du är inloggad med BankID för ' + who.tenant + '.';
        $('key-forget').hidden = true;
        $('key-missing').hidden = true; $('key-present').hidden = false; $('app').hidden = false;
        loadOrders();
      });
  }
})();
