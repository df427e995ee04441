/*
 * Haven: check a receipt in the browser, trusting nothing but the log's public key.
 *
 * For the receipt of one ledger entry (haven.receipt/v1) this script, with WebCrypto only:
 *  1. checks the entry carries the receipt's nonce and tag, and every base64 is canonical;
 *  2. checks the Ed25519 signature on the receipt's checkpoint (C2SP signed-note) with the key;
 *  3. checks the RFC 9162 inclusion proof of SHA-256(0x00 || entry) up to that checkpoint's root;
 *  4. fetches the log's latest /log/checkpoint, checks its signature, and fetches the tlog-tiles
 *     entry bundle holding the entry, which must contain exactly the same bytes.
 * Loaded as a file (the pages' CSP forbids inline script); buttons carry data-receipt URLs.
 */
(function () {
  "use strict";

  var encoder = new TextEncoder();

  function b64decode(text) {
    var raw = atob(text);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }

  function b64encode(bytes) {
    var raw = "";
    for (var i = 0; i < bytes.length; i++) raw += String.fromCharCode(bytes[i]);
    return btoa(raw);
  }

  function strictB64(text, what) {
    var bytes;
    try {
      bytes = b64decode(text);
    } catch (e) {
      throw new Error(what + " is not base64");
    }
    if (b64encode(bytes) !== text) throw new Error(what + " is not canonical base64");
    return bytes;
  }

  function concat(parts) {
    var size = parts.reduce(function (n, p) { return n + p.length; }, 0);
    var out = new Uint8Array(size);
    var at = 0;
    parts.forEach(function (p) { out.set(p, at); at += p.length; });
    return out;
  }

  function equal(a, b) {
    if (a.length !== b.length) return false;
    for (var i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  function hex(bytes) {
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  async function sha256(bytes) {
    return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  }

  function leafHash(entry) { return sha256(concat([new Uint8Array([0]), entry])); }
  function nodeHash(left, right) { return sha256(concat([new Uint8Array([1]), left, right])); }

  /* vkey: "<name>+<8 hex key id>+<base64(0x01 || 32-byte Ed25519 key)>" */
  function parseVkey(vkey) {
    // The name holds no "+", the key ID is hex; the base64 key may itself contain "+".
    var text = vkey.trim();
    var first = text.indexOf("+");
    var second = text.indexOf("+", first + 1);
    if (first < 1 || second !== first + 9) throw new Error("the log key is malformed");
    var parts = [text.slice(0, first), text.slice(first + 1, second), text.slice(second + 1)];
    var blob = strictB64(parts[2], "the log key");
    if (blob.length !== 33 || blob[0] !== 1) throw new Error("the log key is not Ed25519");
    return { name: parts[0], keyId: parts[1], raw: blob.slice(1) };
  }

  /* Verify a signed note's signature by the key; return the note's text (the checkpoint). */
  async function openNote(note, key) {
    var split = note.lastIndexOf("\n\n");
    if (split < 0 || note.slice(-1) !== "\n") throw new Error("the checkpoint is malformed");
    var text = note.slice(0, split + 1);
    var lines = note.slice(split + 2, -1).split("\n");
    var publicKey = await crypto.subtle.importKey("raw", key.raw, { name: "Ed25519" }, false, ["verify"]);
    for (var i = 0; i < lines.length; i++) {
      var match = /^\u2014 (\S+) (\S+)$/.exec(lines[i]);
      if (!match) throw new Error("a signature line is malformed");
      var blob = strictB64(match[2], "a signature");
      if (match[1] !== key.name || hex(blob.slice(0, 4)) !== key.keyId) continue;
      var ok = await crypto.subtle.verify({ name: "Ed25519" }, publicKey, blob.slice(4), encoder.encode(text));
      if (!ok) throw new Error("the checkpoint's signature does not verify");
      return text;
    }
    throw new Error("the checkpoint is not signed by the log's key");
  }

  function parseCheckpoint(text) {
    var lines = text.slice(0, -1).split("\n");
    if (lines.length < 3 || !/^(0|[1-9][0-9]*)$/.test(lines[1])) throw new Error("the checkpoint is malformed");
    return { origin: lines[0], size: Number(lines[1]), root: strictB64(lines[2], "the root hash") };
  }

  function parseProof(text) {
    var split = text.indexOf("\n\n");
    if (split < 0) throw new Error("the proof is malformed");
    var head = text.slice(0, split).split("\n");
    if (head[0] !== "c2sp.org/tlog-proof@v1") throw new Error("the proof is not a tlog-proof");
    var at = 1;
    if (head[at] && head[at].indexOf("extra ") === 0) at++;
    var match = /^index (0|[1-9][0-9]*)$/.exec(head[at] || "");
    if (!match) throw new Error("the proof has no index");
    var hashes = head.slice(at + 1).map(function (line) {
      var h = strictB64(line, "a proof hash");
      if (h.length !== 32) throw new Error("a proof hash is not SHA-256");
      return h;
    });
    return { index: Number(match[1]), hashes: hashes, note: text.slice(split + 2) };
  }

  /* RFC 9162 section 2.1.3.2. */
  async function verifyInclusion(leaf, index, size, proof, root) {
    if (index >= size) throw new Error("the entry is outside the checkpoint");
    var fn = index, sn = size - 1, r = leaf;
    for (var i = 0; i < proof.length; i++) {
      var p = proof[i];
      if (sn === 0) throw new Error("the inclusion proof is too long");
      if (fn % 2 === 1 || fn === sn) {
        r = await nodeHash(p, r);
        if (fn % 2 === 0) {
          while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
        }
      } else {
        r = await nodeHash(r, p);
      }
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    if (sn !== 0) throw new Error("the inclusion proof is too short");
    if (!equal(r, root)) throw new Error("the inclusion proof does not lead to the signed root");
  }

  function tileIndexPath(n) {
    var digits = String(n);
    while (digits.length % 3) digits = "0" + digits;
    var groups = digits.match(/.{3}/g);
    return groups.map(function (g, i) { return i < groups.length - 1 ? "x" + g : g; }).join("/");
  }

  async function fetchText(url) {
    var response = await fetch(url, { cache: "no-store", credentials: "omit" });
    if (!response.ok) throw new Error(url + " answered " + response.status);
    return response.text();
  }

  async function fetchBytes(url) {
    var response = await fetch(url, { cache: "no-store", credentials: "omit" });
    if (!response.ok) throw new Error(url + " answered " + response.status);
    return new Uint8Array(await response.arrayBuffer());
  }

  /* The entry's bytes as the served entry bundle holds them (tlog-tiles). */
  async function servedEntry(index, size) {
    var n = Math.floor(index / 256);
    var width = Math.min(256, size - n * 256);
    var path = "/log/tile/entries/" + tileIndexPath(n) + (width < 256 ? ".p/" + width : "");
    var bundle = await fetchBytes(path);
    var at = 0;
    for (var i = 0; i < width; i++) {
      var length = (bundle[at] << 8) | bundle[at + 1];
      if (i === index % 256) return bundle.slice(at + 2, at + 2 + length);
      at += 2 + length;
    }
    throw new Error("the served entry bundle is short");
  }

  async function checkReceipt(receiptText, vkey) {
    var receipt = JSON.parse(receiptText);
    if (receipt.format !== "haven.receipt/v1") throw new Error("this is not a Haven receipt");
    var entryBytes = strictB64(receipt.entry, "the entry");
    var entry = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(entryBytes));
    if (entry.nonce !== receipt.nonce) throw new Error("the entry does not carry the receipt's nonce");
    if ((entry.subject_tags || []).indexOf(receipt.tag) < 0) throw new Error("the entry does not carry the receipt's tag");
    var proof = parseProof(receipt.proof);
    if (proof.index !== receipt.index) throw new Error("the proof is for another entry");
    var key = parseVkey(vkey);
    var checkpoint = parseCheckpoint(await openNote(proof.note, key));
    await verifyInclusion(await leafHash(entryBytes), proof.index, checkpoint.size, proof.hashes, checkpoint.root);
    var latest = parseCheckpoint(await openNote(await fetchText("/log/checkpoint"), key));
    if (latest.origin !== checkpoint.origin || latest.size < checkpoint.size) throw new Error("the log's latest checkpoint does not extend the receipt's");
    if (!equal(await servedEntry(proof.index, latest.size), entryBytes)) throw new Error("the served log holds other bytes for this entry");
    return "entry " + proof.index + " is in the log (checkpoint size " + checkpoint.size + "; latest " + latest.size + ")";
  }

  async function onClick(event) {
    var button = event.currentTarget;
    var output = button.parentNode.querySelector(".verify-result");
    var vkey = document.getElementById("log-vkey").getAttribute("data-vkey");
    output.textContent = "Checking…";
    try {
      var text = await fetchText(button.getAttribute("data-receipt"));
      output.textContent = "Verified: " + (await checkReceipt(text, vkey));
      output.setAttribute("data-verified", "true");
    } catch (error) {
      output.textContent = "Not verified: " + error.message;
      output.setAttribute("data-verified", "false");
    }
  }

  window.havenCheckReceipt = checkReceipt;
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("button.verify-receipt").forEach(function (button) {
      button.addEventListener("click", onClick);
    });
  });
})();
