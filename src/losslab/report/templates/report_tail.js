window.addEventListener('load', function () {
  var imgs = document.querySelectorAll('img');
  var ok = 0, bad = [];
  for (var i = 0; i < imgs.length; i++) {
    if (imgs[i].complete && imgs[i].naturalWidth > 0) { ok++; } else { bad.push(imgs[i].alt); }
  }
  var s = document.getElementById('render-status');
  s.setAttribute('data-images', String(imgs.length));
  s.setAttribute('data-images-ok', String(ok));
  s.setAttribute('data-bad-images', bad.join('|'));
  s.setAttribute('data-errors', window.__losslabErrors.join('|'));
  s.setAttribute('data-state', 'loaded');
});
