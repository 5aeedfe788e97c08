// Evaluated before a user's decoder, in its context: what real-world decoders expect of their
// host (ChirpStack's and The Things Stack's) that plain QuickJS lacks. Returns the function
// that forgets the globals a call created.
(function (g) {
  "use strict";

  // What the host adds is not enumerable, as built-ins are: `reset` looks at the enumerable
  // globals only, and each one makes it cost more per uplink.
  const define = (name, value) =>
    Object.defineProperty(g, name, { value, writable: true, configurable: true, enumerable: false });

  // console.* is captured (the test output shows it); `__helium_log` is the bridge's sink.
  const sink = g.__helium_log;
  delete g.__helium_log;
  // (Half a UTF-16 pair would make the line no text at all: it is U+FFFD, as in results.)
  const lone = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
  const shown = (a) => {
    if (typeof a === "string") return a;
    if (a instanceof D) return String(a); // (D: the Date below, set before any call)
    try {
      const s = JSON.stringify(a);
      return s === undefined ? String(a) : s;
    } catch (e) {
      return String(a);
    }
  };
  const show = (a) => shown(a).replace(lone, "\ufffd");
  const log = (...a) => sink(a.map(show).join(" "));
  define("console", { log, info: log, warn: log, error: log, debug: log });

  // Dates in UTC whatever the machine's time zone, as on a server: local-time getters, setters
  // and constructors act as their UTC twins.
  const D = Date;
  const P = D.prototype;
  for (const n of ["FullYear", "Month", "Date", "Day", "Hours", "Minutes", "Seconds", "Milliseconds"]) {
    P["get" + n] = P["getUTC" + n];
    if (n !== "Day") P["set" + n] = P["setUTC" + n];
  }
  P.getTimezoneOffset = function () {
    return 0;
  };
  // The text forms as Node writes them for en-US in UTC (QuickJS's use the machine's zone).
  // Without Intl, `toLocale*` take no locale or options: en-US it is.
  const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const two = (n) => String(n).padStart(2, "0");
  const year = (y) => (y < 0 ? "-" + String(-y).padStart(4, "0") : String(y).padStart(4, "0"));
  const text = (f) =>
    function () {
      return isNaN(this) ? "Invalid Date" : f(this);
    };
  const time = (d) => two(d.getUTCHours()) + ":" + two(d.getUTCMinutes()) + ":" + two(d.getUTCSeconds());
  P.toDateString = text(
    (d) => DAYS[d.getUTCDay()] + " " + MONTHS[d.getUTCMonth()] + " " + two(d.getUTCDate()) + " " + year(d.getUTCFullYear())
  );
  P.toTimeString = text((d) => time(d) + " GMT+0000 (Coordinated Universal Time)");
  P.toString = text((d) => d.toDateString() + " " + d.toTimeString());
  P.toLocaleDateString = text((d) => d.getUTCMonth() + 1 + "/" + d.getUTCDate() + "/" + d.getUTCFullYear());
  P.toLocaleTimeString = text((d) => {
    const h = d.getUTCHours();
    return (h % 12 || 12) + ":" + two(d.getUTCMinutes()) + ":" + two(d.getUTCSeconds()) + (h < 12 ? " AM" : " PM");
  });
  P.toLocaleString = text((d) => d.toLocaleDateString() + ", " + d.toLocaleTimeString());
  // Numbers too, as Node writes them for en-US: grouped by thousands, at most three decimals,
  // rounded half up from the shortest decimal that reads back the same (1.0005 → 1.001).
  Object.defineProperty(Number.prototype, "toLocaleString", {
    value: function () {
      const n = Number(this);
      if (!isFinite(n)) return isNaN(n) ? "NaN" : n < 0 ? "-∞" : "∞";
      const abs = Math.abs(n);
      let [int, frac = ""] = abs < 5e-4 ? ["0"] : String(abs).split(".");
      if (abs >= 1e21) {
        // 2.5e+22: its digits, then zeros.
        const [m, e] = String(abs).split("e+");
        const [mi, mf = ""] = m.split(".");
        [int, frac] = [mi + mf + "0".repeat(Number(e) - mf.length), ""];
      }
      if (frac.length > 3) {
        const up = frac[3] >= "5";
        frac = frac.slice(0, 3);
        if (up) {
          const all = (BigInt(int + frac) + 1n).toString().padStart(int.length + 3, "0");
          [int, frac] = [all.slice(0, -3), all.slice(-3)];
        }
      }
      frac = frac.replace(/0+$/, "");
      const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
      return (n < 0 ? "-" : "") + grouped + (frac ? "." + frac : "");
    },
    writable: true,
    configurable: true,
  });
  function UTCDate(...a) {
    if (!new.target) return new D().toString();
    // (Through new.target, a class extending Date makes its own instances.)
    return Reflect.construct(D, a.length > 1 ? [D.UTC(...a)] : a, new.target);
  }
  UTCDate.prototype = P;
  UTCDate.UTC = D.UTC;
  UTCDate.now = D.now;
  UTCDate.parse = D.parse;
  Object.defineProperty(P, "constructor", { value: UTCDate, writable: true, configurable: true });
  define("Date", UTCDate);

  // Buffer, as ChirpStack provides it: the part decoders use.
  const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  class Buffer extends Uint8Array {
    static from(v, enc) {
      if (typeof v === "string") {
        if (enc === "hex") {
          const b = new Buffer(v.length >> 1);
          for (let i = 0; i < b.length; i++) b[i] = parseInt(v.substr(i * 2, 2), 16);
          return b;
        }
        if (enc === "base64") {
          const s = v.replace(/[^A-Za-z0-9+/]/g, "");
          const out = [];
          for (let i = 0, bits = 0, acc = 0; i < s.length; i++) {
            acc = (acc << 6) | B64.indexOf(s[i]);
            bits += 6;
            if (bits >= 8) {
              bits -= 8;
              out.push((acc >> bits) & 255);
            }
          }
          return Buffer.from(out);
        }
        const u = enc === "ascii" || enc === "latin1" || enc === "binary" ? v : unescape(encodeURIComponent(v));
        const b = new Buffer(u.length);
        for (let i = 0; i < u.length; i++) b[i] = u.charCodeAt(i) & 255;
        return b;
      }
      const b = new Buffer(v.length);
      for (let i = 0; i < v.length; i++) b[i] = v[i] & 255;
      return b;
    }
    static alloc(n) {
      return new Buffer(n);
    }
    static isBuffer(b) {
      return b instanceof Buffer;
    }
    toString(enc, start = 0, end = this.length) {
      const s = Array.from(this.subarray(start, end));
      if (enc === "hex") return s.map((x) => x.toString(16).padStart(2, "0")).join("");
      if (enc === "base64") {
        let out = "";
        for (let i = 0; i < s.length; i += 3) {
          const n = (s[i] << 16) | ((s[i + 1] || 0) << 8) | (s[i + 2] || 0);
          out += B64[(n >> 18) & 63] + B64[(n >> 12) & 63];
          out += i + 1 < s.length ? B64[(n >> 6) & 63] : "=";
          out += i + 2 < s.length ? B64[n & 63] : "=";
        }
        return out;
      }
      const raw = String.fromCharCode(...s);
      if (enc === "ascii" || enc === "latin1" || enc === "binary") return raw;
      try {
        return decodeURIComponent(escape(raw));
      } catch (e) {
        return raw;
      }
    }
  }
  const readers = {
    UInt8: "getUint8", Int8: "getInt8", UInt16: "getUint16", Int16: "getInt16",
    UInt32: "getUint32", Int32: "getInt32", Float: "getFloat32", Double: "getFloat64",
  };
  for (const name of Object.keys(readers)) {
    const get = readers[name];
    const read = (le) =>
      function (offset = 0) {
        return new DataView(this.buffer, this.byteOffset, this.byteLength)[get](offset, le);
      };
    const names = name.startsWith("UInt") ? [name, "Uint" + name.slice(4)] : [name];
    for (const n of names) {
      if (get.endsWith("8")) {
        Buffer.prototype["read" + n] = read(false);
      } else {
        Buffer.prototype["read" + n + "BE"] = read(false);
        Buffer.prototype["read" + n + "LE"] = read(true);
      }
    }
  }
  define("Buffer", Buffer);

  // No state between uplinks: whatever global a call creates is gone before the next. (The
  // script's own top-level definitions are taken once it has run: see `baseline`.) A call
  // creates globals by assigning them (undeclared names, `this.x`, `globalThis.x`, indirect
  // eval), which makes them enumerable, so only the enumerable ones are looked at: listing all
  // ~70 built-ins after every call was half of what a typical decoder cost per uplink. `for…in`,
  // not `Object.keys`: QuickJS's Object.keys looks up each own property of the global object
  // (those built-ins and what the host adds, ~80) to learn whether it is enumerable (a fifth
  // of a typical decoder's call); for…in reads the flags.
  // (It also lists enumerable properties a script added to Object.prototype: not own, so the
  // delete does nothing.)
  let kept = null;
  return {
    // `decodeUplink`'s `input.recvTime`: a Date, as ChirpStack and The Things Stack give it.
    date(ms) {
      return new D(ms);
    },
    // The `decodeUplink` result's members left undefined are null, as ChirpStack and The Things
    // Stack write them (JSON.stringify alone leaves them out).
    orNull(key, value) {
      return value === undefined ? null : value;
    },
    baseline() {
      kept = new Set(Object.getOwnPropertyNames(g));
    },
    reset() {
      for (const k in g) {
        if (!kept.has(k)) delete g[k];
      }
    },
  };
})(globalThis)
