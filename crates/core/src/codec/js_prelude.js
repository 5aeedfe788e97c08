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

  // Buffer, as ChirpStack gives decoders one: Node's API (the `buffer` package, see js.rs),
  // made the first time a script reads it; assigned, it is what the script gave.
  const loadBuffer = g.__helium_load_buffer;
  delete g.__helium_load_buffer;
  Object.defineProperty(g, "Buffer", {
    get() {
      const B = loadBuffer();
      define("Buffer", B);
      return B;
    },
    set(v) {
      define("Buffer", v);
    },
    configurable: true,
    enumerable: false,
  });

  // TextDecoder and TextEncoder, as browsers have them (the WHATWG Encoding standard) and Node:
  // UTF-8, UTF-16LE/BE and windows-1252 (which "latin1" and "ascii" name there). `decode` also
  // takes a plain array of bytes, such as `bytes` itself. No streaming: a payload is decoded whole.
  const LABELS = {
    "utf-8": ["unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "utf-8", "utf8", "x-unicode20utf8"],
    "utf-16le": ["csunicode", "iso-10646-ucs-2", "ucs-2", "unicode", "unicodefeff", "utf-16", "utf-16le"],
    "utf-16be": ["unicodefffe", "utf-16be"],
    "windows-1252": ["ansi_x3.4-1968", "ascii", "cp1252", "cp819", "csisolatin1", "ibm819", "iso-8859-1",
      "iso-ir-100", "iso8859-1", "iso88591", "iso_8859-1", "iso_8859-1:1987", "l1", "latin1", "us-ascii",
      "windows-1252", "x-cp1252"],
  };
  const ENCODINGS = new Map();
  for (const name of Object.keys(LABELS)) for (const l of LABELS[name]) ENCODINGS.set(l, name);
  // WebIDL's dictionaries: undefined and null are none, another value that is not an object an error.
  const optionsOf = (o, where) => {
    if (o === undefined || o === null) return {};
    if (typeof o !== "object" && typeof o !== "function") {
      throw new TypeError(`${where}: options must be an object, not ${typeof o}`);
    }
    return o;
  };
  // windows-1252's 0x80–0x9F (the rest is Latin-1).
  const W1252 = [0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152,
    0x8d, 0x17d, 0x8f, 0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a,
    0x153, 0x9d, 0x17e, 0x178];
  const octets = (v) => {
    if (v === undefined) return new Uint8Array(0);
    if (v instanceof ArrayBuffer) return new Uint8Array(v);
    if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    if (Array.isArray(v)) return Uint8Array.from(v);
    throw new TypeError(
      'TextDecoder.decode takes an ArrayBuffer, a typed array, a DataView or an array of bytes, not ' +
        (v === null ? "null" : typeof v)
    );
  };
  // Code points to text, a slice at a time (a call's arguments are limited).
  const fromUnits = (units) => {
    let s = "";
    for (let i = 0; i < units.length; i += 8192) s += String.fromCharCode.apply(null, units.slice(i, i + 8192));
    return s;
  };
  const unit = (out, cp) => {
    if (cp > 0xffff) {
      cp -= 0x10000;
      out.push(0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
    } else out.push(cp);
  };
  // Each malformed sequence (its longest valid start) is one U+FFFD, or an error when fatal.
  const utf8 = (b, bad) => {
    const out = [];
    let cp = 0, need = 0, seen = 0, lower = 0x80, upper = 0xbf;
    for (let i = 0; i < b.length; i++) {
      const x = b[i];
      if (need === 0) {
        if (x <= 0x7f) out.push(x);
        else if (x >= 0xc2 && x <= 0xdf) (need = 1), (cp = x & 0x1f);
        else if (x >= 0xe0 && x <= 0xef) {
          if (x === 0xe0) lower = 0xa0;
          if (x === 0xed) upper = 0x9f;
          (need = 2), (cp = x & 0xf);
        } else if (x >= 0xf0 && x <= 0xf4) {
          if (x === 0xf0) lower = 0x90;
          if (x === 0xf4) upper = 0x8f;
          (need = 3), (cp = x & 7);
        } else out.push(bad());
        continue;
      }
      if (x < lower || x > upper) {
        // The byte starts afresh.
        (cp = need = seen = 0), (lower = 0x80), (upper = 0xbf);
        out.push(bad());
        i--;
        continue;
      }
      (lower = 0x80), (upper = 0xbf);
      cp = (cp << 6) | (x & 0x3f);
      if (++seen === need) {
        unit(out, cp);
        cp = need = seen = 0;
      }
    }
    if (need) out.push(bad());
    return out;
  };
  const utf16 = (b, bad, be) => {
    const out = [];
    let lead = 0;
    for (let i = 0; i + 1 < b.length; i += 2) {
      const u = be ? (b[i] << 8) | b[i + 1] : b[i] | (b[i + 1] << 8);
      if (lead) {
        if (u >= 0xdc00 && u <= 0xdfff) {
          out.push(lead, u);
          lead = 0;
          continue;
        }
        out.push(bad());
        lead = 0;
      }
      if (u >= 0xd800 && u <= 0xdbff) lead = u;
      else if (u >= 0xdc00 && u <= 0xdfff) out.push(bad());
      else out.push(u);
    }
    // (An unpaired lead and an odd last byte at the end are one error.)
    if (lead || b.length % 2) out.push(bad());
    return out;
  };
  class TextDecoder {
    #encoding;
    #fatal;
    #ignoreBOM;
    constructor(label = "utf-8", options) {
      // (Only ASCII whitespace around a label, as the standard says.)
      const name = ENCODINGS.get(String(label).replace(/^[\t\n\f\r ]+|[\t\n\f\r ]+$/g, "").toLowerCase());
      if (!name) throw new RangeError(`The "${label}" encoding is not supported`);
      const o = optionsOf(options, "TextDecoder");
      this.#encoding = name;
      this.#fatal = Boolean(o.fatal);
      this.#ignoreBOM = Boolean(o.ignoreBOM);
    }
    get encoding() {
      return this.#encoding;
    }
    get fatal() {
      return this.#fatal;
    }
    get ignoreBOM() {
      return this.#ignoreBOM;
    }
    decode(input, options) {
      if (optionsOf(options, "TextDecoder.decode").stream) {
        throw new TypeError("TextDecoder: streaming (stream: true) is not supported; decode the whole payload at once");
      }
      const b = octets(input);
      const bad = () => {
        if (this.#fatal) throw new TypeError(`The encoded data was not valid for encoding ${this.#encoding}`);
        return 0xfffd;
      };
      let units;
      switch (this.#encoding) {
        case "utf-8":
          units = utf8(b, bad);
          break;
        case "utf-16le":
        case "utf-16be":
          units = utf16(b, bad, this.#encoding === "utf-16be");
          break;
        default:
          units = Array.from(b, (x) => (x >= 0x80 && x <= 0x9f ? W1252[x - 0x80] : x));
          return fromUnits(units);
      }
      // A byte order mark opening UTF text is not part of it.
      if (!this.#ignoreBOM && units[0] === 0xfeff) units.shift();
      return fromUnits(units);
    }
  }
  class TextEncoder {
    get encoding() {
      return "utf-8";
    }
    encode(input = "") {
      return Uint8Array.from(utf8Of(String(input)));
    }
    encodeInto(input, dest) {
      const s = String(input);
      let read = 0, written = 0;
      for (const ch of s) {
        const b = utf8Of(ch);
        if (written + b.length > dest.length) break;
        dest.set(b, written);
        written += b.length;
        read += ch.length;
      }
      return { read, written };
    }
  }
  // UTF-8 of a string; half of a UTF-16 pair is U+FFFD.
  const utf8Of = (s) => {
    const out = [];
    for (const ch of s) {
      let cp = ch.codePointAt(0);
      if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
      if (cp < 0x80) out.push(cp);
      else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
      else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
      else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
    }
    return out;
  };
  define("TextDecoder", TextDecoder);
  define("TextEncoder", TextEncoder);

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
