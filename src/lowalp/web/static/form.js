// lowalp case form: optional enhancements (the form works without them).
// 1. Each row's unit menu shows only the units of the test chosen in that row.
// 2. A result outside what is physiologically possible for that test and unit is questioned
//    before the form is sent (the server questions it again).
"use strict";
(function () {
  var form = document.getElementById("case-form");
  if (!form) { return; }

  function plainNumber(text) {
    var m = /^\s*[<>]?=?\s*(\d+(?:[.,]\d+)?|[.,]\d+)\s*$/.exec(text || "");
    return m ? parseFloat(m[1].replace(",", ".")) : null;
  }

  function wire(analyteSelect) {
    var unitSelect = document.getElementById(analyteSelect.dataset.unitSelect);
    var valueInput = document.getElementById(analyteSelect.dataset.valueInput);
    if (!unitSelect || !valueInput) { return; }
    // Keep every optgroup aside; show only the chosen analyte's.
    var groups = Array.prototype.slice.call(unitSelect.querySelectorAll("optgroup"));
    var blank = unitSelect.querySelector("option[value='']");

    function showUnits() {
      var id = analyteSelect.value;
      var previous = unitSelect.value;
      groups.forEach(function (g) { if (g.parentNode) { g.parentNode.removeChild(g); } });
      var group = groups.filter(function (g) { return g.dataset.analyte === id; })[0];
      if (group) {
        if (blank && blank.parentNode) { blank.parentNode.removeChild(blank); }
        unitSelect.appendChild(group);
        var options = group.querySelectorAll("option");
        var keep = Array.prototype.some.call(options, function (o) { return o.value === previous; });
        unitSelect.value = keep ? previous : options[0].value;
      } else {
        if (blank && !blank.parentNode) { unitSelect.insertBefore(blank, unitSelect.firstChild); }
        unitSelect.value = "";
      }
      check();
    }

    function check() {
      var chosen = analyteSelect.options[analyteSelect.selectedIndex];
      var unit = unitSelect.options[unitSelect.selectedIndex];
      var value = plainNumber(valueInput.value);
      var message = "";
      if (chosen && chosen.value && unit && unit.value && value !== null) {
        var factor = parseFloat(unit.dataset.factor || "1");
        var lo = parseFloat(chosen.dataset.min), hi = parseFloat(chosen.dataset.max);
        var canonical = value * factor;
        if (canonical < lo || canonical > hi) {
          message = value + " " + unit.value + " is outside what is possible for " + chosen.text +
            " (possible: " + +(lo / factor).toPrecision(4) + "–" + +(hi / factor).toPrecision(4) + " " +
            unit.value + "). Check the value and its unit.";
        }
      }
      valueInput.setCustomValidity(message);
      if (message) {
        valueInput.setAttribute("aria-invalid", "true");
        valueInput.dataset.outside = "1";
      } else if (valueInput.dataset.outside) {
        valueInput.removeAttribute("aria-invalid");
        delete valueInput.dataset.outside;
      }
    }

    analyteSelect.addEventListener("change", showUnits);
    unitSelect.addEventListener("change", check);
    valueInput.addEventListener("input", check);
    showUnits();
  }

  Array.prototype.forEach.call(form.querySelectorAll("select.analyte"), wire);

  var problem = document.getElementById("errors") || document.getElementById("questions") ||
    document.getElementById("upload-errors");
  if (problem) { problem.focus(); }
})();
