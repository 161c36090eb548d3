/* The offline page (static/offline.html): how many answers this phone still holds for sending
   (attempt.js's queue in localStorage), and back to the page the taker asked for as soon as the
   network returns; attempt.js then sends the queue. */
(function () {
  'use strict';
  var waiting = 0;
  try {
    for (var k = 0; k < localStorage.length; k++) {
      var key = localStorage.key(k);
      if (key.indexOf('quizapp.attempt.') !== 0) continue;
      var kept = JSON.parse(localStorage.getItem(key)) || {};
      waiting += Object.keys(kept.q || {}).length + (kept.p ? 1 : 0);
    }
  } catch (e) { /* no storage: nothing kept here */ }
  var note = document.getElementById('offline-queue');
  if (waiting && note) {
    note.textContent = 'Máy này đang giữ ' + waiting + ' câu trả lời chưa gửi; chúng sẽ được gửi khi có mạng.';
    note.hidden = false;
  }
  window.addEventListener('online', function () { location.reload(); });
}());
