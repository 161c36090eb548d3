// The share page's buttons (templates/contests/manage/share.html). They stay hidden where this
// script does not run, or where the browser cannot do what they offer; the link itself, the
// Facebook link and the QR downloads work without it.
(function () {
  'use strict';
  var status = document.querySelector('.share-status');

  function say(text) { if (status) { status.textContent = text; } }

  // Old browsers and pages over plain http have no navigator.clipboard: select the text instead,
  // so the person can press Ctrl+C (or "Sao chép" on a phone) at once.
  function selectText(input) {
    input.focus();
    input.select();
    try {
      if (document.execCommand('copy')) { say('Đã sao chép đường dẫn.'); return; }
    } catch (ignored) { /* refused: the selection is still there */ }
    say('Đường dẫn đã được chọn: nhấn Ctrl+C (hoặc chọn “Sao chép”) để sao chép.');
  }

  document.querySelectorAll('[data-copy]').forEach(function (button) {
    var input = document.getElementById(button.getAttribute('data-copy'));
    if (!input) { return; }
    button.hidden = false;
    button.addEventListener('click', function () {
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(function () {
          say('Đã sao chép đường dẫn.');
        }, function () { selectText(input); });
      } else {
        selectText(input);
      }
    });
  });

  document.querySelectorAll('[data-share]').forEach(function (button) {
    var input = document.getElementById(button.getAttribute('data-share'));
    if (!input || !navigator.share) { return; }
    button.hidden = false;
    button.addEventListener('click', function () {
      navigator.share({title: button.getAttribute('data-share-title') || document.title, url: input.value})
        .catch(function (error) {
          // Closing the share sheet is a choice, not a failure.
          if (error && error.name !== 'AbortError') { selectText(input); }
        });
    });
  });
}());
