// The run page refreshes itself every two seconds while the run is active. Once a manager starts changing
// the "Fix this run" form, the refresh waits, so what they typed is not replaced under their hands.
(function () {
  'use strict';
  function markDirty(event) {
    var form = event.target.closest && event.target.closest('#fix-run form');
    if (form) {
      form.dataset.dirty = '1';
    }
  }
  document.addEventListener('input', markDirty);
  document.addEventListener('change', markDirty);
  document.addEventListener('htmx:beforeRequest', function (event) {
    var elt = event.detail && event.detail.elt;
    if (elt && elt.id === 'execution' && event.detail.requestConfig.verb === 'get' &&
        document.querySelector('#fix-run form[data-dirty]')) {
      event.preventDefault();
    }
  });
})();
