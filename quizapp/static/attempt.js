/* The attempt page (templates/contests/attempt.html), enhanced: questions switch without a page
   load, every choice is saved at once through the JSON API, unsent choices wait in localStorage
   (so a reload or a dead zone loses nothing) and are sent again when the network returns, and
   the countdown runs on the server's clock. Without this script the page is a plain form. */
(function () {
  'use strict';
  var root = document.getElementById('attempt');
  var dataNode = document.getElementById('attempt-data');
  if (!root || !dataNode || !window.fetch || !window.JSON || !Object.keys) return;

  function $(id) { return document.getElementById(id); }
  var A = JSON.parse(dataNode.textContent);
  var Q = A.questions, N = Q.length;
  var api = root.getAttribute('data-api'), resultUrl = root.getAttribute('data-result');
  var KEY = 'quizapp.attempt.' + A.id;
  var form = $('answer-form'), box = $('options'), timerEl = $('timer'), syncEl = $('sync');
  var prediction = $('prediction'), dialog = $('confirm');

  // --- time: the server's clock, read through this phone's offset from it -------------------
  function parse(iso) { return Date.parse(iso.replace(/(\.\d{3})\d+/, '$1')); }
  var loaded = Date.now();
  try {
    // When the page's first byte arrived, not when this script ran: over 3G that can be seconds.
    var nav = performance.getEntriesByType('navigation')[0];
    var arrived = performance.timeOrigin + nav.responseStart;
    if (nav.responseStart > 0 && Math.abs(arrived - loaded) < 300000) loaded = arrived;
  } catch (e) { /* an older browser: the time this script runs will do */ }
  var offset = parse(A.server_now) - loaded;
  function serverNow() { return Date.now() + offset; }
  var deadline = A.deadline ? parse(A.deadline) : null;

  // --- the retry queue: the latest unsent choice per question, kept across reloads ----------
  var stored = {};
  try { stored = JSON.parse(localStorage.getItem(KEY)) || {}; } catch (e) { /* private mode */ }
  var queue = stored.q || {};              // question id -> {o: option ids, s: seq}
  var pendingPrediction = stored.p || null; // {v: value}
  var lastSeq = stored.s || 0;
  function keep() {
    try {
      localStorage.setItem(KEY, JSON.stringify({q: queue, p: pendingPrediction, s: lastSeq, t: Date.now()}));
    } catch (e) { /* storage full or refused: the queue still lives in memory */ }
  }
  // Seq numbers follow the server's clock, so a choice made after a reload on another phone (or
  // after the browser lost its storage) still outranks every older one; the API ignores stale seqs.
  function nextSeq() { lastSeq = Math.max(lastSeq + 1, Math.floor(serverNow())); return lastSeq; }

  var chosen = {};
  Q.forEach(function (q) { chosen[q.id] = queue[q.id] ? queue[q.id].o : q.selected; });

  // --- one question per screen ---------------------------------------------------------------
  var cur = 0, failed = false, busy = false, ending = false, closed = false;

  function show(i, focus) {
    cur = i;
    var q = Q[i], prev = $('prev'), next = $('next');
    $('qnum').textContent = 'Câu ' + (i + 1) + '/' + N;
    $('qtext').textContent = q.text;
    $('qhint').textContent = q.multiple ? 'Chọn một hoặc nhiều phương án.' : 'Chọn một phương án.';
    picture(q, i);
    $('question-id').value = q.id;
    $('question-number').value = i + 1;
    box.textContent = '';
    q.options.forEach(function (o) {
      var label = document.createElement('label'), input = document.createElement('input');
      var text = document.createElement('span');
      label.className = 'opt';
      input.type = q.multiple ? 'checkbox' : 'radio';
      input.name = 'option';
      input.value = o.id;
      input.checked = chosen[q.id].indexOf(o.id) >= 0;
      text.textContent = o.text;
      label.appendChild(input);
      label.appendChild(text);
      box.appendChild(label);
    });
    prev.disabled = i === 0;
    prev.value = i;
    next.value = i + 1 < N ? i + 2 : 'submit';
    next.textContent = i + 1 < N ? 'Câu sau ›' : 'Kết thúc ›';
    document.title = document.title.replace(/^Câu \d+\/\d+/, 'Câu ' + (i + 1) + '/' + N);
    try { history.replaceState(null, '', '?q=' + (i + 1)); } catch (e) { /* file: or old browser */ }
    marks();
    if (focus) { $('question').focus(); window.scrollTo(0, 0); }
  }

  // A new <img> per question: reusing one would show the last question's picture until the
  // next one arrives on a slow connection.
  function picture(q, i) {
    var old = $('qpicture'), img;
    if (old) old.parentNode.removeChild(old);
    if (!q.picture) return;
    img = document.createElement('img');
    img.id = 'qpicture';
    img.className = 'qpicture';
    img.setAttribute('loading', 'lazy');
    img.width = q.picture_width;
    img.height = q.picture_height;
    img.alt = 'Hình của câu ' + (i + 1);
    img.src = q.picture;
    $('qhint').parentNode.insertBefore(img, $('qhint'));
  }

  // The saved/unsaved marks: the jump list, the current question and the status in the bar.
  function marks() {
    var buttons = $('jump').getElementsByTagName('button'), answered = 0, waiting = pendingPrediction ? 1 : 0;
    Q.forEach(function (q, i) {
      var done = chosen[q.id].length > 0, wait = !!queue[q.id], button = buttons[i];
      answered += done ? 1 : 0;
      waiting += wait ? 1 : 0;
      button.className = (done ? 'done' : '') + (wait ? ' wait' : '');
      button.setAttribute('aria-label', 'Câu ' + (i + 1) + (done ? ', đã trả lời' : '') + (wait ? ', chưa lưu' : ''));
      if (i === cur) button.setAttribute('aria-current', 'step'); else button.removeAttribute('aria-current');
    });
    var q = Q[cur], mark = $('qmark'), offline = navigator.onLine === false, stuck = failed || offline;
    $('answered').textContent = answered;
    mark.className = 'qmark' + (queue[q.id] ? ' unsaved' : '');
    mark.textContent = queue[q.id] ? (stuck ? '• Chưa lưu: sẽ tự gửi lại' + (offline ? ' khi có mạng' : '') : '• Đang lưu…')
      : chosen[q.id].length ? '✓ Đã lưu câu trả lời' : '';
    syncEl.className = 'sync ' + (waiting ? 'unsaved' : 'saved');
    syncEl.textContent = !waiting ? (answered ? '✓ Đã lưu' : '')
      : offline ? 'Mất kết nối · ' + waiting + ' câu chưa lưu'
      : stuck ? waiting + ' câu chưa lưu · đang thử lại' : 'Đang lưu…';
    return answered;
  }

  function say(message) {
    var alertEl = $('alert');
    alertEl.textContent = message || '';
    alertEl.hidden = !message;
  }

  // --- sending ---------------------------------------------------------------------------------
  var delay = 1000, retry = null, waiters = [];

  function request(method, url, body) {
    return fetch(url, {
      method: method,
      credentials: 'same-origin',
      headers: {'Content-Type': 'application/json', 'Accept': 'application/json', 'X-CSRFToken': A.csrf_token},
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) {
        var error = json.error || {};
        return {ok: response.ok, status: response.status, json: json, code: error.code, message: error.message,
                wait: (+response.headers.get('Retry-After') || 0) * 1000};
      });
    });
  }

  function settle(ok) {
    var waiting = waiters;
    waiters = [];
    waiting.forEach(function (callback) { callback(ok); });
  }

  function later(wait) {
    failed = true;
    marks();
    settle(false);
    clearTimeout(retry);
    retry = setTimeout(flush, Math.max(wait || 0, delay));
    delay = Math.min(delay * 2, 30000);
  }

  function flush() {
    if (busy || closed) return;
    var id = Object.keys(queue)[0], entry, url, body;
    if (id) {
      entry = queue[id];
      url = api + '/answers/' + id;
      body = {option_ids: entry.o, seq: entry.s};
    } else if (pendingPrediction) {
      entry = pendingPrediction;
      url = api + '/prediction';
      body = {value: entry.v};
    } else {
      failed = false;
      marks();
      settle(true);
      return;
    }
    busy = true;
    clearTimeout(retry);
    request('PUT', url, body).then(function (r) {
      busy = false;
      if (r.ok) {
        failed = false;
        delay = 1000;
        acknowledged(id, entry, r.json);
      } else if (r.code === 'attempt_closed') {
        return finished();
      } else if (r.status === 401 || r.code === 'csrf_failed') {
        say(r.message + ' Các câu trả lời chưa lưu vẫn được giữ trên máy này.');
        return later(30000);
      } else if (r.status >= 400 && r.status < 500 && r.status !== 408 && r.status !== 429) {
        // Refused for good (an invalid option, a locked prediction): retrying cannot help.
        acknowledged(id, entry, {});
        say(r.message);
      } else {
        return later(r.wait);
      }
      flush();
    }, function () {
      busy = false;
      later();
    });
  }

  function acknowledged(id, entry, json) {
    if (!id) {
      if (pendingPrediction === entry) pendingPrediction = null;
    } else if (queue[id] === entry) {
      delete queue[id];
      // The server keeps a newer choice made elsewhere (another tab or phone): show that one.
      if (json.option_ids) chosen[id] = json.option_ids;
      if (String(Q[cur].id) === id) {
        var inputs = box.getElementsByTagName('input');
        for (var k = 0; k < inputs.length; k++) inputs[k].checked = chosen[id].indexOf(inputs[k].value) >= 0;
      }
    }
    keep();
    marks();
  }

  function whenFlushed(callback) {
    waiters.push(callback);
    flush();
  }

  // --- choosing --------------------------------------------------------------------------------
  form.addEventListener('change', function (event) {
    if (event.target.name === 'option') {
      var q = Q[cur], ids = [], inputs = box.getElementsByTagName('input');
      for (var k = 0; k < inputs.length; k++) if (inputs[k].checked) ids.push(inputs[k].value);
      chosen[q.id] = ids;
      queue[q.id] = {o: ids, s: nextSeq()};
      keep();
      marks();
      flush();
    } else if (event.target === prediction) {
      predict();
    }
  });

  function validPrediction(value) { return /^\d{1,10}$/.test(value) && +value <= 1e9; }
  function predict() {
    var value = prediction.value.trim();
    if (!validPrediction(value)) {
      say('Dự đoán phải là số nguyên từ 0 đến 1.000.000.000.');
      return;
    }
    say('');
    pendingPrediction = {v: +value};
    keep();
    marks();
    flush();
  }
  if (prediction) {
    if (pendingPrediction) prediction.value = pendingPrediction.v;
    prediction.addEventListener('keydown', function (event) {
      if (event.key === 'Enter') { event.preventDefault(); predict(); }
    });
  }

  // Every button of the form says where to go; without this script each one posts the form.
  form.addEventListener('click', function (event) {
    var button = event.target.closest ? event.target.closest('button[name=go]') : null;
    if (!button) return;
    event.preventDefault();
    if (button.value === 'submit') confirmSubmit(); else show(+button.value - 1, true);
  });
  form.addEventListener('submit', function (event) { event.preventDefault(); });

  // --- submitting ------------------------------------------------------------------------------
  function confirmSubmit() {
    var left = N - marks();
    var text = (left ? 'Bạn còn ' + left + ' câu chưa trả lời. ' : 'Bạn đã trả lời cả ' + N + ' câu. ')
      + 'Sau khi nộp bài, bạn không sửa được câu trả lời.';
    $('confirm-text').textContent = text;
    // The prediction breaks ties: show it, or warn that it is empty, with a way back to it.
    var missing = $('confirm-missing'), value = prediction ? prediction.value.trim() : '';
    var given = validPrediction(value);
    if (missing) {
      missing.hidden = given;
      $('confirm-prediction').textContent = given ? 'Dự đoán của bạn: ' + (+value).toLocaleString('vi-VN') : '';
      $('confirm-edit').hidden = prediction.readOnly;
      $('confirm-edit').textContent = given ? 'Sửa dự đoán' : 'Điền dự đoán';
      if (!given) text += ' ' + missing.textContent;
    }
    if (dialog.showModal) dialog.showModal(); else if (window.confirm(text + ' Nộp bài?')) submit(false);
  }
  $('confirm-yes').addEventListener('click', function () { dialog.close(); submit(false); });
  $('confirm-no').addEventListener('click', function () { dialog.close(); });
  if ($('confirm-edit')) {
    $('confirm-edit').addEventListener('click', function () {
      dialog.close();
      prediction.scrollIntoView({block: 'center'});
      prediction.focus();
    });
  }

  function submit(auto) {
    if (ending) return;
    ending = true;
    $('question').disabled = true;
    syncEl.textContent = auto ? 'Hết giờ, đang nộp bài…' : 'Đang nộp bài…';
    (function send() {
      whenFlushed(function (ok) {
        if (!ok && !auto) {
          ending = false;
          $('question').disabled = false;
          say('Còn câu trả lời chưa gửi được vì mất kết nối, nên bài chưa nộp. Khi có mạng, hãy bấm Nộp bài lần nữa.');
          return;
        }
        request('POST', api + '/submit').then(function (r) {
          if (r.ok || (r.status >= 400 && r.status < 500 && r.status !== 429)) return finished();
          setTimeout(send, Math.max(r.wait, 3000));
        }, function () {
          say('Mất kết nối: bài sẽ được nộp ngay khi có mạng.');
          setTimeout(send, 3000);
        });
      });
    })();
  }

  function finished() {
    closed = true;
    try { localStorage.removeItem(KEY); } catch (e) { /* nothing kept */ }
    location.href = resultUrl;
  }

  // --- the countdown ---------------------------------------------------------------------------
  var warned = false;
  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function tick() {
    var left = Math.ceil((deadline - serverNow()) / 1000);
    if (left >= 86400) return; // an untimed practice round closing days away: its date is shown
    if (left <= 0) {
      timerEl.textContent = 'Hết giờ';
      submit(true);
      return;
    }
    var hours = Math.floor(left / 3600), minutes = Math.floor(left % 3600 / 60);
    timerEl.textContent = 'Còn ' + (hours ? hours + ':' + pad(minutes) : minutes) + ':' + pad(left % 60);
    if (left <= 60 && !warned) {
      warned = true;
      timerEl.className = 'timer low';
      say('Còn 1 phút! Hết giờ, bài sẽ được tự động nộp với các câu đã trả lời.');
    }
  }

  // --- the offline page ------------------------------------------------------------------------
  // static/sw.js answers a taker's page that cannot load (a reload in a dead zone) with a page
  // saying the answers are safe, instead of the browser's error; it caches no page or answer.
  var worker = root.getAttribute('data-sw');
  if (worker && navigator.serviceWorker) {
    navigator.serviceWorker.register(worker, {scope: '/contests/'}).catch(function () { /* not https, or refused */ });
  }

  // --- start -----------------------------------------------------------------------------------
  window.addEventListener('online', function () { delay = 1000; flush(); });
  window.addEventListener('offline', marks);
  document.addEventListener('visibilitychange', function () { if (!document.hidden) flush(); });
  show(+$('question-number').value - 1, false);
  if (deadline !== null) { tick(); setInterval(tick, 500); }
  flush();
  // Forget the queues of attempts left days ago (their pages are gone).
  try {
    for (var k = localStorage.length - 1; k >= 0; k--) {
      var key = localStorage.key(k);
      if (key.indexOf('quizapp.attempt.') === 0 && key !== KEY
          && (JSON.parse(localStorage.getItem(key)) || {}).t < Date.now() - 3 * 86400000) localStorage.removeItem(key);
    }
  } catch (e) { /* nothing to clean */ }
}());
