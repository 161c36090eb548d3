// The unit picker (templates/units/_picker.html): search as you type, with or without
// diacritics, over GET /api/v1/units. The search box becomes a combobox (ARIA 1.2: the list
// opens below it, arrows move, Enter picks, Escape closes); the picked unit's code goes into
// the page's own select, so the form sends what it sends without JavaScript. The buttons that
// step through the directory without JavaScript are dropped, so Enter in another field sends
// the form. Each match shows its ancestors, so two communes of one name are told apart.
(function () {
  'use strict';
  if (!window.fetch || !document.querySelectorAll) return;
  var MIN_LENGTH = 2;
  var DELAY_MS = 250;

  function unitPicker(root) {
    var url = root.getAttribute('data-unit-picker');
    var select = root.querySelector('select');
    var input = root.querySelector('input[type="search"]');
    var status = root.querySelector('.unit-status');
    var label = root.querySelector('label[for="' + select.id + '"]');
    if (!url || !select || !input || !label || root.classList.contains('unit-picker-js')) return;
    Array.prototype.forEach.call(root.querySelectorAll('button'), function (button) {
      button.parentNode.removeChild(button);
    });
    root.classList.add('unit-picker-js');
    // The search box takes the (now hidden) select's place, above its hint or error.
    var searchBlock = input.parentNode.parentNode;
    select.parentNode.insertBefore(searchBlock, select.nextSibling);
    // The field's own label names the box ("Đơn vị"); the box's no-JS label goes.
    var ownLabel = root.querySelector('label[for="' + input.id + '"]');
    if (ownLabel) ownLabel.parentNode.removeChild(ownLabel);
    label.id = select.id + '-label';
    label.htmlFor = input.id;

    var list = document.createElement('ul');
    list.id = select.id + '-list';
    list.className = 'unit-list';
    list.setAttribute('role', 'listbox');
    list.setAttribute('aria-labelledby', label.id);
    list.hidden = true;
    searchBlock.appendChild(list);
    input.setAttribute('role', 'combobox');
    input.setAttribute('aria-autocomplete', 'list');
    input.setAttribute('aria-expanded', 'false');
    input.setAttribute('aria-controls', list.id);
    input.setAttribute('placeholder', 'Gõ tên đơn vị, ví dụ: tan lap');

    var picked = select.value ? select.getAttribute('data-label') || '' : '';
    if (picked && !input.value) input.value = picked;
    var units = [];
    var active = -1;
    var timer = null;
    var asked = 0;
    var answers = {};

    function say(text) { status.textContent = text; }

    function close() {
      list.hidden = true;
      input.setAttribute('aria-expanded', 'false');
      input.removeAttribute('aria-activedescendant');
      active = -1;
    }

    function highlight(index) {
      var items = list.children;
      if (active >= 0 && items[active]) items[active].setAttribute('aria-selected', 'false');
      active = index;
      if (index < 0) { input.removeAttribute('aria-activedescendant'); return; }
      items[index].setAttribute('aria-selected', 'true');
      input.setAttribute('aria-activedescendant', items[index].id);
      if (items[index].scrollIntoView) items[index].scrollIntoView({block: 'nearest'});
    }

    function choose(index) {
      var unit = units[index];
      var option = null;
      for (var i = 0; i < select.options.length; i += 1) {
        if (select.options[i].value === unit.code) option = select.options[i];
      }
      if (!option) {
        option = document.createElement('option');
        option.value = unit.code;
        option.textContent = unit.label;
        select.appendChild(option);
      }
      select.value = unit.code;
      picked = unit.label;
      input.value = unit.label;
      close();
      say('Đã chọn: ' + unit.label);
    }

    function show(answer) {
      units = answer.units;
      list.textContent = '';
      units.forEach(function (unit, index) {
        var item = document.createElement('li');
        item.id = list.id + '-' + index;
        item.setAttribute('role', 'option');
        item.setAttribute('aria-selected', 'false');
        var name = document.createElement('span');
        name.className = 'unit-name';
        name.textContent = unit.name;
        item.appendChild(name);
        if (unit.path.length) {
          var path = document.createElement('span');
          path.className = 'unit-path';
          path.textContent = unit.path.slice().reverse().join(' — ');
          item.appendChild(path);
        }
        // Keep the focus in the box while the finger is down, so the list stays open.
        item.addEventListener('mousedown', function (event) { event.preventDefault(); });
        item.addEventListener('click', function () { choose(index); });
        list.appendChild(item);
      });
      active = -1;
      list.hidden = !units.length;
      input.setAttribute('aria-expanded', units.length ? 'true' : 'false');
      if (!units.length) say('Không tìm thấy đơn vị nào. Hãy thử gõ cách khác.');
      else if (answer.total > units.length) say(answer.total + ' đơn vị khớp; đây là ' + units.length + ' đơn vị đầu, hãy gõ thêm để thu hẹp.');
      else say(answer.total + ' đơn vị khớp. Dùng phím mũi tên hoặc chạm để chọn.');
    }

    function search() {
      var query = input.value.trim();
      if (query.length < MIN_LENGTH) { close(); return; }
      if (answers[query]) { show(answers[query]); return; }
      asked += 1;
      var mine = asked;
      fetch(url + '?q=' + encodeURIComponent(query), {credentials: 'same-origin'}).then(function (response) {
        if (!response.ok) throw response.status;
        return response.json();
      }).then(function (answer) {
        answers[query] = answer;
        if (mine === asked) show(answer);
      }).catch(function (problem) {
        if (mine !== asked) return;
        close();
        say(problem === 429 ? 'Bạn tìm nhanh quá; vui lòng chờ giây lát rồi gõ tiếp.'
          : problem === 422 ? 'Hãy gõ tên đơn vị bằng chữ hoặc số.'
          : 'Không tải được danh sách đơn vị. Vui lòng kiểm tra mạng rồi gõ lại.');
      });
    }

    input.addEventListener('input', function () {
      if (input.value !== picked) {
        // What the box shows is no longer the unit chosen: the form sends no unit until one is.
        select.value = '';
        picked = '';
      }
      clearTimeout(timer);
      timer = setTimeout(search, DELAY_MS);
    });
    input.addEventListener('keydown', function (event) {
      var open = !list.hidden;
      if (event.key === 'ArrowDown' || event.key === 'Down') {
        event.preventDefault();
        if (!open && units.length) { list.hidden = false; input.setAttribute('aria-expanded', 'true'); }
        if (units.length) highlight(Math.min(active + 1, units.length - 1));
      } else if (event.key === 'ArrowUp' || event.key === 'Up') {
        event.preventDefault();
        if (open) highlight(Math.max(active - 1, 0));
      } else if (event.key === 'Enter') {
        if (open && active >= 0) { event.preventDefault(); choose(active); }
        else if (!select.value && input.value.trim()) { event.preventDefault(); clearTimeout(timer); search(); }
      } else if (event.key === 'Escape' || event.key === 'Esc') {
        if (open) { event.preventDefault(); close(); }
      }
    });
    input.addEventListener('blur', close);
  }

  Array.prototype.forEach.call(document.querySelectorAll('[data-unit-picker]'), unitPicker);
})();
