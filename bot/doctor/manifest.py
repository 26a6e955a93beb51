"""The bot scopes the app needs, read from slack-manifest.yml (the file owners create the app from).

The package carries the manifest (`bot/doctor/slack-manifest.yml` links to the repository's), so
an installed `retention-bot` compares against the same list the README tells owners to paste.
"""

from __future__ import annotations

from pathlib import Path

import yaml

MANIFEST = Path(__file__).with_name("slack-manifest.yml")


class ManifestError(RuntimeError):
    """The manifest is missing or has no bot scope list; the message is one line."""


def bot_scopes(path: Path = MANIFEST) -> tuple[str, ...]:
    """`oauth_config.scopes.bot`, in the manifest's order."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ManifestError(f"cannot read {path.name}: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise ManifestError(f"{path.name} is not valid YAML: {str(exc).splitlines()[0]}") from exc
    try:
        scopes = data["oauth_config"]["scopes"]["bot"]
    except (KeyError, TypeError) as exc:
        raise ManifestError(f"{path.name} has no oauth_config.scopes.bot list") from exc
    if not isinstance(scopes, list) or not all(isinstance(scope, str) for scope in scopes):
        raise ManifestError(f"{path.name}: oauth_config.scopes.bot is not a list of scope names")
    return tuple(scopes)
