// A stand-in for the Dart `pocketbase` package (and the few other libraries the docs'
// Dart samples import), for running those samples translated to JavaScript by
// dart_js.py. Class for class and member for member it follows the Dart SDK's public
// API and semantics (named parameters, RecordModel.get<T>'s casting rules, Uri results,
// ClientException's fields, AsyncAuthStore's stored format…), as read from the SDK's
// source; requests go out through the real npm `pocketbase` SDK's transport
// (client.send, and its realtime EventSource client).
//
// Every member used on a pocketbase object is looked up in pocketbase_dart_api.json
// (the Dart SDK's API surface, extracted from its source) before it runs: a sample
// cannot use API the Dart SDK lacks, and the stand-in cannot offer any
// (test_dart_shim.py checks its classes against that file too).
//
// Stood in, not the real thing: Dart core values (String, List, Map, Future, Stream,
// Uri: the members the samples use, failing loudly on others), package:http's
// MultipartFile (fromBytes/fromString), and shared_preferences (an in-memory map with
// the plugin's method names). Numbers follow Dart on the web (2.0 is the int 2).

import { readFileSync } from "node:fs";
import JSPocketBase, { BaseAuthStore } from "pocketbase";

if (typeof globalThis.EventSource === "undefined") {
  const { EventSource } = await import("eventsource"); // Node has none; the SDK needs it
  globalThis.EventSource = EventSource;
}

const SURFACE = JSON.parse(readFileSync(new URL("./pocketbase_dart_api.json", import.meta.url)));

// --- errors and the sample location ---------------------------------------------------

let where = "";
let line = 0;

export class DartError extends Error {}

/** Dart's TypeError (a failed null check, cast or condition): prints its message. */
export class DartTypeError extends TypeError {
  toString() {
    return this.message;
  }
}

function fail(message) {
  return new DartError(message);
}

process.on("exit", (code) => {
  if (code) console.error(`FAILED in the Dart sample ${where} (line ${line})`);
});

// --- named arguments ----------------------------------------------------------------

export class Named {
  constructor(values) {
    this.values = values;
  }
}

function opts(named, defaults) {
  const given = named instanceof Named ? named.values : {};
  const out = { ...defaults };
  for (const [key, value] of Object.entries(given)) {
    if (value !== undefined) out[key] = value;
  }
  return out;
}

// --- Dart core stand-ins ----------------------------------------------------------------

export class DartObject {
  toString() {
    return `Instance of '${this.constructor.name}'`;
  }
}

/** A Dart Iterable that is not a List (`list.map(…)`, `map.keys`): prints as (a, b). */
export class Iterable extends DartObject {
  constructor(items) {
    super();
    this.items = items;
  }
  toString() {
    return `(${this.items.map(str).join(", ")})`;
  }
}

/** dart:core Uri: what the SDK returns for URLs (getURL, buildURL). */
export class Uri extends DartObject {
  constructor(text = "") {
    super();
    this._text = text;
  }
  static parse(text) {
    return new Uri(text);
  }
  static encodeComponent(text) {
    return encodeURIComponent(text);
  }
  static encodeQueryComponent(text) {
    return queryComponent(text);
  }
  get _url() {
    return new URL(this._text, this._text.startsWith("/") ? "http://relative" : undefined);
  }
  get scheme() {
    return this._text.includes("://") ? this._url.protocol.replace(/:$/, "") : "";
  }
  get host() {
    return this._text.includes("://") ? this._url.hostname : "";
  }
  get port() {
    const url = this._url;
    return Number(url.port || (url.protocol === "https:" ? 443 : 80));
  }
  get path() {
    return this._text ? this._url.pathname : "";
  }
  get query() {
    return this._text ? this._url.search.replace(/^\?/, "") : "";
  }
  get queryParameters() {
    const out = {};
    if (this._text) for (const [k, v] of this._url.searchParams) out[k] = v;
    return out;
  }
  toString() {
    return this._text;
  }
}

/** Dart's Uri query encoding: unreserved characters kept, space as +. */
function queryComponent(text) {
  return encodeURIComponent(text)
    .replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase())
    .replace(/%20/g, "+");
}

/** dart:async Stream (a broadcast one, as AuthStore.onChange is). */
export class Stream extends DartObject {
  constructor() {
    super();
    this._listeners = new Set();
  }
  listen(onData, named) {
    const o = opts(named, { onError: null, onDone: null, cancelOnError: false });
    const entry = { onData };
    this._listeners.add(entry);
    void o;
    return new StreamSubscription(() => this._listeners.delete(entry));
  }
  _add(event) {
    for (const entry of [...this._listeners]) {
      // a broadcast StreamController delivers each event in a later microtask
      track(Promise.resolve().then(() => entry.onData(event)));
    }
  }
}

export class StreamSubscription extends DartObject {
  constructor(cancel) {
    super();
    this._cancel = cancel;
  }
  async cancel() {
    this._cancel();
  }
}

const pending = new Set(); // async work the samples started without awaiting it

function track(promise) {
  const tracked = promise.finally(() => pending.delete(tracked));
  pending.add(tracked);
  return tracked;
}

function isMap(value) {
  if (value === null || typeof value !== "object") return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null || value instanceof Map;
}

function isList(value) {
  return Array.isArray(value) || value instanceof Uint8Array;
}

function entriesOf(map) {
  return map instanceof Map ? [...map.entries()] : Object.entries(map);
}

/** Dart's toString(): what print and string interpolation show. */
export function str(value) {
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (isList(value)) return `[${[...value].map(str).join(", ")}]`;
  if (isMap(value)) return `{${entriesOf(value).map(([k, v]) => `${str(k)}: ${str(v)}`).join(", ")}}`;
  if (value instanceof DartObject || value instanceof Error) return value.toString();
  if (typeof value === "function") return "Closure: () => dynamic";
  if (value instanceof Promise) return "Instance of 'Future<dynamic>'";
  return String(value);
}

/** dart:convert jsonEncode: objects with toJson() are encoded through it. */
export function jsonEncode(value) {
  return JSON.stringify(value, function (_key, v) {
    if (v instanceof DartObject && typeof v.toJson === "function") return v.toJson();
    if (v instanceof Map) return Object.fromEntries(v);
    return v;
  });
}

export function jsonDecode(text) {
  return JSON.parse(text);
}

function typeName(value) {
  if (value === null || value === undefined) return "Null";
  if (typeof value === "string") return "String";
  if (typeof value === "number") return Number.isInteger(value) ? "int" : "double";
  if (typeof value === "boolean") return "bool";
  if (isList(value)) return "List<dynamic>";
  if (isMap(value)) return "_Map<String, dynamic>";
  if (typeof value === "function") return "Function";
  return value.constructor?.name ?? "Object";
}

const CORE_TYPES = {
  String: (v) => typeof v === "string",
  int: (v) => Number.isInteger(v),
  double: (v) => typeof v === "number",
  num: (v) => typeof v === "number",
  bool: (v) => typeof v === "boolean",
  Function: (v) => typeof v === "function",
  Object: () => true,
  dynamic: () => true,
  Null: () => false,
  Exception: (v) => v instanceof DartException,
  Error: (v) => v instanceof Error && !(v instanceof DartException),
  Iterable: (v) => isList(v) || v instanceof Iterable,
};

function isType(value, type) {
  type = type.trim();
  const nullable = type.endsWith("?");
  const base = nullable ? type.slice(0, -1) : type;
  if (value === null || value === undefined) return nullable || base === "dynamic" || base === "Null";
  const generic = base.indexOf("<");
  const name = generic < 0 ? base : base.slice(0, generic);
  if (name === "List") return isList(value) && listOf(value, base);
  if (name === "Map") return isMap(value);
  if (name === "Future") return value instanceof Promise;
  if (CORE_TYPES[name]) return CORE_TYPES[name](value);
  const cls = CLASSES.get(name);
  if (cls) return value instanceof cls;
  throw fail(`the stand-in cannot test a value against the type ${type}`);
}

function listOf(list, type) {
  const inner = type.slice(type.indexOf("<") + 1, -1).trim();
  if (!inner || inner === "dynamic") return true;
  return [...list].every((item) => isType(item, inner));
}

// the members of Dart core values the samples may use: getters, then methods
const CORE_GETTERS = {
  String: {
    length: (s) => s.length,
    isEmpty: (s) => s.length === 0,
    isNotEmpty: (s) => s.length > 0,
  },
  num: {
    isNegative: (n) => n < 0,
    isNaN: (n) => Number.isNaN(n),
  },
  List: {
    length: (l) => l.length,
    isEmpty: (l) => l.length === 0,
    isNotEmpty: (l) => l.length > 0,
    first: (l) => (l.length ? l[0] : raise(new StateError("No element"))),
    last: (l) => (l.length ? l[l.length - 1] : raise(new StateError("No element"))),
    single: (l) => (l.length === 1 ? l[0] : raise(new StateError(l.length ? "Too many elements" : "No element"))),
    reversed: (l) => new Iterable([...l].reverse()),
  },
  Map: {
    length: (m) => entriesOf(m).length,
    isEmpty: (m) => entriesOf(m).length === 0,
    isNotEmpty: (m) => entriesOf(m).length > 0,
    keys: (m) => new Iterable(entriesOf(m).map(([k]) => k)),
    values: (m) => new Iterable(entriesOf(m).map(([, v]) => v)),
  },
};

const LIST_METHODS = {
  add: (l, v) => void l.push(v),
  addAll: (l, vs) => void l.push(...iter(vs)),
  remove: (l, v) => {
    const i = l.indexOf(v);
    if (i >= 0) l.splice(i, 1);
    return i >= 0;
  },
  removeAt: (l, i) => l.splice(i, 1)[0],
  insert: (l, i, v) => void l.splice(i, 0, v),
  clear: (l) => void l.splice(0, l.length),
  contains: (l, v) => l.some((x) => eq(x, v)),
  indexOf: (l, v) => l.findIndex((x) => eq(x, v)),
  join: (l, sep = "") => l.map(str).join(sep),
  map: (l, f) => new Iterable(l.map((x) => f(x))),
  where: (l, f) => new Iterable(l.filter((x) => bool(f(x)))),
  expand: (l, f) => new Iterable(l.flatMap((x) => iter(f(x)))),
  forEach: (l, f) => void l.forEach((x) => f(x)),
  toList: (l) => [...l],
  any: (l, f) => l.some((x) => bool(f(x))),
  every: (l, f) => l.every((x) => bool(f(x))),
  firstWhere: (l, f, named) => {
    const found = l.find((x) => bool(f(x)));
    if (found !== undefined) return found;
    const { orElse } = opts(named, { orElse: null });
    if (orElse) return orElse();
    throw new StateError("No element");
  },
  fold: (l, init, f) => l.reduce((acc, x) => f(acc, x), init),
  reduce: (l, f) => (l.length ? l.reduce((acc, x) => f(acc, x)) : raise(new StateError("No element"))),
  sublist: (l, start, end = null) => l.slice(start, end ?? l.length),
  take: (l, n) => new Iterable(l.slice(0, n)),
  skip: (l, n) => new Iterable(l.slice(n)),
  sort: (l, cmp = null) => void l.sort(cmp ?? ((a, b) => (a < b ? -1 : a > b ? 1 : 0))),
  cast: (l) => l,
  toString: (l) => str(l),
};

const STRING_METHODS = {
  contains: (s, x) => s.includes(x),
  startsWith: (s, x) => s.startsWith(x),
  endsWith: (s, x) => s.endsWith(x),
  toUpperCase: (s) => s.toUpperCase(),
  toLowerCase: (s) => s.toLowerCase(),
  trim: (s) => s.trim(),
  split: (s, sep) => s.split(sep),
  substring: (s, a, b = null) => s.substring(a, b ?? s.length),
  replaceAll: (s, a, b) => s.split(a).join(b),
  indexOf: (s, x) => s.indexOf(x),
  padLeft: (s, n, pad = " ") => s.padStart(n, pad),
  codeUnitAt: (s, i) => s.charCodeAt(i),
  toString: (s) => s,
};

const NUM_METHODS = {
  toString: (n) => String(n),
  toStringAsFixed: (n, d) => n.toFixed(d),
  toInt: (n) => Math.trunc(n),
  toDouble: (n) => n,
  round: (n) => Math.round(n),
  floor: (n) => Math.floor(n),
  ceil: (n) => Math.ceil(n),
  abs: (n) => Math.abs(n),
  compareTo: (a, b) => (a < b ? -1 : a > b ? 1 : 0),
  clamp: (n, lo, hi) => Math.min(Math.max(n, lo), hi),
};

const MAP_METHODS = {
  containsKey: (m, k) => (m instanceof Map ? m.has(k) : Object.hasOwn(m, k)),
  containsValue: (m, v) => entriesOf(m).some(([, x]) => eq(x, v)),
  remove: (m, k) => {
    const v = index(m, k);
    if (m instanceof Map) m.delete(k);
    else delete m[k];
    return v;
  },
  forEach: (m, f) => entriesOf(m).forEach(([k, v]) => f(k, v)),
  putIfAbsent: (m, k, f) => {
    if (!MAP_METHODS.containsKey(m, k)) setIndex(m, k, f());
    return index(m, k);
  },
  addAll: (m, other) => entriesOf(other).forEach(([k, v]) => setIndex(m, k, v)),
  toString: (m) => str(m),
};

const ITERABLE_METHODS = Object.fromEntries(
  Object.entries(LIST_METHODS)
    .filter(([name]) => !["add", "addAll", "remove", "removeAt", "insert", "clear", "sort", "sublist"].includes(name))
    .map(([name, fn]) => [name, (it, ...args) => fn(it.items, ...args)]),
);

function raise(error) {
  throw error;
}

export class StateError extends Error {
  toString() {
    return `Bad state: ${this.message}`;
  }
}

function coreKind(value) {
  if (typeof value === "string") return "String";
  if (typeof value === "number") return "num";
  if (typeof value === "boolean") return "bool";
  if (isList(value)) return "List";
  if (isMap(value)) return "Map";
  return null;
}

// --- the runtime the translated samples call ($d.…) ----------------------------------------

class Library {
  constructor(name, members) {
    this.name = name;
    this.members = members;
  }
}

function nullError(name) {
  return new DartTypeError(`Null check: the value is null (member '${name}' used on null)`);
}

/** The Dart SDK surface's member of a pocketbase class (inherited ones too), or null. */
export function surfaceMember(className, member) {
  let name = className;
  while (name && SURFACE.classes[name]) {
    const cls = SURFACE.classes[name];
    if (Object.hasOwn(cls.members, member)) return cls.members[member];
    name = (cls.super || "").split("<")[0];
  }
  return null;
}

function dartClassOf(value) {
  if (value instanceof DartObject) return value.constructor;
  return null;
}

function checkMember(cls, name, isStatic) {
  const dartName = cls.name;
  if (!SURFACE.classes[dartName]) return; // not a pocketbase class: a core/other stand-in
  const factory = isStatic && SURFACE.classes[dartName].constructors?.[name];
  const member = factory ? { kind: "method", ...factory } : surfaceMember(dartName, name);
  if (!member) throw fail(`the pocketbase Dart SDK has no member '${name}' on ${dartName}`);
  const present = isStatic ? Object.hasOwn(cls, name) : name in cls.prototype || hasField(cls, name);
  if (!present) throw fail(`the Dart SDK stand-in does not implement ${dartName}.${name}`);
  return member;
}

function checkArgs(what, signature, positional, named) {
  if (!signature || signature.kind !== "method") return;
  const [low, high] = signature.positional;
  if (positional.length < low || positional.length > high) {
    throw fail(`${what} takes ${low}–${high} positional arguments, not ${positional.length}`);
  }
  for (const key of Object.keys(named ?? {})) {
    if (!signature.named.includes(key)) throw fail(`${what} has no named parameter '${key}'`);
  }
}

function hasField(cls, name) {
  for (let c = cls; c && c !== DartObject; c = Object.getPrototypeOf(c)) {
    if (SHIM_FIELDS.get(c)?.has(name)) return true;
  }
  return false;
}

/** Positional arguments, then the named ones as the callee's last parameter. */
function argList(fnLength, positional, named, high) {
  const args = [...positional];
  if (named && Object.keys(named).length) {
    while (args.length < (high ?? fnLength - 1)) args.push(undefined);
    args.push(new Named(named));
  }
  return args;
}

function isClass(fn) {
  return typeof fn === "function" && /^class\b/.test(Function.prototype.toString.call(fn));
}

export function get(target, name) {
  if (target === null || target === undefined) throw nullError(name);
  if (target instanceof Library) {
    if (!Object.hasOwn(target.members, name)) throw fail(`${target.name} has no (stood-in) member ${name}`);
    return target.members[name];
  }
  if (isClass(target)) {
    checkMember(target, name, true);
    if (!Object.hasOwn(target, name)) throw fail(`the stand-in's ${target.name} has no static ${name}`);
    return target[name];
  }
  if (target instanceof Iterable) {
    if (Object.hasOwn(ITERABLE_GETTERS, name)) return ITERABLE_GETTERS[name](target);
    throw fail(`the stand-in's Dart Iterable has no member '${name}'`);
  }
  const cls = dartClassOf(target);
  if (cls) {
    checkMember(cls, name, false);
    if (!(name in target)) throw fail(`the stand-in's ${cls.name} has no member ${name}`);
    const value = target[name];
    return typeof value === "function" && !hasField(cls, name) ? value.bind(target) : value;
  }
  const kind = coreKind(target);
  const getter = kind && CORE_GETTERS[kind]?.[name];
  if (getter) return getter(target);
  throw fail(`the stand-in's Dart ${typeName(target)} has no member '${name}'`);
}

const ITERABLE_GETTERS = {
  length: (it) => it.items.length,
  isEmpty: (it) => it.items.length === 0,
  isNotEmpty: (it) => it.items.length > 0,
  first: (it) => CORE_GETTERS.List.first(it.items),
  last: (it) => CORE_GETTERS.List.last(it.items),
};

export function getq(target, name) {
  return target === null || target === undefined ? null : get(target, name);
}

export function set(target, name, value) {
  if (target === null || target === undefined) throw nullError(name);
  const cls = dartClassOf(target);
  if (!cls) throw fail(`the stand-in cannot set '${name}' on a ${typeName(target)}`);
  checkMember(cls, name, false);
  target[name] = value;
  return value;
}

export function call(target, name, types, positional, named) {
  if (target === null || target === undefined) throw nullError(name);
  if (target instanceof Library) return invoke(get(target, name), types, positional, named);
  if (isClass(target)) {
    const signature = checkMember(target, name, true);
    checkArgs(`${target.name}.${name}`, signature, positional, named);
    const fn = target[name];
    if (typeof fn !== "function") throw fail(`${target.name}.${name} is not a method`);
    const generic = target.GENERIC?.includes(name) ? [types] : [];
    return fn.call(target, ...generic, ...argList(fn.length, positional, named, signature?.positional?.[1]));
  }
  const cls = dartClassOf(target);
  if (cls && !(target instanceof Iterable)) {
    const signature = checkMember(cls, name, false);
    if (signature && signature.kind !== "method") {
      return invoke(get(target, name), types, positional, named); // a field holding a function
    }
    checkArgs(`${cls.name}.${name}`, signature, positional, named);
    const fn = target[name];
    if (typeof fn !== "function") throw fail(`the stand-in's ${cls.name}.${name} is not a method`);
    const generic = cls.GENERIC?.includes(name) ? [types] : [];
    return fn.call(target, ...generic, ...argList(fn.length, positional, named, signature?.positional?.[1]));
  }
  const table =
    target instanceof Iterable
      ? ITERABLE_METHODS
      : { String: STRING_METHODS, num: NUM_METHODS, List: LIST_METHODS, Map: MAP_METHODS, bool: { toString: String } }[
          coreKind(target)
        ];
  if (table && Object.hasOwn(table, name)) {
    return table[name](target, ...positional, ...(named ? [new Named(named)] : []));
  }
  if (target instanceof Promise && name === "then") return target.then(positional[0]);
  if (typeof target === "function" && name === "call") return invoke(target, types, positional, named);
  throw fail(`the stand-in's Dart ${typeName(target)} has no method '${name}'`);
}

export function callq(target, name, types, positional, named) {
  return target === null || target === undefined ? null : call(target, name, types, positional, named);
}

export function invoke(fn, types, positional, named) {
  if (fn === null || fn === undefined) throw nullError("call");
  if (isClass(fn)) {
    const sdk = SURFACE.classes[fn.name];
    if (!sdk) return new fn(...argList(fn.length, positional, named)); // not a pocketbase class
    // a class that declares no constructor has the implicit one, without parameters
    const ctor = Object.keys(sdk.constructors).length ? sdk.constructors[""] : { positional: [0, 0], named: [] };
    if (!ctor) throw fail(`${fn.name} has no unnamed constructor in the Dart SDK`);
    checkArgs(`${fn.name}()`, { kind: "method", ...ctor }, positional, named);
    return new fn(...argList(fn.length, positional, named, ctor.positional[1]));
  }
  if (typeof fn !== "function") throw fail(`a ${typeName(fn)} is not callable`);
  return fn(...argList(fn.length, positional, named));
}

/** A named parameter of a translated Dart function. */
export function arg(named, key, fallback, required) {
  if (named instanceof Named && Object.hasOwn(named.values, key)) return named.values[key];
  if (required) throw fail(`the required named parameter '${key}' is missing`);
  return fallback;
}

export function index(target, key) {
  if (target === null || target === undefined) throw nullError("[]");
  if (isList(target)) {
    if (!Number.isInteger(key) || key < 0 || key >= target.length) throw new RangeError(`index ${key} out of range`);
    return target[key];
  }
  if (target instanceof Map) return target.has(key) ? target.get(key) : null;
  if (isMap(target)) return Object.hasOwn(target, key) ? target[key] : null;
  if (typeof target === "string") return target[key];
  throw fail(`the stand-in's Dart ${typeName(target)} has no operator []`);
}

export function setIndex(target, key, value) {
  if (target instanceof Map) target.set(key, value);
  else if (isMap(target) || isList(target)) target[key] = value;
  else throw fail(`the stand-in's Dart ${typeName(target)} has no operator []=`);
  return value;
}

export function eq(a, b) {
  a = a ?? null;
  b = b ?? null;
  if (a instanceof Uri && b instanceof Uri) return a.toString() === b.toString();
  return a === b;
}

export function op(operator, a, b) {
  if (a === null || a === undefined) throw nullError(operator);
  switch (operator) {
    case "+":
      if (typeof a === "string" && typeof b !== "string") throw new DartTypeError(`String + ${typeName(b)}`);
      if (isList(a)) return [...a, ...b];
      return a + b;
    case "-":
      return a - b;
    case "*":
      return a * b;
    case "/":
      return a / b;
    case "~/":
      return Math.trunc(a / b);
    case "%":
      return ((a % b) + b) % b;
    case "<":
      return a < b;
    case ">":
      return a > b;
    case "<=":
      return a <= b;
    case ">=":
      return a >= b;
  }
  throw fail(`the stand-in has no operator ${operator}`);
}

export function bool(value) {
  if (typeof value !== "boolean") throw new DartTypeError(`type '${typeName(value)}' is not a subtype of type 'bool'`);
  return value;
}

export function nn(value) {
  if (value === null || value === undefined) throw new DartTypeError("Null check operator used on a null value");
  return value;
}

export function iter(value) {
  if (isList(value)) return value;
  if (value instanceof Iterable) return value.items;
  throw new DartTypeError(`type '${typeName(value)}' is not a subtype of type 'Iterable<dynamic>'`);
}

export const $d = {
  get,
  getq,
  set,
  call,
  callq,
  invoke,
  arg,
  index,
  setIndex,
  eq,
  op,
  bool,
  nn,
  iter,
  str,
  DartObject,
  is: (value, type) => isType(value, type),
  as(value, type) {
    if (!isType(value, type)) throw new DartTypeError(`type '${typeName(value)}' is not a subtype of type '${type}' in type cast`);
    return value;
  },
  throw_(value) {
    throw value;
  },
  stack: (error) => error?.stack ?? "",
  list: (items) => items,
  map(entries) {
    return entries.every(([k]) => typeof k === "string") ? Object.fromEntries(entries) : new Map(entries);
  },
  block(location) {
    where = location;
  },
  at(number) {
    line = number;
  },
  library(name) {
    if (!LIBRARIES[name]) throw fail(`the stand-in has no library ${name}`);
    return new Library(name, LIBRARIES[name]);
  },
  resolve(libraries, names) {
    const out = {};
    for (const name of names) {
      const lib = libraries.find((l) => Object.hasOwn(LIBRARIES[l] ?? {}, name));
      if (!lib) throw fail(`${name} is in none of the (stood-in) libraries ${libraries.join(", ")}`);
      out[name] = LIBRARIES[lib][name];
    }
    return out;
  },
  /** Wait for what the samples left running (auth store saves, events), then close. */
  async done() {
    while (pending.size) await Promise.allSettled([...pending]);
    for (const client of CLIENTS) client._js.realtime.unsubscribe().catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 50));
    console.log("all Dart samples ran");
    process.exit(0);
  },
};

// --- package:pocketbase ----------------------------------------------------------------

const SHIM_FIELDS = new Map(); // class → its Dart fields (plain properties, not methods)

function fields(cls, names) {
  SHIM_FIELDS.set(cls, new Set(names));
}

export class DartException extends DartObject {}

export class ClientException extends DartException {
  constructor(named) {
    super();
    const o = opts(named, { url: null, isAbort: false, statusCode: 0, response: {}, originalError: null });
    this.url = o.url;
    this.isAbort = o.isAbort;
    this.statusCode = o.statusCode;
    this.response = o.response;
    this.originalError = o.originalError;
  }
  toString() {
    const data = {
      url: this.url,
      isAbort: this.isAbort,
      statusCode: this.statusCode,
      response: this.response,
      originalError: this.originalError,
    };
    return `ClientException: ${str(data)}`;
  }
}
fields(ClientException, ["url", "isAbort", "statusCode", "response", "originalError"]);


// RecordModel.get<T>'s casting rules (the SDK's caster.dart)
function toStr(raw) {
  return raw === null || raw === undefined ? "" : str(raw);
}
function toBool(raw) {
  if (raw === null || raw === undefined) return false;
  if (typeof raw === "boolean") return raw;
  if (typeof raw === "number") return raw !== 0;
  if (typeof raw === "string") return !["", "false", "0"].includes(raw.toLowerCase());
  if (isList(raw)) return raw.length > 0;
  if (isMap(raw)) return entriesOf(raw).length > 0;
  return false;
}
function toInt(raw) {
  if (raw === null || raw === undefined) return 0;
  if (typeof raw === "number") return Math.trunc(raw);
  if (typeof raw === "string") {
    const text = raw.trim();
    if (/^[+-]?\d+$/.test(text)) return Number.parseInt(text, 10);
    if (/^[+-]?0x[0-9a-f]+$/i.test(text)) return Number(text.replace(/^([+-]?)0x/i, "$10x")) || 0;
    return 0;
  }
  if (typeof raw === "boolean") return raw ? 1 : 0;
  if (isList(raw)) return raw.length;
  if (isMap(raw)) return entriesOf(raw).length;
  return 0;
}
function toDouble(raw) {
  if (raw === null || raw === undefined) return 0;
  if (typeof raw === "number") return raw;
  if (typeof raw === "string") {
    const text = raw.trim();
    if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text)) return Number(text);
    if (/^[+-]?(Infinity|NaN)$/.test(text)) return Number(text);
    return 0;
  }
  return toInt(raw); // bool, List, Map: the same rules as int
}
function toRecordModel(raw) {
  if (raw instanceof RecordModel) return raw;
  if (isMap(raw)) return RecordModel.fromJson(raw);
  return new RecordModel();
}
function toList(type, raw) {
  if (raw === null || raw === undefined) return [];
  if (isList(raw)) return [...raw].map((item) => cast(type, item));
  const casted = cast(type, raw);
  return casted === null || casted === undefined ? [] : [casted];
}

const CASTS = {
  String: toStr,
  bool: toBool,
  int: toInt,
  num: toDouble,
  double: toDouble,
  RecordModel: toRecordModel,
};

export function cast(type, raw) {
  type = (type ?? "dynamic").replace(/\s+/g, "");
  if (CASTS[type]) return CASTS[type](raw);
  const list = /^List<(\w+)\??>$/.exec(type);
  if (type === "List<dynamic>" || type === "List") return toList("dynamic", raw);
  if (list && CASTS[list[1]]) return toList(list[1], raw);
  if (type === "dynamic" || type === "Object?") return raw ?? null;
  // default: a value of the type as it is; then the nullable forms convert
  if (isType(raw, type)) return raw ?? null;
  if (type.endsWith("?")) {
    const base = type.slice(0, -1);
    if (CASTS[base]) return CASTS[base](raw);
    const inner = /^List<(\w+)>$/.exec(base);
    if (base === "List<dynamic>") return toList("dynamic", raw);
    if (inner && CASTS[inner[1]]) return toList(inner[1], raw);
  }
  throw new StateError("Invalid or unknown type value");
}

function extract(data, path, fallback) {
  let result = data;
  for (const part of path.split(".")) {
    if (isList(result)) result = Object.fromEntries([...result].map((v, i) => [String(i), v]));
    if (!isMap(result) || !MAP_METHODS.containsKey(result, part)) return fallback ?? null;
    result = index(result, part);
  }
  return result;
}

export class RecordModel extends DartObject {
  static GENERIC = ["get", "getDataValue", "getListValue"];

  constructor(data = null) {
    super();
    this.data = data ?? {};
    this.expand = {};
  }
  static fromJson(json) {
    const model = new RecordModel(json);
    for (const [key, value] of Object.entries(json.expand ?? {})) {
      if (isList(value)) model.expand[key] = value.map((item) => RecordModel.fromJson(item ?? {}));
      else if (isMap(value)) model.expand[key] = [RecordModel.fromJson(value)];
    }
    return model;
  }
  get id() {
    return this.get(["String"], "id", "");
  }
  set id(value) {
    this.data.id = value;
  }
  get collectionId() {
    return this.get(["String"], "collectionId");
  }
  get collectionName() {
    return this.get(["String"], "collectionName");
  }
  get created() {
    return this.get(["String"], "created");
  }
  get updated() {
    return this.get(["String"], "updated");
  }
  toJson() {
    return { ...this.data };
  }
  toString() {
    return jsonEncode(this.data);
  }
  get(types, path, fallback = null) {
    return cast(types?.[0], extract(this.data, path, fallback));
  }
  set(name, value) {
    this.data[name] = value;
  }
  getDataValue(types, path, fallback = null) {
    return this.get(types, path, fallback);
  }
  getStringValue(path, fallback = null) {
    return this.get(["String"], path, fallback);
  }
  getListValue(types, path, fallback = null) {
    return this.get([`List<${types?.[0] ?? "dynamic"}>`], path, fallback);
  }
  getBoolValue(path, fallback = null) {
    return this.get(["bool"], path, fallback);
  }
  getIntValue(path, fallback = null) {
    return this.get(["int"], path, fallback);
  }
  getDoubleValue(path, fallback = null) {
    return this.get(["double"], path, fallback);
  }
}
fields(RecordModel, ["data", "expand"]);

export class ResultList extends DartObject {
  constructor(named) {
    super();
    const o = opts(named, { page: 0, perPage: 0, totalItems: 0, totalPages: 0, items: [] });
    Object.assign(this, o);
  }
  static fromJson(json, itemFactory) {
    return new ResultList(
      new Named({
        page: json.page ?? 0,
        perPage: json.perPage ?? 0,
        totalItems: json.totalItems ?? 0,
        totalPages: json.totalPages ?? 0,
        items: (json.items ?? []).map((item) => itemFactory(item)),
      }),
    );
  }
  toJson() {
    const { page, perPage, totalItems, totalPages } = this;
    return { page, perPage, totalItems, totalPages, items: this.items.map((i) => i.toJson()) };
  }
  toString() {
    return jsonEncode(this.toJson());
  }
}
fields(ResultList, ["page", "perPage", "totalItems", "totalPages", "items"]);

export class RecordAuth extends DartObject {
  constructor(named) {
    super();
    const o = opts(named, { token: "", meta: {}, record: null });
    this.token = o.token;
    this.meta = o.meta;
    this.record = o.record ?? new RecordModel();
  }
  static fromJson(json) {
    return new RecordAuth(
      new Named({ token: json.token ?? "", meta: json.meta ?? {}, record: RecordModel.fromJson(json.record ?? {}) }),
    );
  }
  toJson() {
    return { token: this.token, record: this.record.toJson(), meta: this.meta };
  }
  toString() {
    return jsonEncode(this.toJson());
  }
}
fields(RecordAuth, ["token", "record", "meta"]);

export class OTPResponse extends DartObject {
  constructor(named) {
    super();
    this.otpId = opts(named, { otpId: "" }).otpId;
  }
  static fromJson(json) {
    return new OTPResponse(new Named({ otpId: json.otpId ?? "" }));
  }
  toJson() {
    return { otpId: this.otpId };
  }
  toString() {
    return jsonEncode(this.toJson());
  }
}
fields(OTPResponse, ["otpId"]);

export class BatchResult extends DartObject {
  constructor(named) {
    super();
    const o = opts(named, { status: 0, body: null });
    this.status = o.status;
    this.body = o.body;
  }
  static fromJson(json) {
    return new BatchResult(new Named({ status: json.status ?? 0, body: json.body ?? null }));
  }
  toJson() {
    return { status: this.status, body: this.body };
  }
  toString() {
    return jsonEncode(this.toJson());
  }
}
fields(BatchResult, ["status", "body"]);

export class RecordSubscriptionEvent extends DartObject {
  constructor(named) {
    super();
    const o = opts(named, { action: "", record: null });
    this.action = o.action;
    this.record = o.record;
  }
  static fromJson(json) {
    return new RecordSubscriptionEvent(
      new Named({ action: json.action ?? "", record: json.record ? RecordModel.fromJson(json.record) : null }),
    );
  }
  toJson() {
    return { action: this.action, record: this.record?.toJson() ?? null };
  }
  toString() {
    return jsonEncode(this.toJson());
  }
}
fields(RecordSubscriptionEvent, ["action", "record"]);

export class SseMessage extends DartObject {
  constructor(named) {
    super();
    Object.assign(this, opts(named, { id: "", event: "message", data: "", retry: 0 }));
  }
  jsonData() {
    if (!this.data) return {};
    try {
      const decoded = JSON.parse(this.data);
      return isMap(decoded) ? decoded : { data: decoded };
    } catch {
      return { data: this.data };
    }
  }
  toJson() {
    return { id: this.id, event: this.event, data: this.data, retry: this.retry };
  }
  toString() {
    return jsonEncode(this.toJson());
  }
}
fields(SseMessage, ["id", "event", "data", "retry"]);

export class AuthStoreEvent extends DartObject {
  constructor(token, record) {
    super();
    this.token = token;
    this.record = record;
  }
  get model() {
    return this.record;
  }
  toString() {
    return `token: ${this.token}\nrecord: ${str(this.record)}`;
  }
}
fields(AuthStoreEvent, ["token", "record"]);

export class AuthStore extends DartObject {
  constructor() {
    super();
    this._token = "";
    this._record = null;
    this._onChange = new Stream();
  }
  get token() {
    return this._token;
  }
  get record() {
    return this._record;
  }
  get model() {
    return this._record;
  }
  get onChange() {
    return this._onChange;
  }
  get isValid() {
    const parts = this._token.split(".");
    if (parts.length !== 3) return false;
    const payload = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
    const exp = typeof payload.exp === "number" ? payload.exp : Number.parseInt(String(payload.exp), 10) || 0;
    return exp > Date.now() / 1000;
  }
  save(newToken, newRecord) {
    this._token = newToken;
    this._record = newRecord;
    this._onChange._add(new AuthStoreEvent(this._token, newRecord));
  }
  clear() {
    this._token = "";
    this._record = null;
    this._onChange._add(new AuthStoreEvent(this._token, this._record));
  }
}

export class AsyncAuthStore extends AuthStore {
  constructor(named) {
    super();
    const o = opts(named, { save: null, initial: null, clear: null });
    if (typeof o.save !== "function") throw fail("AsyncAuthStore: the required named parameter 'save' is missing");
    this.saveFunc = o.save;
    this.clearFunc = o.clear;
    this._operations = [];
    this._loadInitial(o.initial);
  }
  // the SDK's SyncQueue: an operation starts at once when none is running, else in turn
  _enqueue(operation) {
    this._operations.push(operation);
    if (this._operations.length === 1) this._dequeue();
  }
  _dequeue() {
    if (!this._operations.length) return;
    track(
      Promise.resolve(this._operations[0]()).finally(() => {
        this._operations.shift();
        this._dequeue();
      }),
    );
  }
  save(newToken, newRecord) {
    super.save(newToken, newRecord);
    const encoded = jsonEncode({ token: this.token, model: this.record });
    this._enqueue(() => this.saveFunc(encoded));
  }
  clear() {
    super.clear();
    if (this.clearFunc === null || this.clearFunc === undefined) this._enqueue(() => this.saveFunc(""));
    else this._enqueue(() => this.clearFunc());
  }
  _loadInitial(initial) {
    if (initial === null || initial === undefined || initial === "") return;
    let decoded = {};
    try {
      const raw = JSON.parse(initial);
      if (isMap(raw)) decoded = raw;
    } catch {
      return;
    }
    const token = typeof decoded.token === "string" ? decoded.token : "";
    this.save(token, RecordModel.fromJson(isMap(decoded.model) ? decoded.model : {}));
  }
}
fields(AsyncAuthStore, ["saveFunc", "clearFunc"]);

/** The npm SDK's view of a Dart AuthStore (it sends the token; Dart only a valid one). */
class BridgeStore extends BaseAuthStore {
  constructor(dart) {
    super();
    this.dart = dart;
  }
  get token() {
    return this.dart.isValid ? this.dart.token : "";
  }
  get record() {
    return this.dart.record ? this.dart.record.data : null;
  }
  get isValid() {
    return this.dart.isValid;
  }
  save() {} // the Dart services save through the Dart store themselves
  clear() {}
}

const CLIENTS = [];

function normalizeQuery(query) {
  const out = {};
  for (const [key, value] of entriesOf(query ?? {})) {
    const values = (isList(value) ? [...value] : value instanceof Iterable ? value.items : [value])
      .filter((v) => v !== null && v !== undefined)
      .map(str);
    if (values.length) out[key] = values;
  }
  return out;
}

function enrich(query, extra) {
  const out = { ...(query ?? {}) };
  for (const [key, value] of Object.entries(extra)) {
    if (out[key] === null || out[key] === undefined) out[key] = value; // Dart's ??=
  }
  return out;
}

export class PocketBase extends DartObject {
  static GENERIC = ["send"];

  constructor(baseURL, named) {
    super();
    const o = opts(named, { lang: "en-US", authStore: null, reuseHTTPClient: false, httpClientFactory: null });
    if (o.httpClientFactory !== null) throw fail("PocketBase(httpClientFactory:) needs a Dart http.Client: not stood in");
    this.baseURL = baseURL;
    this.lang = o.lang;
    this.authStore = o.authStore ?? new AuthStore();
    this._js = new JSPocketBase(baseURL, new BridgeStore(this.authStore), this.lang);
    this._js.autoCancellation(false); // the Dart SDK cancels nothing by itself
    this._records = new Map();
    this._closed = false;
    this.files = new FileService(this);
    this.realtime = new RealtimeService(this);
    CLIENTS.push(this);
  }
  get baseUrl() {
    return this.baseURL;
  }
  collection(collectionIdOrName) {
    if (!this._records.has(collectionIdOrName)) {
      this._records.set(collectionIdOrName, new RecordService(this, collectionIdOrName));
    }
    return this._records.get(collectionIdOrName);
  }
  close() {
    this._closed = true;
  }
  filter(expr, query = {}) {
    if (!entriesOf(query).length) return expr;
    for (let [key, value] of entriesOf(query)) {
      if (value === null || value === undefined || typeof value === "number" || typeof value === "boolean") {
        value = str(value);
      } else if (value instanceof Date) {
        value = JSON.stringify(value.toISOString().replace("T", " "));
      } else if (typeof value === "string") {
        value = JSON.stringify(value);
      } else {
        const text = jsonEncode(value);
        value = text.startsWith("[") || text.startsWith("{") ? JSON.stringify(text) : text;
      }
      expr = expr.split(`{:${key}}`).join(value);
    }
    return expr;
  }
  buildURL(path, queryParameters = {}) {
    let url = this.baseURL + (this.baseURL.endsWith("/") ? "" : "/");
    if (path) url += path.startsWith("/") ? path.slice(1) : path;
    const query = normalizeQuery(queryParameters);
    const encoded = Object.entries(query)
      .flatMap(([key, values]) => values.map((v) => `${queryComponent(key)}=${queryComponent(v)}`))
      .join("&");
    return new Uri(encoded ? `${url.split("?")[0]}?${encoded}` : url);
  }
  buildUrl(path, queryParameters = {}) {
    return this.buildURL(path, queryParameters);
  }
  getFileUrl(record, filename, named) {
    return this.files.getURL(record, filename, named);
  }
  createBatch() {
    return new BatchService(this);
  }
  async send(_types, path, named) {
    const o = opts(named, { method: "GET", headers: {}, query: {}, body: {}, files: [] });
    const url = this.buildURL(path, o.query);
    if (this._closed) throw new ClientException(new Named({ url, originalError: new StateError("Client is closed") }));
    let body;
    if (o.files.length) {
      body = new FormData();
      body.append("@jsonPayload", jsonEncode(o.body));
      for (const file of o.files) body.append(file.field, file._blob(), file.filename ?? undefined);
    } else if (entriesOf(o.body).length) {
      body = JSON.parse(jsonEncode(o.body));
    }
    try {
      return await this._js.send(path, {
        method: o.method,
        headers: { ...o.headers },
        query: normalizeQuery(o.query),
        body,
        requestKey: null,
      });
    } catch (error) {
      throw new ClientException(
        new Named({
          url: error?.url ? new Uri(error.url) : url,
          statusCode: error?.status ?? 0,
          response: isMap(error?.response) ? error.response : {},
          isAbort: Boolean(error?.isAbort),
          originalError: error?.originalError ?? error,
        }),
      );
    }
  }
}
fields(PocketBase, ["baseURL", "lang", "authStore", "files", "realtime"]);

class BaseService extends DartObject {
  constructor(client) {
    super();
    this.client = client;
  }
}
fields(BaseService, ["client"]);

function send(client, path, named) {
  return client.send([], path, new Named(named));
}

export class RecordService extends BaseService {
  constructor(client, collectionIdOrName) {
    super(client);
    this._name = collectionIdOrName;
  }
  get baseCollectionPath() {
    return `/api/collections/${encodeURIComponent(this._name)}`;
  }
  get baseCrudPath() {
    return `${this.baseCollectionPath}/records`;
  }
  itemFactoryFunc(json) {
    return RecordModel.fromJson(json);
  }

  // realtime
  subscribe(topic, callback, named) {
    return this.client.realtime.subscribe(
      `${this._name}/${topic}`,
      (e) => callback(RecordSubscriptionEvent.fromJson(e.jsonData())),
      named,
    );
  }
  unsubscribe(topic = "") {
    if (topic) return this.client.realtime.unsubscribe(`${this._name}/${topic}`);
    return this.client.realtime.unsubscribeByPrefix(this._name);
  }

  // crud
  async getFullList(named) {
    const o = opts(named, { batch: 1000, expand: null, filter: null, sort: null, fields: null, query: {}, headers: {} });
    const result = [];
    for (let page = 1; ; page++) {
      const list = await this.getList(
        new Named({ ...o, batch: undefined, skipTotal: true, page, perPage: o.batch }),
      );
      result.push(...list.items);
      if (list.items.length !== list.perPage) return result;
    }
  }
  async getList(named) {
    const o = opts(named, {
      page: 1, perPage: 30, skipTotal: false, expand: null, filter: null, sort: null, fields: null, query: {}, headers: {},
    }); // prettier-ignore
    const query = enrich({ ...o.query, page: o.page, perPage: o.perPage }, {
      filter: o.filter, sort: o.sort, expand: o.expand, fields: o.fields, skipTotal: o.skipTotal,
    }); // prettier-ignore
    const data = await send(this.client, this.baseCrudPath, { query, headers: o.headers });
    return ResultList.fromJson(data, (item) => this.itemFactoryFunc(item));
  }
  async getOne(id, named) {
    const o = opts(named, { expand: null, fields: null, query: {}, headers: {} });
    if (!id) {
      throw new ClientException(
        new Named({
          url: this.client.buildURL(`${this.baseCrudPath}/`),
          statusCode: 404,
          response: { code: 404, message: "Missing required record id.", data: {} },
        }),
      );
    }
    const query = enrich(o.query, { expand: o.expand, fields: o.fields });
    const path = `${this.baseCrudPath}/${encodeURIComponent(id)}`;
    return this.itemFactoryFunc(await send(this.client, path, { query, headers: o.headers }));
  }
  async getFirstListItem(filter, named) {
    const o = opts(named, { expand: null, fields: null, query: {}, headers: {} });
    const result = await this.getList(new Named({ ...o, perPage: 1, skipTotal: true, filter }));
    if (!result.items.length) {
      throw new ClientException(
        new Named({
          statusCode: 404,
          response: { code: 404, message: "The requested resource wasn't found.", data: {} },
        }),
      );
    }
    return result.items[0];
  }
  async create(named) {
    const o = opts(named, { body: {}, query: {}, files: [], headers: {}, expand: null, fields: null });
    const query = enrich(o.query, { expand: o.expand, fields: o.fields });
    const data = await send(this.client, this.baseCrudPath, {
      method: "POST", body: o.body, query, files: o.files, headers: o.headers,
    }); // prettier-ignore
    return this.itemFactoryFunc(data);
  }
  async update(id, named) {
    const o = opts(named, { body: {}, query: {}, files: [], headers: {}, expand: null, fields: null });
    const query = enrich(o.query, { expand: o.expand, fields: o.fields });
    const path = `${this.baseCrudPath}/${encodeURIComponent(id)}`;
    const item = this.itemFactoryFunc(
      await send(this.client, path, { method: "PATCH", body: o.body, query, files: o.files, headers: o.headers }),
    );
    const store = this.client.authStore;
    if (store.record && store.record.id === item.id && this._isAuthCollection(store.record)) {
      const expand = isMap(store.record.data.expand) ? store.record.data.expand : {};
      const data = { ...store.record.data, ...item.toJson() };
      if (Object.keys(expand).length) data.expand = { ...expand, ...(item.data.expand ?? {}) };
      store.save(store.token, RecordModel.fromJson(data));
    }
    return item;
  }
  async delete(id, named) {
    const o = opts(named, { body: {}, query: {}, headers: {} });
    const path = `${this.baseCrudPath}/${encodeURIComponent(id)}`;
    await send(this.client, path, { method: "DELETE", body: o.body, query: o.query, headers: o.headers });
    const store = this.client.authStore;
    if (store.record && store.record.id === id && this._isAuthCollection(store.record)) store.clear();
  }
  _isAuthCollection(record) {
    return [record.collectionId, record.collectionName].includes(this._name);
  }

  // auth
  _authResponse(data) {
    const auth = RecordAuth.fromJson(data);
    this.client.authStore.save(auth.token, auth.record);
    return auth;
  }
  async _auth(action, body, named, extraQuery = true) {
    const o = opts(named, { expand: null, fields: null, body: {}, query: {}, headers: {} });
    const query = extraQuery ? enrich(o.query, { expand: o.expand, fields: o.fields }) : o.query;
    const data = await send(this.client, `${this.baseCollectionPath}/${action}`, {
      method: "POST", body: { ...o.body, ...body }, query, headers: o.headers,
    }); // prettier-ignore
    return this._authResponse(data);
  }
  authWithPassword(usernameOrEmail, password, named) {
    return this._auth("auth-with-password", { identity: usernameOrEmail, password }, named);
  }
  authWithOAuth2Code(provider, code, codeVerifier, redirectURL, named) {
    const o = opts(named, { createData: {} });
    const body = { provider, code, codeVerifier, redirectURL, createData: o.createData };
    return this._auth("auth-with-oauth2", body, named);
  }
  authRefresh(named) {
    return this._auth("auth-refresh", {}, named);
  }
  authWithOTP(otpId, password, named) {
    return this._auth("auth-with-otp", { otpId, password }, named);
  }
  async requestOTP(email, named) {
    const o = opts(named, { body: {}, query: {}, headers: {} });
    const data = await send(this.client, `${this.baseCollectionPath}/request-otp`, {
      method: "POST", body: { email, ...o.body }, query: o.query, headers: o.headers,
    }); // prettier-ignore
    return OTPResponse.fromJson(data);
  }
  async _post(action, body, named) {
    const o = opts(named, { body: {}, query: {}, headers: {} });
    await send(this.client, `${this.baseCollectionPath}/${action}`, {
      method: "POST", body: { ...o.body, ...body }, query: o.query, headers: o.headers,
    }); // prettier-ignore
  }
  requestPasswordReset(email, named) {
    return this._post("request-password-reset", { email }, named);
  }
  confirmPasswordReset(passwordResetToken, password, passwordConfirm, named) {
    return this._post("confirm-password-reset", { token: passwordResetToken, password, passwordConfirm }, named);
  }
  requestVerification(email, named) {
    return this._post("request-verification", { email }, named);
  }
  async confirmVerification(verificationToken, named) {
    await this._post("confirm-verification", { token: verificationToken }, named);
    const payload = tokenPayload(verificationToken);
    const record = this.client.authStore.record;
    if (
      payload &&
      record &&
      !record.get(["bool"], "verified") &&
      record.id === payload.id &&
      record.collectionId === payload.collectionId
    ) {
      record.data.verified = true;
      this.client.authStore.save(this.client.authStore.token, record);
    }
  }
  requestEmailChange(newEmail, named) {
    return this._post("request-email-change", { newEmail }, named);
  }
  async confirmEmailChange(emailChangeToken, userPassword, named) {
    await this._post("confirm-email-change", { token: emailChangeToken, password: userPassword }, named);
    const payload = tokenPayload(emailChangeToken);
    const record = this.client.authStore.record;
    if (payload && record && record.id === payload.id && record.collectionId === payload.collectionId) {
      this.client.authStore.clear();
    }
  }
  async impersonate(recordId, duration, named) {
    const o = opts(named, { expand: null, fields: null, body: {}, query: {}, headers: {} });
    const headers = { ...o.headers };
    headers.Authorization ??= this.client.authStore.token;
    const temp = new PocketBase(this.client.baseURL, new Named({ lang: this.client.lang }));
    const data = await send(temp, `${this.baseCollectionPath}/impersonate/${encodeURIComponent(recordId)}`, {
      method: "POST",
      body: { duration, ...o.body },
      query: enrich(o.query, { expand: o.expand, fields: o.fields }),
      headers,
    });
    const auth = RecordAuth.fromJson(data);
    temp.authStore.save(auth.token, auth.record);
    return temp;
  }
}

function tokenPayload(token) {
  const parts = token.split(".");
  if (parts.length !== 3) return null;
  return JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
}

export class RealtimeService extends BaseService {
  get clientId() {
    return this.client._js.realtime.clientId;
  }
  async subscribe(topic, listener, named) {
    const o = opts(named, { expand: null, filter: null, fields: null, query: {}, headers: {} });
    const options = { query: { ...o.query }, headers: { ...o.headers } };
    for (const key of ["expand", "filter", "fields"]) {
      if (o[key]) options.query[key] ??= o[key];
    }
    const unsubscribe = await this.client._js.realtime.subscribe(
      topic,
      (data) => listener(new SseMessage(new Named({ event: topic, data: JSON.stringify(data) }))),
      options,
    );
    return async () => {
      await unsubscribe();
    };
  }
  async unsubscribe(topic = "") {
    await this.client._js.realtime.unsubscribe(topic || undefined);
  }
  async unsubscribeByPrefix(topicPrefix) {
    await this.client._js.realtime.unsubscribeByPrefix(topicPrefix);
  }
}

export class FileService extends BaseService {
  getUrl(record, filename, named) {
    return this.getURL(record, filename, named);
  }
  getURL(record, filename, named) {
    const o = opts(named, { thumb: null, token: null, download: null, query: {} });
    if (!filename || !record.id) return new Uri();
    const params = enrich(o.query, { thumb: o.thumb, token: o.token });
    if (o.download === true) params.download = "";
    const collection = record.collectionId || record.collectionName;
    const path = [collection, record.id, filename].map(encodeURIComponent).join("/");
    return this.client.buildURL(`/api/files/${path}`, params);
  }
  async getToken(named) {
    const o = opts(named, { body: {}, query: {}, headers: {} });
    const data = await send(this.client, "/api/files/token", {
      method: "POST", body: o.body, query: o.query, headers: o.headers,
    }); // prettier-ignore
    return data.token;
  }
}

export class BatchService extends BaseService {
  constructor(client) {
    super(client);
    this._requests = [];
    this._subs = new Map();
    this.dummyClient = new PocketBase("/");
  }
  collection(collectionIdOrName) {
    if (!this._subs.has(collectionIdOrName)) {
      this._subs.set(collectionIdOrName, new SubBatchService(this, collectionIdOrName));
    }
    return this._subs.get(collectionIdOrName);
  }
  async send(named) {
    const o = opts(named, { body: {}, query: {}, headers: {} });
    const files = [];
    const requests = this._requests.map((req, i) => {
      for (const file of req.files) files.push(file._renamed(`requests.${i}.${file.field}`));
      return { method: req.method, url: req.url, headers: req.headers, body: req.body };
    });
    const data = await send(this.client, "/api/batch", {
      method: "POST", files, headers: o.headers, query: o.query, body: { ...o.body, requests },
    }); // prettier-ignore
    return data.map((item) => BatchResult.fromJson(item ?? {}));
  }
}
fields(BatchService, ["dummyClient"]);

export class SubBatchService extends DartObject {
  constructor(batch, collectionIdOrName) {
    super();
    this._batch = batch;
    this._name = collectionIdOrName;
  }
  _add(method, id, named, withFiles = true) {
    const o = opts(named, { body: {}, query: {}, files: [], headers: {}, expand: null, fields: null });
    const query = withFiles ? enrich(o.query, { expand: o.expand, fields: o.fields }) : o.query;
    const path = `/api/collections/${encodeURIComponent(this._name)}/records${id === null ? "" : `/${encodeURIComponent(id)}`}`;
    this._batch._requests.push({
      method,
      url: this._batch.dummyClient.buildURL(path, query).toString(),
      headers: o.headers,
      body: o.body,
      files: withFiles ? o.files : [],
    });
  }
  upsert(named) {
    this._add("PUT", null, named);
  }
  create(named) {
    this._add("POST", null, named);
  }
  update(recordId, named) {
    this._add("PATCH", recordId, named);
  }
  delete(recordId, named) {
    this._add("DELETE", recordId, named, false);
  }
}

// --- package:http -----------------------------------------------------------------------

export class MultipartFile extends DartObject {
  constructor(field, bytes, named) {
    super();
    const o = opts(named, { filename: null, contentType: null });
    if (o.contentType !== null) throw fail("MultipartFile(contentType:) takes an http_parser MediaType: not stood in");
    this.field = field;
    this._bytes = Uint8Array.from(bytes);
    this.filename = o.filename;
    this.contentType = null;
  }
  static fromBytes(field, value, named) {
    return new MultipartFile(field, value, named);
  }
  static fromString(field, value, named) {
    return new MultipartFile(field, new TextEncoder().encode(value), named);
  }
  get length() {
    return this._bytes.length;
  }
  _blob() {
    return new Blob([this._bytes]);
  }
  _renamed(field) {
    const copy = new MultipartFile(field, this._bytes, new Named({ filename: this.filename }));
    return copy;
  }
}
fields(MultipartFile, ["field", "filename", "contentType"]);

// --- package:shared_preferences (in memory) -----------------------------------------------

const PREFERENCES = new Map(); // what the platform would keep across app restarts

export class SharedPreferences extends DartObject {
  static async getInstance() {
    SharedPreferences._instance ??= new SharedPreferences();
    return SharedPreferences._instance;
  }
  _get(key, type) {
    if (!PREFERENCES.has(key)) return null;
    const value = PREFERENCES.get(key);
    if (!isType(value, type)) throw new DartTypeError(`type '${typeName(value)}' is not a subtype of type '${type}?'`);
    return value;
  }
  async _set(key, value) {
    PREFERENCES.set(key, value);
    return true;
  }
  getString(key) {
    return this._get(key, "String");
  }
  getInt(key) {
    return this._get(key, "int");
  }
  getBool(key) {
    return this._get(key, "bool");
  }
  getDouble(key) {
    return this._get(key, "double");
  }
  setString(key, value) {
    return this._set(key, value);
  }
  setInt(key, value) {
    return this._set(key, value);
  }
  setBool(key, value) {
    return this._set(key, value);
  }
  setDouble(key, value) {
    return this._set(key, value);
  }
  containsKey(key) {
    return PREFERENCES.has(key);
  }
  getKeys() {
    return new Set(PREFERENCES.keys());
  }
  async remove(key) {
    return PREFERENCES.delete(key) || true;
  }
  async clear() {
    PREFERENCES.clear();
    return true;
  }
}


// --- package:flutter (material) and package:flutter_test, stood in ------------------------
//
// Widgets are records of their arguments (only the parameters listed here are accepted);
// runApp mounts the app; a State's setState rebuilds its widget's subtree. There is no
// layout, painting or element reconciliation: a StatefulWidget keeps its State only
// while the same widget object stays in the tree. flutter_test's find/tester act on
// the last built tree: tap() calls the onPressed/onTap of the nearest enclosing widget
// that has one, enterText() sets the TextField's controller.

export class Widget extends DartObject {
  static POSITIONAL = [];
  static NAMED = [];
  constructor(...args) {
    super();
    const cls = this.constructor;
    const named = args.at(-1) instanceof Named ? args.pop().values : {};
    if (args.length > cls.POSITIONAL.length) throw fail(`${cls.name} takes ${cls.POSITIONAL.length} positional arguments`);
    cls.POSITIONAL.forEach((name, i) => (this[name] = args[i] ?? null));
    for (const [key, value] of Object.entries(named)) {
      if (key !== "key" && !cls.NAMED.includes(key)) throw fail(`the Flutter stand-in's ${cls.name} has no parameter '${key}'`);
      this[key] = value;
    }
  }
  /** The widgets this one contains (its arguments that are widgets). */
  _children() {
    const out = [];
    for (const value of Object.values(this)) {
      if (value instanceof Widget) out.push(value);
      else if (isList(value)) out.push(...value.filter((v) => v instanceof Widget));
    }
    return out;
  }
}

function widget(name, positional, named) {
  const cls = class extends Widget {};
  Object.defineProperty(cls, "name", { value: name });
  cls.POSITIONAL = positional;
  cls.NAMED = named;
  return cls;
}

export class StatelessWidget extends Widget {
  constructor(named) {
    super(...(named ? [named] : []));
  }
}

export class StatefulWidget extends Widget {
  constructor(named) {
    super(...(named ? [named] : []));
  }
}

export class BuildContext extends DartObject {}

export class State extends DartObject {
  constructor() {
    super();
    this.widget = null;
    this.context = new BuildContext();
    this.mounted = false;
  }
  initState() {}
  dispose() {}
  setState(fn) {
    const result = fn();
    if (result instanceof Promise) throw fail("setState() callback argument returned a Future");
    if (this.mounted) binding.rebuild();
  }
}

export class IconData extends DartObject {
  constructor(name) {
    super();
    this.name = name;
  }
}

export class Icons extends DartObject {
  static send = new IconData("send");
  static add = new IconData("add");
  static delete = new IconData("delete");
  static logout = new IconData("logout");
}

export class TextEditingController extends DartObject {
  constructor(named) {
    super();
    this.text = opts(named, { text: "" }).text;
  }
  clear() {
    this.text = "";
  }
  dispose() {}
}

const binding = {
  root: null, // the widget runApp was given
  states: new Map(), // StatefulWidget → its State
  tree: null, // the last build: { widget, children: [...] }
  rebuild() {
    this.tree = this.root ? this.expand(this.root, null) : null;
  },
  expand(widget, parent) {
    const node = { widget, parent, children: [] };
    let built = [];
    if (widget instanceof StatefulWidget) {
      let state = this.states.get(widget);
      if (!state) {
        state = widget.createState();
        state.widget = widget;
        state.mounted = true;
        this.states.set(widget, state);
        state.initState();
      }
      built = [state.build(state.context)];
    } else if (widget instanceof StatelessWidget) {
      built = [widget.build(new BuildContext())];
    } else {
      built = widget._children();
    }
    node.children = built.map((child) => this.expand(child, node));
    return node;
  },
  *walk(node = this.tree) {
    if (!node) return;
    yield node;
    for (const child of node.children) yield* this.walk(child);
  },
};

function runApp(app) {
  binding.root = app;
  binding.states = new Map();
  binding.rebuild();
}

export class Finder extends DartObject {
  constructor(description, test) {
    super();
    this.description = description;
    this._test = test;
  }
  _nodes() {
    return [...binding.walk()].filter((node) => this._test(node.widget));
  }
  evaluate() {
    return new Iterable(this._nodes().map((node) => node.widget));
  }
  toString() {
    return this.description;
  }
}

export class CommonFinders extends DartObject {
  text(text) {
    return new Finder(`text "${text}"`, (w) => w.constructor.name === "Text" && w.data === text);
  }
  byType(type) {
    return new Finder(`type ${type.name}`, (w) => w instanceof type);
  }
  byIcon(icon) {
    return new Finder(`icon ${icon.name}`, (w) => w.constructor.name === "Icon" && w.icon === icon);
  }
}

/** dart:async Future's constructors the samples may use (a Future is a Promise). */
export class Future extends DartObject {
  static delayed(duration, computation = null) {
    return new Promise((resolve) => setTimeout(resolve, duration.inMilliseconds)).then(() =>
      computation ? computation() : null,
    );
  }
  static value(value = null) {
    return Promise.resolve(value);
  }
}

export class Duration extends DartObject {
  constructor(named) {
    super();
    const o = opts(named, { milliseconds: 0, seconds: 0 });
    this.inMilliseconds = o.milliseconds + 1000 * o.seconds;
  }
}

export class WidgetTester extends DartObject {
  _one(finder) {
    const nodes = finder._nodes();
    if (nodes.length !== 1) throw fail(`${finder} finds ${nodes.length} widgets, not one`);
    return nodes[0];
  }
  async tap(finder) {
    for (let node = this._one(finder); node; node = node.parent) {
      const handler = node.widget.onPressed ?? node.widget.onTap;
      if (typeof handler === "function") {
        track(Promise.resolve(handler()));
        return;
      }
    }
    throw fail(`nothing to tap at ${finder}`);
  }
  async enterText(finder, text) {
    const field = this._one(finder).widget;
    if (!(field.controller instanceof TextEditingController)) throw fail(`${finder} has no controller`);
    field.controller.text = text;
  }
  async pump(duration = null) {
    await new Promise((resolve) => setTimeout(resolve, duration?.inMilliseconds ?? 0));
    binding.rebuild();
  }
  async pumpWidget(app) {
    runApp(app);
  }
}

const find = new CommonFinders();

async function testWidgets(description, callback) {
  await callback(new WidgetTester());
}

const Text = widget("Text", ["data"], ["style"]);
const MATERIAL = {
  runApp,
  StatelessWidget,
  StatefulWidget,
  State,
  BuildContext,
  Widget,
  Icons,
  IconData,
  TextEditingController,
  Text,
  MaterialApp: widget("MaterialApp", [], ["home", "title", "theme"]),
  Scaffold: widget("Scaffold", [], ["appBar", "body", "floatingActionButton"]),
  AppBar: widget("AppBar", [], ["title", "actions"]),
  ListView: widget("ListView", [], ["children"]),
  Column: widget("Column", [], ["children"]),
  Row: widget("Row", [], ["children"]),
  Expanded: widget("Expanded", [], ["child"]),
  Padding: widget("Padding", [], ["padding", "child"]),
  Center: widget("Center", [], ["child"]),
  TextButton: widget("TextButton", [], ["onPressed", "child"]),
  ElevatedButton: widget("ElevatedButton", [], ["onPressed", "child"]),
  IconButton: widget("IconButton", [], ["icon", "onPressed", "tooltip"]),
  Icon: widget("Icon", ["icon"], ["size"]),
  TextField: widget("TextField", [], ["controller", "decoration", "onSubmitted"]),
  ListTile: widget("ListTile", [], ["title", "subtitle", "onTap", "trailing"]),
};

// --- the libraries a sample may import -------------------------------------------------

function print(object) {
  console.log(str(object));
}

export { SHIM_FIELDS };

export const POCKETBASE_CLASSES = {
  PocketBase,
  AuthStore,
  AsyncAuthStore,
  AuthStoreEvent,
  ClientException,
  RecordModel,
  ResultList,
  RecordAuth,
  OTPResponse,
  BatchResult,
  RecordSubscriptionEvent,
  SseMessage,
  RecordService,
  RealtimeService,
  FileService,
  BatchService,
  SubBatchService,
  BaseService,
};

export const LIBRARIES = {
  "dart:core": { print, Uri, StateError, Duration, Future },
  "dart:async": { Stream, StreamSubscription, Future },
  "dart:convert": { jsonEncode, jsonDecode },
  pocketbase: { ...POCKETBASE_CLASSES },
  http: { MultipartFile },
  shared_preferences: { SharedPreferences },
  flutter: MATERIAL,
  flutter_test: { ...MATERIAL, find, testWidgets, WidgetTester, Finder },
};

const CLASSES = new Map(
  Object.values(LIBRARIES)
    .flatMap((lib) => Object.entries(lib))
    .filter(([, value]) => isClass(value)),
);
CLASSES.set("Iterable", Iterable);
