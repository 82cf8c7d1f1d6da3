// The official JS SDK against the production set-up (test_deployment.py): nginx in front
// of N `baas serve` processes, PostgreSQL, Redis, S3, the Celery worker and beat.
//
//   node deploy.mjs app    sign-up/sign-in, CRUD, a file through nginx (S3 behind), realtime
//                          on one connection through nginx receiving the writes made on each
//                          web process directly; prints one JSON line {"ok": true, ...}
//   node deploy.mjs load   requests through nginx until the file $STOP_FILE exists (a rolling
//                          restart happens meanwhile); prints {"ok": n, "failed": [...]}
//
// Environment: BAAS_URL (nginx), BACKENDS (the web processes' URLs, comma separated),
// SU_EMAIL, SU_PASSWORD, SDK_MODULES (tests/sdk/node_modules), STOP_FILE.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { pathToFileURL } from "node:url";

const modules = pathToFileURL(`${process.env.SDK_MODULES}/`);
const { default: PocketBase } = await import(new URL("pocketbase/dist/pocketbase.es.mjs", modules));
const { EventSource } = await import(new URL("eventsource/dist/index.js", modules));
globalThis.EventSource = EventSource; // Node has none; the SDK uses the global one

const base = process.env.BAAS_URL;
const backends = process.env.BACKENDS.split(",");
const PASSWORD = "password123";
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(predicate, what, ms = 15000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (predicate()) return;
    await pause(25);
  }
  throw new Error(`timed out waiting for ${what}`);
}

function client(url = base) {
  const pb = new PocketBase(url);
  pb.autoCancellation(false);
  return pb;
}

async function app() {
  const admin = client();
  await admin.collection("_superusers").authWithPassword(process.env.SU_EMAIL, process.env.SU_PASSWORD);
  await admin.collections.create({
    name: "deploy_posts",
    listRule: "", viewRule: "",
    createRule: "@request.auth.id != ''",
    updateRule: "author = @request.auth.id",
    deleteRule: "author = @request.auth.id",
    fields: [
      { name: "title", type: "text", required: true },
      { name: "n", type: "number" },
      { name: "author", type: "relation", collectionId: "_pb_users_auth_" },
      { name: "doc", type: "file", maxSelect: 1, maxSize: 5242880 },
    ],
  });

  // sign-up and sign-in, through nginx
  const pb = client();
  const email = "deploy-user@example.com";
  await pb.collection("users").create({ email, password: PASSWORD, passwordConfirm: PASSWORD });
  const auth = await pb.collection("users").authWithPassword(email, PASSWORD);
  assert.equal(auth.record.email, email);
  const userId = auth.record.id;

  // CRUD
  const post = await pb.collection("deploy_posts").create({ title: "first", n: 1, author: userId });
  assert.equal((await pb.collection("deploy_posts").getOne(post.id)).title, "first");
  const updated = await pb.collection("deploy_posts").update(post.id, { "n+": 2 });
  assert.equal(updated.n, 3);
  const page = await pb.collection("deploy_posts").getList(1, 10, { filter: "n >= 3" });
  assert.deepEqual(page.items.map((r) => r.id), [post.id]);
  await pb.collection("deploy_posts").delete(post.id);
  await assert.rejects(pb.collection("deploy_posts").getOne(post.id), (err) => err.status === 404);

  // a file: uploaded through nginx (stored on S3), downloaded back through nginx
  const bytes = new Uint8Array(300 * 1024).map((_, i) => (i * 31 + 7) % 256);
  const form = new FormData();
  form.append("title", "with a file");
  form.append("author", userId);
  form.append("doc", new Blob([bytes], { type: "application/octet-stream" }), "report.bin");
  const withFile = await pb.collection("deploy_posts").create(form);
  assert.match(withFile.doc, /^report_\w+\.bin$/);
  const fileUrl = pb.files.getURL(withFile, withFile.doc);
  assert.ok(fileUrl.startsWith(base), fileUrl);
  const download = await fetch(fileUrl);
  assert.equal(download.status, 200);
  const got = new Uint8Array(await download.arrayBuffer());
  assert.equal(got.length, bytes.length);
  assert.ok(got.every((b, i) => b === bytes[i]), "the downloaded file differs");

  // realtime: one SSE connection through nginx; a write on each web process directly
  const watcher = client();
  await watcher.collection("users").authWithPassword(email, PASSWORD);
  const seen = [];
  await watcher.collection("deploy_posts").subscribe("*", (e) => seen.push(`${e.action}:${e.record.title}`));
  const titles = [];
  for (const [index, backend] of backends.entries()) {
    const writer = client(backend);
    await writer.collection("users").authWithPassword(email, PASSWORD);
    const title = `via process ${index}`;
    await writer.collection("deploy_posts").create({ title, author: userId });
    titles.push(`create:${title}`);
  }
  await waitFor(() => titles.every((t) => seen.includes(t)), `events ${titles} (got ${seen})`);
  await pause(300);
  assert.equal(seen.filter((t) => t.startsWith("create:via")).length, titles.length, `duplicates: ${seen}`);
  await watcher.realtime.unsubscribe();

  // a job for the Celery worker, through the API
  await admin.crons.run("__pbLogsCleanup__");
  console.log(JSON.stringify({ ok: true, file: withFile.doc, record: withFile.id, events: seen }));
}

async function load() {
  const pb = client();
  await pb.collection("users").authWithPassword("deploy-user@example.com", PASSWORD);
  const userId = pb.authStore.record.id;
  let ok = 0;
  const failed = [];
  const step = async (what, call) => {
    try {
      await call();
      ok++;
    } catch (err) {
      failed.push(`${what}: ${err.status} ${err.message}`);
    }
  };
  console.log(JSON.stringify({ started: true }));
  let last = null;
  for (let i = 0; !existsSync(process.env.STOP_FILE); i++) {
    await step("create", async () => {
      last = await pb.collection("deploy_posts").create({ title: `load ${i}`, n: i, author: userId });
    });
    await step("list", () => pb.collection("deploy_posts").getList(1, 5, { sort: "-n" }));
    if (last) {
      await step("view", () => pb.collection("deploy_posts").getOne(last.id));
      await step("update", () => pb.collection("deploy_posts").update(last.id, { n: i + 1 }));
    }
    await step("health", () => pb.health.check());
    await pause(10);
  }
  console.log(JSON.stringify({ ok, failed }));
}

const mode = process.argv[2];
try {
  if (mode === "app") await app();
  else if (mode === "load") await load();
  else throw new Error(`unknown mode ${mode}`);
  process.exit(0);
} catch (err) {
  console.error(err?.stack || err, err?.response ? JSON.stringify(err.response) : "");
  process.exit(1);
}
