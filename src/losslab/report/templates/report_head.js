window.__losslabErrors = [];
window.addEventListener('error', function (e) {
  var t = e.target;
  if (t && t.tagName === 'IMG') { window.__losslabErrors.push('image failed: ' + (t.alt || '?')); }
  else { window.__losslabErrors.push('js error: ' + (e.message || String(e))); }
}, true);
(function () {
  var orig = console.error;
  console.error = function () {
    window.__losslabErrors.push('console.error: ' + Array.prototype.join.call(arguments, ' '));
    return orig.apply(console, arguments);
  };
})();
