// Forms that hash a password (sign-in, registration, password change): when the server
// answers 503 "busy" (every hashing slot taken, DESIGN §3 rule 11), send the same form again
// after Retry-After plus a random 0-1 s, so that the phones refused in one second do not all
// come back in the same second. The password stays in this page's memory (the FormData),
// never in a page's HTML. Any other answer replaces the page, as a plain submit would.
// Without JavaScript the server shows the form again with a message instead.
(function () {
  'use strict';
  if (!window.fetch || !window.FormData) return;
  var MAX_TRIES = 30;

  function busyRetry(form) {
    var status = form.querySelector('.busy-status');
    var button = form.querySelector('button[type="submit"], button:not([type])');
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      var body = new FormData(form);
      var tries = 0;
      if (button) button.disabled = true;
      function show(text) { if (status) status.textContent = text; }
      function send() {
        fetch(form.getAttribute('action') || window.location.href, {
          method: 'POST', body: body, credentials: 'same-origin'
        }).then(function (response) {
          if (response.status === 503 && tries < MAX_TRIES) {
            tries += 1;
            var wait = (parseInt(response.headers.get('Retry-After'), 10) || 1) * 1000 + Math.random() * 1000;
            show('Đang có rất nhiều người đăng nhập. Hệ thống tự thử lại sau ' + Math.ceil(wait / 1000) +
                 ' giây, bạn không cần bấm lại…');
            setTimeout(send, wait);
            return null;
          }
          if (response.redirected) {
            window.location.assign(response.url);
            return null;
          }
          return response.text().then(function (html) {
            document.open();
            document.write(html);
            document.close();
          });
        }).catch(function () {
          if (button) button.disabled = false;
          show('Không kết nối được tới máy chủ. Vui lòng kiểm tra mạng rồi bấm lại.');
        });
      }
      show('Đang gửi…');
      send();
    });
  }

  var forms = document.querySelectorAll('form[data-busy-retry]');
  for (var i = 0; i < forms.length; i += 1) busyRetry(forms[i]);
}());
