// A judge's download (or a big round's ranking) in the making: ask its status every 1.5 s, show the rows written, and load
// the page again when the job is done (the same URL then returns the file, or says why not).
(function () {
  'use strict';
  var box = document.getElementById('job');
  if (!box) return;
  var stateEl = document.getElementById('job-state');
  var bar = document.getElementById('job-progress');
  var format = new Intl.NumberFormat('vi-VN');
  function poll() {
    fetch(box.getAttribute('data-status-url'), {credentials: 'same-origin', cache: 'no-store'})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (job) {
        if (job && (job.status === 'finished' || job.status === 'failed')) {
          window.location.reload();
          return;
        }
        if (job && job.status === 'started') {
          // A page may say it its own way ({done} and {total} filled in): the keeping of a ranking.
          var text = box.getAttribute('data-started-text');
          stateEl.textContent = text ?
            text.replace('{done}', format.format(job.done)).replace('{total}', job.total ? format.format(job.total) : '…') :
            'Đang chuẩn bị tệp: đã ghi ' + format.format(job.done) +
            (job.total ? ' / ' + format.format(job.total) : '') + ' dòng.';
          if (job.total) { bar.max = job.total; bar.value = job.done; }
        }
        setTimeout(poll, 1500);
      }, function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 1000);
}());
