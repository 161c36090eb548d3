// Shows the guardian section only when the birth date makes the person under 16 (the server
// checks it again on Vietnam's date; without this script the section is always shown).
(function () {
  var section = document.querySelector("[data-guardian]");
  var input = document.querySelector("input[name=birth_date]");
  if (!section || !input) return;
  var age = Number(section.getAttribute("data-guardian") || 16);
  function update() {
    var parts = (input.value || "").split("-").map(Number);
    var child = false;
    if (parts.length === 3 && parts[0]) {
      var now = new Date();
      var years = now.getFullYear() - parts[0];
      if (now.getMonth() + 1 < parts[1] || (now.getMonth() + 1 === parts[1] && now.getDate() < parts[2])) years--;
      child = years < age;
    }
    section.hidden = !child;
  }
  input.addEventListener("change", update);
  input.addEventListener("input", update);
  update();
})();
