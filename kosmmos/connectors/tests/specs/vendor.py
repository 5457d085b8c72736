"""Cut the parts of the networks' specs the connectors use out of upstream checkouts.

    python kosmmos/connectors/tests/specs/vendor.py <vk-api-schema checkout> <telegram-bot-api-spec checkout>

Writes vk/*.json and telegram/api.json here; README.md next to this file names the upstream
commits and licences. Run it again (with the method and type lists below extended) when a
connector starts to use another method.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent

VK_METHODS = [
    "groups.getById", "groups.getLongPollServer", "messages.send", "newsfeed.search", "photos.getWallUploadServer",
    "photos.saveWallPhoto", "stats.get", "stats.getPostReach", "video.save", "wall.createComment",
    "wall.delete", "wall.edit", "wall.get", "wall.getById", "wall.getComments", "wall.post",
]
VK_CALLBACK = ["callback_base", "callback_confirmation", "callback_wall_reply_new",
               "callback_wall_reply_edit", "callback_wall_comment_delete",
               "callback_message_new", "callback_wall_repost", "callback_group_join",
               "callback_group_leave", "callback_wall_post_new", "callback_wall_reply_restore",
               "callback_like_add_remove"]
# Definitions below these are not followed: nested objects the connectors never read
# (attachments' inner shapes) are then accepted as any object.
VK_STOP = re.compile(r"^(photos_photo_sizes|video_video_image|audio_|market_|apps_|"
                     r"docs_|polls_|stories_|groups_group_(full|market)|base_image|"
                     r"messages_(keyboard|template|foreign)|link_|pages_|wall_wallpost_attachment$)")

TG_METHODS = [
    "getMe", "getChat", "getChatMember", "getChatMemberCount", "sendMessage", "sendPhoto",
    "sendVideo", "sendMediaGroup", "editMessageText", "editMessageCaption", "deleteMessage",
    "getUpdates", "setWebhook", "getWebhookInfo",
]
TG_TYPES = [
    "Update", "Message", "MessageId", "Chat", "ChatFullInfo", "User", "MessageEntity",
    "PhotoSize", "MessageReactionCountUpdated", "ReactionCount", "ReactionType",
    "ReactionTypeEmoji", "ReactionTypeCustomEmoji", "ReactionTypePaid", "MessageOrigin",
    "MessageOriginUser", "MessageOriginHiddenUser", "MessageOriginChat", "MessageOriginChannel",
    "ChatMember", "ChatMemberOwner", "ChatMemberAdministrator", "ChatMemberMember",
    "ChatMemberRestricted", "ChatMemberLeft", "ChatMemberBanned", "ReplyParameters",
    "InputMedia", "InputMediaPhoto", "InputMediaVideo", "InputFile", "WebhookInfo",
    "ResponseParameters",
]


def _refs(node: Any) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                found.append(value)
            else:
                found += _refs(value)
    elif isinstance(node, list):
        for value in node:
            found += _refs(value)
    return found


def vendor_vk(root: Path) -> None:
    out = HERE / "vk"
    out.mkdir(exist_ok=True)
    methods = []
    for section in sorted({m.split(".")[0] for m in VK_METHODS}):
        doc = json.loads((root / section / "methods.json").read_text())
        methods += [m for m in doc["methods"] if m["name"] in VK_METHODS]
    methods.sort(key=lambda m: m["name"])
    kept: dict[str, dict[str, Any]] = {}  # "<folder>/<file>" -> definitions
    for method in methods:
        method.pop("errors", None)
    todo = _refs(methods) + [f"../callback/objects.json#/definitions/{n}" for n in VK_CALLBACK]
    while todo:
        ref = todo.pop()
        path, found, pointer = ref.partition("#/definitions/")
        if not found:  # errors.json: the connectors map error codes themselves
            continue
        name = path.replace("../", "")
        if VK_STOP.match(pointer) or pointer in kept.get(name, {}):
            continue
        definition = json.loads((root / name).read_text())["definitions"][pointer]
        kept.setdefault(name, {})[pointer] = definition
        todo += _refs(definition)
    (out / "methods.json").write_text(json.dumps({"methods": methods}, ensure_ascii=False,
                                                 indent=1) + "\n")
    definitions = {f"{name}#{pointer}": d for name, defs in sorted(kept.items())
                   for pointer, d in sorted(defs.items())}
    (out / "definitions.json").write_text(json.dumps({"definitions": definitions},
                                                     ensure_ascii=False, indent=1) + "\n")


def vendor_telegram(root: Path) -> None:
    out = HERE / "telegram"
    out.mkdir(exist_ok=True)
    spec = json.loads((root / "api.json").read_text())
    trimmed = {
        "version": spec["version"], "release_date": spec["release_date"],
        "changelog": spec["changelog"],
        "methods": {k: spec["methods"][k] for k in TG_METHODS},
        "types": {k: spec["types"][k] for k in TG_TYPES},
    }
    (out / "api.json").write_text(json.dumps(trimmed, ensure_ascii=False, indent=1) + "\n")


if __name__ == "__main__":
    vendor_vk(Path(sys.argv[1]))
    if len(sys.argv) > 2:  # the Telegram cut can be left as it is
        vendor_telegram(Path(sys.argv[2]))
