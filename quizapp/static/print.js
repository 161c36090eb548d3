// The round summary's print button: shown only where this script runs, since the browser's
// own print command prints the page just as well without it.
(function () {
  'use strict';
  document.querySelectorAll('[data-print]').forEach(function (button) {
    button.hidden = false;
    button.addEventListener('click', function () { window.print(); });
  });
}());
