// The official JS SDK's realtime client against a live baas serve (wire-api §6, §8.1).
// Environment: BAAS_URL, RT_OWNER_EMAIL, RT_OTHER_EMAIL, RT_PASSWORD (test_realtime_sdk.py).
// Prints one JSON line {"ok": true, ...} and exits 0, or prints the failure and exits 1.
import PocketBase from "pocketbase";
import { EventSource } from "eventsource";

globalThis.EventSource = EventSource; // Node has none; the SDK uses the global one

const base = process.env.BAAS_URL;
const userEmail = process.env.RT_OWNER_EMAIL;
const otherEmail = process.env.RT_OTHER_EMAIL;
const password = process.env.RT_PASSWORD;

function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function waitFor(predicate, what, ms = 10000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (predicate()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  const owner = new PocketBase(base);
  const other = new PocketBase(base);
  await owner.collection("users").authWithPassword(userEmail, password);
  await other.collection("users").authWithPassword(otherEmail, password);
  const ownerId = owner.authStore.record.id;

  // 1. subscribe("*") and subscribe(id, {fields}) on an open collection
  const got = [];
  const connects = [];
  await owner.realtime.subscribe("PB_CONNECT", (e) => connects.push(e.clientId));
  const unsubscribeAll = await owner
    .collection("sdk_rt_posts")
    .subscribe("*", (e) => got.push(["*", e.action, e.record.title]));
  check(owner.realtime.isConnected, "not connected after subscribe");
  check(connects.length === 1 && connects[0] === owner.realtime.clientId, "PB_CONNECT not forwarded");
  const post = await other.collection("sdk_rt_posts").create({ title: "one" });
  const unsubscribeOne = await owner
    .collection("sdk_rt_posts")
    .subscribe(post.id, (e) => got.push(["id", e.action, e.record]), { fields: "id,title" });
  await other.collection("sdk_rt_posts").update(post.id, { title: "two" });
  await waitFor(() => got.length >= 3, "create + two updates");
  check(JSON.stringify(got[0]) === JSON.stringify(["*", "create", "one"]), `first: ${JSON.stringify(got[0])}`);
  const picked = got.find((g) => g[0] === "id");
  check(JSON.stringify(picked[2]) === JSON.stringify({ id: post.id, title: "two" }), `fields: ${JSON.stringify(picked)}`);

  // 2. unsubscribe one topic: only the other still delivers
  await unsubscribeAll();
  await other.collection("sdk_rt_posts").update(post.id, { title: "three" });
  await waitFor(() => got.some((g) => g[0] === "id" && g[2].title === "three"), "the id topic");
  await pause(300);
  check(!got.some((g) => g[0] === "*" && g[2] === "three"), "still got * after unsubscribing");

  // 3. a filter option, and rules: the owner's private notes reach the owner only
  const notes = [];
  const othersNotes = [];
  await owner
    .collection("sdk_rt_notes")
    .subscribe("*", (e) => notes.push(e.record.title), { filter: 'title != "skip"' });
  await other.collection("sdk_rt_notes").subscribe("*", (e) => othersNotes.push(e.record.title));
  await owner.collection("sdk_rt_notes").create({ title: "skip", owner: ownerId });
  await owner.collection("sdk_rt_notes").create({ title: "mine", owner: ownerId });
  await waitFor(() => notes.includes("mine"), "the owner's note");
  await pause(300);
  check(!notes.includes("skip"), "the filter let 'skip' through");
  check(othersNotes.length === 0, `another user saw ${othersNotes}`);

  // 4. delete events, then unsubscribing from everything closes the connection
  const deleted = [];
  await owner.collection("sdk_rt_posts").subscribe(post.id, (e) => deleted.push(e.action));
  await other.collection("sdk_rt_posts").delete(post.id);
  await waitFor(() => deleted.includes("delete"), "the delete event");
  await unsubscribeOne();
  await owner.realtime.unsubscribe();
  await other.realtime.unsubscribe();
  check(!owner.realtime.isConnected, "still connected after unsubscribing from everything");
  return { ok: true, events: got.length, notes };
}

main().then(
  (result) => {
    console.log(JSON.stringify(result));
    process.exit(0);
  },
  (error) => {
    console.log(JSON.stringify({ ok: false, error: String(error?.stack || error) }));
    process.exit(1);
  },
);
