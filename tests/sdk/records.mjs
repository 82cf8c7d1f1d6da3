// The official JS SDK drives the data calls against a running `baas serve`
// (issue: collections set-up, sign-up, CRUD, lists, expand, getFullList,
// getFirstListItem, batch and the contract's errors). Exits non-zero on failure.
import assert from "node:assert/strict";
import { errorExpecter } from "./expect.mjs";
import PocketBase, { ClientResponseError } from "pocketbase";

const base = process.env.BAAS_URL;
const admin = new PocketBase(base);
admin.autoCancellation(false);

const expectError = errorExpecter(ClientResponseError);

await admin.collection("_superusers").authWithPassword(process.env.SU_EMAIL, process.env.SU_PASSWORD);
assert.ok(admin.authStore.isSuperuser, "superuser token detected by the SDK");

await admin.collections.create({
  name: "sdk_posts",
  listRule: "published = true || author = @request.auth.id",
  viewRule: "published = true || author = @request.auth.id",
  createRule: "@request.auth.id != '' && author = @request.auth.id",
  updateRule: "author = @request.auth.id",
  deleteRule: "author = @request.auth.id",
  fields: [
    { name: "title", type: "text", required: true },
    { name: "views", type: "number" },
    { name: "published", type: "bool" },
    { name: "tags", type: "select", values: ["a", "b", "c"], maxSelect: 3 },
    { name: "author", type: "relation", collectionId: "_pb_users_auth_" },
    { name: "created", type: "autodate" },
  ],
});
await admin.settings.update({ batch: { enabled: true } });

// sign-up and sign-in as an app user
const pb = new PocketBase(base);
pb.autoCancellation(false);
const user = await pb.collection("users").create({
  email: "alice@example.com", password: "password123", passwordConfirm: "password123", name: "Alice",
});
assert.equal(user.email, undefined, "a guest sign-up does not see the email");
const auth = await pb.collection("users").authWithPassword("alice@example.com", "password123");
assert.equal(auth.record.email, "alice@example.com");
assert.ok(pb.authStore.isValid && !pb.authStore.isSuperuser);
const refreshed = await pb.collection("users").authRefresh();
assert.equal(refreshed.record.id, user.id);

// CRUD
const created = [];
for (let i = 0; i < 25; i++) {
  created.push(await pb.collection("sdk_posts").create({
    title: `post ${String(i).padStart(2, "0")}`, views: i * 10, published: i % 2 === 0, tags: ["a"], author: user.id,
  }));
}
const one = await pb.collection("sdk_posts").getOne(created[0].id, { expand: "author" });
assert.equal(one.expand.author.id, user.id);
assert.equal(one.collectionName, "sdk_posts");
const updated = await pb.collection("sdk_posts").update(created[0].id, { "views+": 5, "tags+": "b" });
assert.equal(updated.views, 5);
assert.deepEqual(updated.tags, ["a", "b"]);

// lists
const page = await pb.collection("sdk_posts").getList(1, 10, { filter: "views >= 100", sort: "-views" });
assert.equal(page.perPage, 10);
assert.equal(page.totalItems, 15);
assert.equal(page.items[0].views, 240);
const all = await pb.collection("sdk_posts").getFullList({ batch: 7, sort: "title" });
assert.equal(all.length, 25);
assert.equal(all[24].title, "post 24");
const first = await pb.collection("sdk_posts").getFirstListItem(pb.filter("title = {:t}", { t: "post 03" }));
assert.equal(first.views, 30);
await expectError(pb.collection("sdk_posts").getFirstListItem('title = "nope"'), 404);

// what a guest sees: published posts only
const guest = new PocketBase(base);
const visible = await guest.collection("sdk_posts").getFullList();
assert.equal(visible.length, 13);
await expectError(guest.collection("sdk_posts").create({ title: "x" }), 400, (r) => {
  assert.equal(r.message, "Failed to create record.");
});
await expectError(guest.collection("sdk_posts").getList(1, 5, { filter: "@request.auth.id = ''" }), 403);

// validation errors keep the contract's shape
await expectError(pb.collection("sdk_posts").create({ views: 1, author: user.id }), 400, (r) => {
  assert.equal(r.data.title.code, "validation_required");
});

// batch, all or nothing
const batch = pb.createBatch();
batch.collection("sdk_posts").create({ title: "batched", author: user.id });
batch.collection("sdk_posts").update(created[1].id, { title: "renamed" });
batch.collection("sdk_posts").delete(created[2].id);
const results = await batch.send();
assert.deepEqual(results.map((r) => r.status), [200, 200, 204]);
const failing = pb.createBatch();
failing.collection("sdk_posts").create({ title: "never", author: user.id });
failing.collection("sdk_posts").create({ author: user.id });
await expectError(failing.send(), 400, (r) => {
  assert.equal(r.data.requests["1"].code, "batch_request_failed");
});
await expectError(pb.collection("sdk_posts").getFirstListItem('title = "never"'), 404);

// delete
await pb.collection("sdk_posts").delete(created[3].id);
await expectError(pb.collection("sdk_posts").getOne(created[3].id), 404);

console.log(JSON.stringify({ ok: true, posts: all.length }));
