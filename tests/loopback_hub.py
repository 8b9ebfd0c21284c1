"""A Hugging Face Hub on 127.0.0.1 serving a few repos, for the real download code to talk to.

It answers what ``huggingface_hub`` asks when ``HF_ENDPOINT`` points at it (read from its source):
``GET /api/models/{repo}/revision/{rev}`` (model info with ``siblings``),
``GET /api/models/{repo}/tree/{rev}`` (the file listing with git blob ids and LFS sha256, which
``snapshot_download`` and ``verify_repo_checksums`` use), and ``HEAD``/``GET /{repo}/resolve/{rev}/{path}``
with the ``X-Repo-Commit`` and ``ETag`` headers. Revisions are branch names (``main``,
``refs/pr/1``, URL-encoded as the client sends them) or commit hashes. Every request is recorded, so a
test can assert that nobody asked to open a discussion or pull request; anything else gets a 404.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

LFS_SUFFIXES = (".bin", ".safetensors", ".spm", ".model", ".msgpack", ".h5")


def git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass
class Repo:
    branches: dict[str, str] = field(default_factory=dict)  # name → commit
    commits: dict[str, dict[str, bytes]] = field(default_factory=dict)  # commit → files


class LoopbackHub:
    """``add`` repos, then use :attr:`url` as ``HF_ENDPOINT``; :attr:`requests` lists (method, path)."""

    def __init__(self) -> None:
        self.repos: dict[str, Repo] = {}
        self.requests: list[tuple[str, str]] = []
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_HEAD(self) -> None:
                hub._serve(self, body=False)

            def do_GET(self) -> None:
                hub._serve(self, body=True)

            def _refuse(self) -> None:
                hub.requests.append((self.command, self.path))
                hub._send(self, 403, {"error": "this loopback Hub accepts no writes"}, body=True)

            do_POST = do_PUT = do_PATCH = do_DELETE = _refuse

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def add(self, repo_id: str, branch: str, files: dict[str, bytes]) -> str:
        """Put ``files`` on ``branch`` of ``repo_id`` as one commit; returns its hash."""
        digest = hashlib.sha1(f"{repo_id}\n{branch}".encode())
        for name in sorted(files):
            digest.update(f"{name}\n{git_blob_id(files[name])}\n".encode())
        commit = digest.hexdigest()
        repo = self.repos.setdefault(repo_id, Repo())
        repo.branches[branch] = commit
        repo.commits[commit] = dict(files)
        return commit

    def start(self) -> LoopbackHub:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def writes(self) -> list[tuple[str, str]]:
        """Requests that would change something on a Hub (discussions, pull requests, uploads)."""
        return [
            (m, p) for m, p in self.requests
            if m not in ("GET", "HEAD") or "/discussions" in p or "/pulls" in p or "/commit/" in p
        ]  # fmt: skip

    # -- answering ---------------------------------------------------------------------------

    def _resolve(self, repo_id: str, rev: str) -> tuple[str, dict[str, bytes]] | None:
        repo = self.repos.get(repo_id)
        if repo is None:
            return None
        commit = repo.branches.get(rev, rev)
        return (commit, repo.commits[commit]) if commit in repo.commits else None

    @staticmethod
    def _entry(name: str, data: bytes) -> dict:
        entry: dict = {"type": "file", "path": name, "size": len(data), "oid": git_blob_id(data)}
        if name.endswith(LFS_SUFFIXES):
            entry["lfs"] = {"oid": hashlib.sha256(data).hexdigest(), "size": len(data), "pointerSize": 134}
        return entry

    def _serve(self, handler: BaseHTTPRequestHandler, body: bool) -> None:
        self.requests.append((handler.command, handler.path))
        parts = [unquote(p) for p in urlsplit(handler.path).path.split("/")[1:]]
        if parts[:2] == ["api", "models"] and len(parts) >= 6 and parts[4] in ("revision", "tree"):
            repo_id, rev = "/".join(parts[2:4]), "/".join(parts[5:])
            found = self._resolve(repo_id, rev)
            if found is None:
                return self._missing(handler, "RevisionNotFound", body)
            commit, files = found
            if parts[4] == "tree":
                return self._send(handler, 200, [self._entry(n, d) for n, d in sorted(files.items())], body)
            siblings = []
            for name, data in sorted(files.items()):
                entry = self._entry(name, data)
                sibling = {"rfilename": name, "size": len(data), "blobId": entry["oid"]}
                if "lfs" in entry:
                    lfs = entry["lfs"]
                    sibling["lfs"] = {
                        "size": lfs["size"],
                        "sha256": lfs["oid"],
                        "pointerSize": lfs["pointerSize"],
                    }
                siblings.append(sibling)
            info = {"_id": commit[:24], "id": repo_id, "modelId": repo_id, "sha": commit, "private": False,
                    "gated": False, "disabled": False, "tags": [], "siblings": siblings}  # fmt: skip
            return self._send(handler, 200, info, body)
        if len(parts) >= 5 and parts[2] == "resolve":
            repo_id = "/".join(parts[:2])
            rest = parts[3:]
            # the revision may hold slashes (refs/pr/1, sent encoded): the longest one that exists
            for cut in range(len(rest) - 1, 0, -1):
                found = self._resolve(repo_id, "/".join(rest[:cut]))
                if found:
                    commit, files = found
                    name = "/".join(rest[cut:])
                    if name not in files:
                        return self._missing(handler, "EntryNotFound", body, commit)
                    data = files[name]
                    entry = self._entry(name, data)
                    etag = entry["lfs"]["oid"] if "lfs" in entry else entry["oid"]
                    headers = {
                        "X-Repo-Commit": commit,
                        "ETag": f'"{etag}"',
                        "Content-Type": "application/octet-stream",
                    }
                    return self._send(handler, 200, data, body, headers)
            return self._missing(
                handler, "RevisionNotFound" if repo_id in self.repos else "RepoNotFound", body
            )
        return self._missing(handler, "RepoNotFound", body)

    def _missing(self, handler, code: str, body: bool, commit: str | None = None) -> None:
        headers = {"X-Error-Code": code, **({"X-Repo-Commit": commit} if commit else {})}
        self._send(handler, 404, {"error": code}, body, headers)

    @staticmethod
    def _send(handler, status: int, payload, body: bool, headers: dict | None = None) -> None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        handler.send_response(status)
        for key, value in {"Content-Type": "application/json", **(headers or {})}.items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        if body:
            handler.wfile.write(data)
