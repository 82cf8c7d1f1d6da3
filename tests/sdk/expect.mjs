// Shared by the SDK scripts: await a call that must fail with the contract's error.
import assert from "node:assert/strict";

// `ClientResponseError` comes from the caller's own import of the SDK, so the
// instanceof check uses the same module instance as the calls being tested.
export function errorExpecter(ClientResponseError) {
  return async function expectError(promise, status, check = () => {}) {
    try {
      await promise;
    } catch (err) {
      assert.ok(err instanceof ClientResponseError, `expected ClientResponseError, got ${err}`);
      assert.equal(err.status, status, JSON.stringify(err.response));
      check(err.response);
      return;
    }
    assert.fail(`expected HTTP ${status}`);
  };
}
