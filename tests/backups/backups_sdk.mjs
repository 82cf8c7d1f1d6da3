// The official JS SDK's pb.backups.* and pb.crons.* against a running `baas serve`
// (wire-api §7.5, §7.6): create, list, download URL with a file token, upload a
// File, delete, restore (then the app restarts), crons list and run. PB_SDK is the
// SDK's ES module path. Exits non-zero on failure.
import assert from "node:assert/strict";
import { pathToFileURL } from "node:url";

const { default: PocketBase } = await import(pathToFileURL(process.env.PB_SDK).href);
const pb = new PocketBase(process.env.BAAS_URL);
pb.autoCancellation(false);
await pb.collection("_superusers").authWithPassword(process.env.SU_EMAIL, process.env.SU_PASSWORD);

const health = await pb.health.check();
assert.equal(health.code, 200);
assert.equal(health.data.canBackup, true);

await pb.collections.create({ name: "sdk_notes", listRule: "", fields: [{ name: "text", type: "text" }] });
await pb.collection("sdk_notes").create({ text: "kept" });

assert.equal(await pb.backups.create("sdk_backup.zip"), true);
let list = await pb.backups.getFullList();
const made = list.find((item) => item.key === "sdk_backup.zip");
assert.ok(made && made.size > 0 && /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z$/.test(made.modified));

// Download through the SDK's URL builder and a file token.
const token = await pb.files.getToken();
const response = await fetch(pb.backups.getDownloadURL(token, "sdk_backup.zip"));
assert.equal(response.status, 200);
const bytes = new Uint8Array(await response.arrayBuffer());
assert.equal(bytes.length, made.size);
assert.equal(String.fromCharCode(bytes[0], bytes[1]), "PK");
const refused = await fetch(pb.backups.getDownloadURL("not-a-token", "sdk_backup.zip"));
assert.equal(refused.status, 403);

// Upload it again under another name, then delete that copy.
assert.equal(await pb.backups.upload({ file: new File([bytes], "sdk_copy.zip", { type: "application/zip" }) }), true);
list = await pb.backups.getFullList();
assert.ok(list.some((item) => item.key === "sdk_copy.zip"));
assert.equal(await pb.backups.delete("sdk_copy.zip"), true);
list = await pb.backups.getFullList();
assert.ok(!list.some((item) => item.key === "sdk_copy.zip"));
await assert.rejects(pb.backups.delete("sdk_copy.zip"), (err) => err.status === 400);
await assert.rejects(pb.backups.create("Bad Name.zip"), (err) => err.status === 400 && err.response.data.name.code === "validation_match_invalid");

// Crons.
const crons = await pb.crons.getFullList();
assert.ok(crons.some((job) => job.id === "__pbLogsCleanup__" && job.expression === "0 */6 * * *"));
assert.equal(await pb.crons.run("__pbLogsCleanup__"), true);
await assert.rejects(pb.crons.run("__nope__"), (err) => err.status === 404);

// Restore: a note written after the backup is gone once the app has restarted.
await pb.collection("sdk_notes").create({ text: "after the backup" });
assert.equal(await pb.backups.restore("sdk_backup.zip"), true);
const deadline = Date.now() + 60_000;
let texts = [];
let streak = 0;
while (Date.now() < deadline && streak < 5) {
  try {
    const items = await pb.collection("sdk_notes").getFullList();
    texts = items.map((item) => item.text);
    streak = texts.length === 1 ? streak + 1 : 0;
  } catch (err) {
    streak = 0; // 503 while it restores and until the old worker has stopped
    assert.ok(err.status === 503 || err.status === 0, `unexpected ${err.status}`);
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
}
assert.deepEqual(texts, ["kept"]);
assert.equal((await pb.health.check()).data.canBackup, true);

console.log(JSON.stringify({ ok: true }));
