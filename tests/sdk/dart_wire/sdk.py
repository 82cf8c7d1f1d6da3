"""The Dart SDK's services: the same paths, query maps, bodies and decoding, method by method.

Each method builds its query the way the Dart one does (``enrichedQuery["x"] ??= x``,
so ``null`` values never reach the URL, and ``getList`` always sends ``page``,
``perPage`` and ``skipTotal``) and decodes the answer with the SDK's model
(``tests.sdk.dart_wire.models``).
"""

from __future__ import annotations

from typing import Any

from tests.sdk.dart_wire import models
from tests.sdk.dart_wire.client import (
    ClientException,
    DartClient,
    MultipartFile,
    build_url,
    path_component,
)


def _enriched(query: dict[str, Any] | None, **extra: Any) -> dict[str, Any]:
    out = dict(query or {})
    for key, value in extra.items():
        if out.get(key) is None:
            out[key] = value
    return out


class CrudService:
    base_path = ""
    item: Any = staticmethod(models.record_model)

    def __init__(self, client: DartClient):
        self.client = client

    def get_list(
        self,
        page: int = 1,
        per_page: int = 30,
        skip_total: bool = False,
        expand: str | None = None,
        filter: str | None = None,
        sort: str | None = None,
        fields: str | None = None,
        query: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        params = dict(query or {})
        params["page"] = page
        params["perPage"] = per_page
        params = _enriched(
            params, filter=filter, sort=sort, expand=expand, fields=fields, skipTotal=skip_total
        )
        return models.result_list(self.client.send(self.base_path, query=params), self.item)

    def get_full_list(self, batch: int = 1000, **options: Any) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = []
        page = 1
        while True:
            answer = self.get_list(page=page, per_page=batch, skip_total=True, **options)
            result.extend(answer["items"])
            if len(answer["items"]) != answer["perPage"]:
                return result
            page += 1

    def get_one(self, id: str, expand: str | None = None, fields: str | None = None) -> Any:
        query = _enriched({}, expand=expand, fields=fields)
        return self.item(self.client.send(f"{self.base_path}/{path_component(id)}", query=query))

    def get_first_list_item(self, filter: str, **options: Any) -> Any:
        answer = self.get_list(per_page=1, skip_total=True, filter=filter, **options)
        if not answer["items"]:  # the SDK raises its own 404 here
            raise ClientException("", 404, {"code": 404, "message": "not found", "data": {}})
        return answer["items"][0]

    def create(
        self,
        body: dict[str, Any] | None = None,
        files: list[MultipartFile] | None = None,
        expand: str | None = None,
        fields: str | None = None,
        query: dict[str, Any] | None = None,
    ) -> Any:
        params = _enriched(query, expand=expand, fields=fields)
        answer = self.client.send(
            self.base_path, method="POST", body=body, query=params, files=files
        )
        return self.item(answer)

    def update(
        self,
        id: str,
        body: dict[str, Any] | None = None,
        files: list[MultipartFile] | None = None,
        expand: str | None = None,
        fields: str | None = None,
    ) -> Any:
        params = _enriched({}, expand=expand, fields=fields)
        path = f"{self.base_path}/{path_component(id)}"
        return self.item(
            self.client.send(path, method="PATCH", body=body, query=params, files=files)
        )

    def delete(self, id: str) -> Any:
        return self.client.send(f"{self.base_path}/{path_component(id)}", method="DELETE")


class RecordService(CrudService):
    def __init__(self, client: DartClient, collection: str):
        super().__init__(client)
        self.collection = collection
        self.collection_path = f"/api/collections/{path_component(collection)}"
        self.base_path = f"{self.collection_path}/records"

    def _auth(self, data: Any) -> dict[str, Any]:
        auth = models.record_auth(data)
        self.client.save(auth["token"], auth["record"])
        return auth

    def _post(self, action: str, body: dict[str, Any], query: dict[str, Any] | None = None) -> Any:
        return self.client.send(
            f"{self.collection_path}/{action}", method="POST", body=body, query=query
        )

    def list_auth_methods(self) -> dict[str, Any]:
        query = {"fields": "mfa,otp,password,oauth2"}
        answer = self.client.send(f"{self.collection_path}/auth-methods", query=query)
        return models.auth_methods_list(answer)

    def auth_with_password(
        self,
        identity: str,
        password: str,
        expand: str | None = None,
        fields: str | None = None,
        body: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        payload = {**(body or {}), "identity": identity, "password": password}
        query = _enriched({}, expand=expand, fields=fields)
        return self._auth(self._post("auth-with-password", payload, query))

    def auth_with_oauth2_code(
        self, provider: str, code: str, verifier: str, redirect_url: str
    ) -> dict[str, Any]:
        body = {
            "provider": provider,
            "code": code,
            "codeVerifier": verifier,
            "redirectURL": redirect_url,
            "createData": {},
        }
        return self._auth(self._post("auth-with-oauth2", body, {}))

    def auth_refresh(self, expand: str | None = None) -> dict[str, Any]:
        return self._auth(self._post("auth-refresh", {}, _enriched({}, expand=expand)))

    def request_password_reset(self, email: str) -> Any:
        return self._post("request-password-reset", {"email": email})

    def confirm_password_reset(self, token: str, password: str, confirm: str) -> Any:
        body = {"token": token, "password": password, "passwordConfirm": confirm}
        return self._post("confirm-password-reset", body)

    def request_verification(self, email: str) -> Any:
        return self._post("request-verification", {"email": email})

    def confirm_verification(self, token: str) -> Any:
        answer = self._post("confirm-verification", {"token": token})
        # the SDK then flips its stored record's `verified` from the token's id/collectionId
        payload = models.token_payload(token)
        record = self.client.record
        if record and record.get("id") == payload.get("id"):
            assert record.get("collectionId") == payload.get("collectionId")
            record["verified"] = True
        return answer

    def request_email_change(self, new_email: str) -> Any:
        return self._post("request-email-change", {"newEmail": new_email})

    def confirm_email_change(self, token: str, password: str) -> Any:
        answer = self._post("confirm-email-change", {"token": token, "password": password})
        payload = models.token_payload(token)
        record = self.client.record
        same = (record or {}).get("id") == payload.get("id")
        if record and same and record.get("collectionId") == payload.get("collectionId"):
            self.client.clear()
        return answer

    def request_otp(self, email: str) -> dict[str, Any]:
        return models.otp_response(self._post("request-otp", {"email": email}))

    def auth_with_otp(
        self, otp_id: str, password: str, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        payload = {"otpId": otp_id, "password": password, **(body or {})}
        return self._auth(self._post("auth-with-otp", payload, {}))

    def impersonate(self, record_id: str, duration: int) -> DartClient:
        """A new client (same base URL and language) holding the impersonated auth."""
        other = DartClient(self.client.base_url, lang=self.client.lang)
        answer = other.send(
            f"{self.collection_path}/impersonate/{path_component(record_id)}",
            method="POST",
            body={"duration": duration},
            headers={"Authorization": self.client.token},
        )
        auth = models.record_auth(answer)
        other.save(auth["token"], auth["record"])
        return other


class CollectionService(CrudService):
    base_path = "/api/collections"
    item = staticmethod(models.collection_model)

    def import_(self, collections: list[dict[str, Any]], delete_missing: bool = False) -> Any:
        body = {"collections": collections, "deleteMissing": delete_missing}
        return self.client.send(f"{self.base_path}/import", method="PUT", body=body)

    def truncate(self, name: str) -> Any:
        path = f"{self.base_path}/{path_component(name)}/truncate"
        return self.client.send(path, method="DELETE")

    def get_scaffolds(self) -> dict[str, dict[str, Any]]:
        answer = self.client.send(f"{self.base_path}/meta/scaffolds")
        return {k: models.collection_model(v or {}) for k, v in answer.items()}

    def get_all_oauth2_providers(self) -> list[dict[str, Any]]:
        answer = self.client.send(f"{self.base_path}/meta/oauth2-providers")
        return [models.configurable_oauth2_provider(p or {}) for p in answer]


def file_url(
    client: DartClient,
    record: dict[str, Any],
    filename: str,
    thumb: str | None = None,
    token: str | None = None,
    download: bool | None = None,
) -> str:
    """``FileService.getURL``: the collection id when known, else its name."""
    params: dict[str, Any] = {"thumb": thumb, "token": token}
    if download:
        params["download"] = ""
    collection = record.get("collectionId") or record.get("collectionName") or ""
    path = "/api/files/{}/{}/{}".format(
        path_component(collection), path_component(record["id"]), path_component(filename)
    )
    return build_url(client.base_url, path, params)


def file_token(client: DartClient) -> str:
    token = client.send("/api/files/token", method="POST")["token"]
    assert isinstance(token, str)
    return token


class Batch:
    """``pb.createBatch()``: sub-request URLs are built against a client whose base is ``/``."""

    def __init__(self, client: DartClient):
        self.client = client
        self.requests: list[dict[str, Any]] = []
        self.files: list[MultipartFile] = []

    def _add(
        self,
        method: str,
        collection: str,
        record_id: str | None,
        body: dict[str, Any] | None,
        files: list[MultipartFile] | None,
        query: dict[str, Any] | None,
    ) -> None:
        path = f"/api/collections/{path_component(collection)}/records"
        if record_id is not None:
            path += f"/{path_component(record_id)}"
        index = len(self.requests)
        self.requests.append(
            {
                "method": method,
                "url": build_url("/", path, query),
                "headers": {},
                "body": body or {},
            }
        )
        for file in files or []:
            self.files.append(
                MultipartFile(
                    f"requests.{index}.{file.field}", file.content, file.filename, file.content_type
                )
            )

    def create(self, collection: str, body: dict[str, Any], **kw: Any) -> None:
        query = _enriched({}, expand=kw.get("expand"), fields=kw.get("fields"))
        self._add("POST", collection, None, body, kw.get("files"), query)

    def upsert(self, collection: str, body: dict[str, Any], **kw: Any) -> None:
        query = _enriched({}, expand=kw.get("expand"), fields=kw.get("fields"))
        self._add("PUT", collection, None, body, kw.get("files"), query)

    def update(self, collection: str, record_id: str, body: dict[str, Any], **kw: Any) -> None:
        query = _enriched({}, expand=kw.get("expand"), fields=kw.get("fields"))
        self._add("PATCH", collection, record_id, body, kw.get("files"), query)

    def delete(self, collection: str, record_id: str) -> None:
        self._add("DELETE", collection, record_id, None, None, {})

    def send(self) -> list[dict[str, Any]]:
        answer = self.client.send(
            "/api/batch", method="POST", body={"requests": self.requests}, files=self.files
        )
        assert isinstance(answer, list), answer
        return [models.batch_result(item or {}) for item in answer]
