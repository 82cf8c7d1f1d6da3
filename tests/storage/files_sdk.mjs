// The official JS SDK's file calls against a running `baas serve` (issue: Files):
// multipart create/update with File/Blob, modifiers, getURL with thumb/download/token,
// getToken, protected files, delete. The SDK is loaded from tests/sdk's node_modules
// (PB_SDK is its ES module path). Exits non-zero on failure.
import assert from "node:assert/strict";
import { pathToFileURL } from "node:url";

const { default: PocketBase } = await import(pathToFileURL(process.env.PB_SDK).href);
const base = process.env.BAAS_URL;
const admin = new PocketBase(base);
admin.autoCancellation(false);
await admin.collection("_superusers").authWithPassword(process.env.SU_EMAIL, process.env.SU_PASSWORD);

const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  "base64",
);
const name = `sdk_files_${Date.now()}`;
await admin.collections.create({
  name,
  viewRule: "owner = @request.auth.id",
  createRule: "@request.auth.id != ''",
  updateRule: "owner = @request.auth.id",
  deleteRule: "owner = @request.auth.id",
  fields: [
    { name: "owner", type: "relation", collectionId: "_pb_users_auth_" },
    { name: "pics", type: "file", maxSelect: 5, thumbs: ["20x20"] },
    { name: "doc", type: "file", maxSelect: 1, protected: true },
  ],
});

const email = `files_${Date.now()}@example.com`;
await admin.collection("users").create({ email, password: "password123", passwordConfirm: "password123" });
const pb = new PocketBase(base);
pb.autoCancellation(false);
await pb.collection("users").authWithPassword(email, "password123");

const created = await pb.collection(name).create({
  owner: pb.authStore.record.id,
  pics: [new File([PNG], "one.png"), new File([PNG], "two.png")],
  doc: new Blob(["secret text"], { type: "text/plain" }),
});
assert.equal(created.pics.length, 2);
assert.match(created.pics[0], /^one_[a-z0-9]{10}\.png$/);
assert.match(created.doc, /^[a-z0-9]+_[a-z0-9]{10}\.txt$/);

// A public (unprotected) file: getURL works without auth, thumbs too.
let res = await fetch(pb.files.getURL(created, created.pics[0]));
assert.equal(res.status, 200);
assert.equal(res.headers.get("content-type"), "image/png");
res = await fetch(pb.files.getURL(created, created.pics[0], { thumb: "100x100" }));
assert.equal(res.status, 200);
assert.match(res.headers.get("content-disposition"), /100x100_one_/);
res = await fetch(pb.files.getURL(created, created.pics[0], { download: true }));
assert.match(res.headers.get("content-disposition"), /^attachment;/);

// A protected file: 404 without a token, 200 with pb.files.getToken().
res = await fetch(pb.files.getURL(created, created.doc));
assert.equal(res.status, 404);
const token = await pb.files.getToken();
res = await fetch(pb.files.getURL(created, created.doc, { token }));
assert.equal(res.status, 200);
assert.equal(await res.text(), "secret text");

// Modifiers through the SDK: append one, remove one.
const updated = await pb.collection(name).update(created.id, {
  "pics+": new File([PNG], "three.png"),
  "pics-": [created.pics[0]],
});
assert.equal(updated.pics.length, 2);
assert.equal(updated.pics[0], created.pics[1]);
assert.match(updated.pics[1], /^three_/);
res = await fetch(pb.files.getURL(created, created.pics[0]));
assert.equal(res.status, 404);

// Delete: the files go with the record.
await pb.collection(name).delete(created.id);
res = await fetch(pb.files.getURL(updated, updated.pics[1]));
assert.equal(res.status, 404);

console.log(JSON.stringify({ ok: true }));
