// The integrator's page script: what a page written for IMM does, unchanged — ask our backend for a token,
// mount the document with the WebOffice JS SDK (global `aliyun`), refresh through our backend.
(function () {
  'use strict';
  var view = document.currentScript.dataset.view;
  var sameSession = new URLSearchParams(location.search).get('session');
  var events = document.getElementById('events');

  function note(text) {
    var item = document.createElement('li');
    item.textContent = new Date().toLocaleTimeString() + '  ' + text;
    events.prepend(item);
  }

  function post(path) {
    return fetch(path, { method: 'POST' }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) throw new Error(body.message || 'HTTP ' + response.status);
        return body;
      });
    });
  }

  var first = sameSession ? post('/api/sessions/' + sameSession + '/token') : post('/api/views/' + encodeURIComponent(view) + '/token');
  first
    .then(function (opened) {
      var ins = aliyun.config({
        mount: document.getElementById('office'),
        url: opened.WebofficeURL,
        refreshToken: function () {
          return post('/api/sessions/' + opened.Handle + '/refresh').then(function (next) {
            note('token refreshed through the backend (RefreshWebofficeToken)');
            return { token: next.AccessToken, timeout: next.Timeout };
          });
        },
      });
      ['loading', 'ready', 'refreshing', 'expired', 'revoked', 'superseded', 'error'].forEach(function (name) {
        ins.on(name, function (event) {
          note(name + ': ' + event.message);
        });
      });
      ins.on('save', function (event) {
        note('save: ' + event.result + ' (version ' + event.version + ') ' + event.message);
      });
      ins.setToken({ token: opened.AccessToken, timeout: opened.Timeout });
      var link = document.getElementById('same-token');
      link.href = location.pathname + '?session=' + opened.Handle;
      window.weboffice = ins;
      return ins.ready().then(function () {
        note('ready() resolved; token valid for ' + Math.round(opened.Timeout / 1000) + ' s, the SDK refreshes it before then');
      });
    })
    .catch(function (error) {
      note('failed: ' + error.message);
    });
})();
