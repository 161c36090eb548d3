// The waiting screen of a busy start: try again after Retry-After plus a random 0-3 s, so
// that thousands of phones refused in the same second do not all come back in the same second.
(function () {
  'use strict';
  var form = document.getElementById('wait-form');
  if (!form) return;
  var secondsEl = document.getElementById('wait-seconds');
  var at = Date.now() + (+form.getAttribute('data-retry-after') || 1) * 1000 + Math.random() * 3000;
  function tick() {
    var left = Math.ceil((at - Date.now()) / 1000);
    if (left <= 0) {
      form.submit();
      return;
    }
    secondsEl.textContent = left;
    setTimeout(tick, 250);
  }
  tick();
}());
