// The official JS SDK drives the auth calls against a running `baas serve`
// (issue: Auth). Exits non-zero on failure; prints {"ok":true} at the end.
import assert from "node:assert/strict";
import { errorExpecter } from "../sdk/expect.mjs";
import PocketBase, { ClientResponseError } from "../sdk/node_modules/pocketbase/dist/pocketbase.es.mjs";

const base = process.env.BAAS_URL;
const tag = Math.random().toString(36).slice(2, 8);
const admin = new PocketBase(base);
admin.autoCancellation(false);

const expectError = errorExpecter(ClientResponseError);

await admin.collection("_superusers").authWithPassword(process.env.SU_EMAIL, process.env.SU_PASSWORD);
assert.ok(admin.authStore.isSuperuser);

// an auth collection of our own, so other SDK tests on this server are untouched
const name = `members_${tag}`;
await admin.collections.create({
  name, type: "auth",
  listRule: "id = @request.auth.id", viewRule: "id = @request.auth.id",
  createRule: "", updateRule: "id = @request.auth.id",
  fields: [{ name: "nick", type: "text" }],
  otp: { enabled: true },
});
const pb = new PocketBase(base);
pb.autoCancellation(false);
const members = pb.collection(name);
const email = `m-${tag}@example.com`;
const created = await members.create({ email, password: "password123", passwordConfirm: "password123", nick: "Em" });

const methods = await members.listAuthMethods();
assert.deepEqual(methods.password, { enabled: true, identityFields: ["email"] });
assert.equal(methods.otp.enabled, true);
assert.equal(methods.otp.duration, 180);

const signed = await members.authWithPassword(email, "password123");
assert.equal(signed.record.email, email);
assert.ok(pb.authStore.isValid && !pb.authStore.isSuperuser);
assert.equal(pb.authStore.record.id, created.id);
const refreshed = await members.authRefresh({ expand: "", fields: "token,record.id,record.email" });
assert.deepEqual(Object.keys(refreshed.record).sort(), ["email", "id"]);

await expectError(members.authWithPassword(email, "wrong-password"), 400, (r) => {
  assert.equal(r.message, "Failed to authenticate.");
});
assert.equal(await members.requestVerification(email), true);
assert.equal(await members.requestVerification(`nobody-${tag}@example.com`), true);
assert.equal(await members.requestPasswordReset(email), true);
await expectError(members.confirmVerification("x.y.z"), 400, (r) => {
  assert.equal(r.data.token.code, "validation_invalid_token_claims");
});
await expectError(members.confirmPasswordReset("x.y.z", "password-2", "password-2"), 400, (r) => {
  assert.equal(r.data.token.code, "validation_invalid_token");
});
assert.equal(await members.requestEmailChange(`new-${tag}@example.com`), true);

const otp = await members.requestOTP(email);
assert.equal(otp.otpId.length, 15);
const ghost = await members.requestOTP(`ghost-${tag}@example.com`);
assert.equal(ghost.otpId.length, 15);
await expectError(members.authWithOTP(otp.otpId, "00000000"), 400, (r) => {
  assert.equal(r.message, "Invalid or expired OTP.");
});

// MFA: the first factor answers 401 {mfaId}, which the SDK surfaces as the error response
await admin.collections.update(name, { mfa: { enabled: true } });
await expectError(members.authWithPassword(email, "password123"), 401, (r) => {
  assert.equal(typeof r.mfaId, "string");
  assert.equal(r.mfaId.length, 15);
});

// impersonation: a new client holding a non-refreshable token
const as = await admin.collection(name).impersonate(created.id, 60);
assert.equal(as.authStore.record.id, created.id);
const payload = JSON.parse(Buffer.from(as.authStore.token.split(".")[1], "base64url"));
assert.equal(payload.refreshable, false);
assert.ok(payload.exp - Date.now() / 1000 <= 61);

await admin.collections.delete(name);
console.log(JSON.stringify({ ok: true }));
