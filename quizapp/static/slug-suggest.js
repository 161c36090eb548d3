// The new-contest form: the contest code suggested from the title as the organiser types, by the
// rule of quizapp/text.slug (Vietnamese without marks, "đ" as "d", hyphens between words, at most
// 64 characters cut at a word's end). Once the organiser types a code of their own it is left
// alone; emptying the field brings the suggestion back. Without the script the field may be left
// empty and the server makes the same code.
(function () {
  'use strict';
  var LIMIT = 64;

  function slug(text) {
    var words = text.toLowerCase().replace(/đ/g, 'd').normalize('NFD').replace(/[\u0300-\u036f]/g, '')
      .replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
    if (words.length <= LIMIT) { return words; }
    var cut = words.slice(0, LIMIT);
    if (words.charAt(LIMIT) !== '-' && cut.indexOf('-') !== -1) { cut = cut.slice(0, cut.lastIndexOf('-')); }
    return cut.replace(/^-+|-+$/g, '');
  }

  document.querySelectorAll('input[data-slug-from]').forEach(function (code) {
    var title = document.getElementById(code.getAttribute('data-slug-from'));
    if (!title) { return; }
    // A code already there (a form sent back with errors) counts as the organiser's own unless it
    // is what the title suggests.
    var own = code.value !== '' && code.value !== slug(title.value);
    title.addEventListener('input', function () {
      if (!own) { code.value = slug(title.value); }
    });
    code.addEventListener('input', function () {
      own = code.value !== '';
    });
  });
}());
