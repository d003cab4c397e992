// Missive signing script. Optional: the form works without it. With it, the browser solves a
// small proof-of-work puzzle (SHA-256, same origin only) and sends the signature without
// leaving the page. It makes no request to any other host and stores nothing.
(function () {
  "use strict";
  var form = document.querySelector("form[data-missive-sign]");
  if (!form || !window.fetch || !window.URLSearchParams) {
    return;
  }
  var status = form.querySelector("[data-missive-status]");
  var K = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
  ];
  var W = new Int32Array(64);

  // SHA-256 of an ASCII string; returns the first 32-bit word and the second (enough to count
  // up to 64 leading zero bits).
  function sha256Head(text) {
    var n = text.length;
    var blocks = ((n + 9 + 63) >> 6);
    var bytes = new Uint8Array(blocks * 64);
    for (var i = 0; i < n; i++) {
      bytes[i] = text.charCodeAt(i);
    }
    bytes[n] = 0x80;
    var bits = n * 8;
    var end = blocks * 64;
    bytes[end - 4] = (bits >>> 24) & 255;
    bytes[end - 3] = (bits >>> 16) & 255;
    bytes[end - 2] = (bits >>> 8) & 255;
    bytes[end - 1] = bits & 255;
    var h0 = 0x6a09e667, h1 = 0xbb67ae85, h2 = 0x3c6ef372, h3 = 0xa54ff53a;
    var h4 = 0x510e527f, h5 = 0x9b05688c, h6 = 0x1f83d9ab, h7 = 0x5be0cd19;
    for (var off = 0; off < end; off += 64) {
      for (var t = 0; t < 16; t++) {
        var j = off + t * 4;
        W[t] = (bytes[j] << 24) | (bytes[j + 1] << 16) | (bytes[j + 2] << 8) | bytes[j + 3];
      }
      for (t = 16; t < 64; t++) {
        var x = W[t - 15], y = W[t - 2];
        var s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
        var s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
        W[t] = (W[t - 16] + s0 + W[t - 7] + s1) | 0;
      }
      var a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
      for (t = 0; t < 64; t++) {
        var S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
        var ch = (e & f) ^ (~e & g);
        var t1 = (h + S1 + ch + K[t] + W[t]) | 0;
        var S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
        var maj = (a & b) ^ (a & c) ^ (b & c);
        var t2 = (S0 + maj) | 0;
        h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
      }
      h0 = (h0 + a) | 0; h1 = (h1 + b) | 0; h2 = (h2 + c) | 0; h3 = (h3 + d) | 0;
      h4 = (h4 + e) | 0; h5 = (h5 + f) | 0; h6 = (h6 + g) | 0; h7 = (h7 + h) | 0;
    }
    return [h0 >>> 0, h1 >>> 0];
  }

  function zeroBits(head) {
    if (head[0] !== 0) {
      return Math.clz32(head[0]);
    }
    return 32 + Math.clz32(head[1]);
  }

  var challenge = null; // {token, difficulty, minFillMs, issuedAt, solution, waiters}
  var busy = false;

  function say(text) {
    if (status) {
      status.textContent = text || "";
    }
  }

  function fetchChallenge() {
    var url = new URL(form.getAttribute("data-challenge"), document.baseURI);
    var started = Date.now();
    return fetch(url.href, {
      method: "GET",
      credentials: "omit",
      cache: "no-store",
      headers: { "Accept": "application/json" }
    }).then(function (r) {
      if (!r.ok) {
        throw new Error("challenge " + r.status);
      }
      return r.json();
    }).then(function (c) {
      var ch = {
        token: String(c.token),
        difficulty: Number(c.difficulty) || 0,
        minFillMs: Number(c.min_fill_ms) || 0,
        issuedAt: started,
        solution: null,
        waiters: []
      };
      solve(ch, 0);
      return ch;
    });
  }

  // Works through the puzzle in slices so the page stays responsive.
  function solve(ch, from) {
    var n = from;
    var stop = from + 20000;
    for (; n < stop; n++) {
      if (zeroBits(sha256Head(ch.token + ":" + n)) >= ch.difficulty) {
        ch.solution = String(n);
        var waiters = ch.waiters;
        ch.waiters = [];
        waiters.forEach(function (w) { w(); });
        return;
      }
    }
    setTimeout(function () { solve(ch, n); }, 0);
  }

  function ready(ch) {
    return new Promise(function (resolve) {
      if (ch.solution !== null) {
        resolve(ch);
      } else {
        ch.waiters.push(function () { resolve(ch); });
      }
    });
  }

  function ensureChallenge() {
    if (!challenge) {
      challenge = fetchChallenge().catch(function (err) {
        challenge = null;
        throw err;
      });
    }
    return challenge;
  }

  function waitMinFill(ch) {
    var left = ch.issuedAt + ch.minFillMs + 50 - Date.now();
    return new Promise(function (resolve) {
      setTimeout(function () { resolve(ch); }, Math.max(0, left));
    });
  }

  function groupDigits(n, sep) {
    var s = String(n);
    var out = "";
    for (var i = 0; i < s.length; i++) {
      if (i > 0 && (s.length - i) % 3 === 0) {
        out += sep;
      }
      out += s.charAt(i);
    }
    return out;
  }

  function refreshCount() {
    var url = new URL(form.getAttribute("data-count"), document.baseURI);
    fetch(url.href, { credentials: "omit", cache: "no-store" }).then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (c) {
      if (!c || typeof c.count !== "number") {
        return;
      }
      var line = document.querySelector("[data-missive-count]");
      var asOf = document.querySelector("[data-missive-asof]");
      if (line) {
        line.textContent = form.getAttribute("data-count-line")
          .replace("{count}", groupDigits(c.count, form.getAttribute("data-thousands") || ","));
      }
      if (asOf && typeof c.as_of === "string") {
        var time = c.as_of.substring(11, 19) + " UTC";
        asOf.textContent = form.getAttribute("data-as-of").replace("{time}", time);
        asOf.setAttribute("datetime", c.as_of);
      }
    }).catch(function () {});
  }

  function showDone(result) {
    var box = document.createElement("div");
    box.setAttribute("role", "status");
    var msg = document.createElement("p");
    msg.className = "m-status";
    msg.textContent = result.message;
    box.appendChild(msg);
    if (result.edit_url) {
      var intro = document.createElement("p");
      intro.textContent = result.edit_intro || "";
      var p = document.createElement("p");
      p.className = "m-edit";
      var a = document.createElement("a");
      a.href = result.edit_url;
      a.textContent = new URL(result.edit_url, document.baseURI).href;
      p.appendChild(a);
      box.appendChild(intro);
      box.appendChild(p);
    }
    form.parentNode.replaceChild(box, form);
    var wait = Number(form.getAttribute("data-count-refresh")) || 2000;
    setTimeout(refreshCount, wait + 300);
  }

  function send(attempt) {
    return ensureChallenge().then(ready).then(waitMinFill).then(function (ch) {
      var body = new URLSearchParams(new FormData(form));
      body.delete("form_token");
      body.set("pow_token", ch.token);
      body.set("pow_solution", ch.solution);
      challenge = null; // one use only
      return fetch(form.action, {
        method: "POST",
        credentials: "omit",
        cache: "no-store",
        headers: { "Accept": "application/json" },
        body: body
      });
    }).then(function (r) {
      return r.json().then(function (j) { return { status: r.status, body: j }; });
    }).then(function (res) {
      if (res.body && res.body.ok) {
        showDone(res.body);
        return;
      }
      var err = res.body || {};
      say(err.message || "");
      if (err.retry && attempt < 3) {
        return send(attempt + 1);
      }
    });
  }

  form.addEventListener("focusin", function () {
    ensureChallenge().catch(function () {});
  });

  form.addEventListener("submit", function (event) {
    if (busy) {
      event.preventDefault();
      return;
    }
    event.preventDefault();
    busy = true;
    say(form.getAttribute(challenge ? "data-working" : "data-solving"));
    send(0).then(function () {
      busy = false;
    }, function () {
      // No script path after all (network trouble, old browser): send the plain form.
      busy = false;
      form.submit();
    });
  });
})();
