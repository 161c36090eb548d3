// The error summary at the top of a form (templates/_form.html): read first, then a way to
// each field. Without this script the links still jump to their fields; with it the focus
// lands on the field itself, with its label in view above it, as GOV.UK's pattern does.
(function () {
  'use strict';
  var summary = document.querySelector('[data-error-summary]');
  if (!summary) { return; }
  summary.focus();

  function focusable(target) {
    if (target.matches('input, select, textarea, button')) { return target; }
    return target.querySelector('input, select, textarea, button');
  }

  summary.addEventListener('click', function (event) {
    var link = event.target.closest('a[href^="#"]');
    if (!link) { return; }
    var target = document.getElementById(decodeURIComponent(link.getAttribute('href').slice(1)));
    var field = target && focusable(target);
    if (!field) { return; }
    event.preventDefault();
    var label = document.querySelector('label[for="' + field.id + '"]') || field.closest('fieldset, .field, td');
    (label || field).scrollIntoView();
    field.focus({preventScroll: true});
    if (history.replaceState) { history.replaceState(null, '', '#' + target.id); }
  });
}());
