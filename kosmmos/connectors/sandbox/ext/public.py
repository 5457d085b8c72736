"""Public pages of the sandbox network: what a person sees who opens a post's link.

``GET /p/{channel}`` is the channel's wall (its newest posts with their counters) and
``GET /p/{channel}/{post}`` one post with its counters and comments — the channel's own answers
under the comment they reply to. Plain HTML, no token, no JavaScript; the text of every post and
comment is escaped. Russian unless the browser asks for English first. A deleted or unknown post
is a readable 404 page, never the API's JSON.
"""

from __future__ import annotations

import html
import time
from typing import Any

from kosmmos.connectors.sandbox.ext.base import Answer, Call, route

WALL_LIMIT = 50

WORDS = {
    "ru": {"network": "Песочница — учебная соцсеть Kosmmos", "channel": "Канал",
           "views": "просмотры", "likes": "лайки", "reposts": "репосты",
           "comments": "комментарии", "no_comments": "Комментариев пока нет.",
           "no_posts": "На стене канала пока нет постов.", "all_posts": "Все посты канала",
           "gone": "Пост удалён или его нет", "gone_text": "Такого поста на стене канала нет.",
           "edited": "изменён", "reply": "ответ канала", "media": "вложения"},
    "en": {"network": "Sandbox — the Kosmmos practice network", "channel": "Channel",
           "views": "views", "likes": "likes", "reposts": "reposts", "comments": "comments",
           "no_comments": "No comments yet.", "no_posts": "No posts on this wall yet.",
           "all_posts": "All posts of the channel", "gone": "The post was deleted or never was",
           "gone_text": "There is no such post on this channel's wall.", "edited": "edited",
           "reply": "the channel's answer", "media": "attachments"},
}

STYLE = """
body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#eef0f3;color:#1d2129}
header{background:#2d3a8c;color:#fff;padding:.6rem 1rem}header a{color:#fff}
main{max-width:640px;margin:0 auto;padding:1rem}
.card{background:#fff;border-radius:8px;padding:1rem;margin-bottom:1rem;overflow-wrap:anywhere}
.meta{color:#6b7280;font-size:.85rem}.counters{display:flex;flex-wrap:wrap;gap:1rem;
margin-top:.5rem;color:#374151;font-size:.9rem}.comment{border-top:1px solid #e5e7eb;
padding:.5rem 0}.answer{margin-left:1.5rem;border-left:3px solid #2d3a8c;padding-left:.75rem}
.text{white-space:pre-wrap}h1{font-size:1.3rem;margin:.2rem 0 1rem}
"""


def _lang(call: Call) -> str:
    wanted = call.header("accept-language").lower().lstrip()
    return "en" if wanted.startswith("en") else "ru"


def _number(n: int) -> str:
    return f"{n:,}".replace(",", "\u00a0")


def _when(at: float) -> str:
    return time.strftime("%d.%m.%Y %H:%M UTC", time.gmtime(at))


def _page(call: Call, title: str, body: str) -> str:
    lang = _lang(call)
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>"
            f"<header>{html.escape(WORDS[lang]['network'])}</header><main>{body}</main>"
            "</body></html>")


async def _send_html(call: Call, status: int, page: str) -> Answer:
    payload = page.encode()
    await call.send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"text/html; charset=utf-8"),
        (b"content-length", str(len(payload)).encode())]})
    await call.send({"type": "http.response.body", "body": payload})
    return 0, None, []  # already answered: the server sends nothing more


def _counters(words: dict[str, str], stats: dict[str, int]) -> str:
    return '<div class="counters">' + "".join(
        f"<span>{_number(stats[k])} {words[k]}</span>" for k in ("views", "likes", "reposts", "comments")) + "</div>"


def _post_card(call: Call, post: dict[str, Any], words: dict[str, str], link: bool) -> str:
    net, cid = call.net, post["channel"]
    edited = f" · {words['edited']}" if post["edited_at"] else ""
    stamp = html.escape(_when(post["accepted_at"]) + edited)
    if link:
        stamp = f'<a href="/p/{html.escape(cid)}/{post["id"]}">{stamp}</a>'
    media = ""
    if post["media"]:
        media = f'<div class="meta">{words["media"]}: {len(post["media"])}</div>'
    return (f'<article class="card"><div class="meta">{stamp}</div>'
            f'<div class="text">{html.escape(post["text"])}</div>{media}'
            f"{_counters(words, net.stats(post))}</article>")


def _comments(post: dict[str, Any], found: list[dict[str, Any]], words: dict[str, str]) -> str:
    if not found:
        return f'<p class="meta">{words["no_comments"]}</p>'
    answers: dict[str, list[dict[str, Any]]] = {}
    for c in found:
        if c.get("from_channel") and c.get("reply_to"):
            answers.setdefault(c["reply_to"], []).append(c)
    shown = {id(a) for group in answers.values() for a in group
             if any(c["id"] == a["reply_to"] for c in found)}
    rows = []
    for c in found:
        if id(c) in shown:
            continue
        rows.append(_comment(c, post, words))
        rows += [_comment(a, post, words, answer=True) for a in answers.get(c["id"], ())]
    return "".join(rows)


def _comment(c: dict[str, Any], post: dict[str, Any], words: dict[str, str],
             answer: bool = False) -> str:
    who = post["channel"] if c.get("from_channel") else c["author"]
    tag = f" · {words['reply']}" if c.get("from_channel") else ""
    cls = "comment answer" if answer else "comment"
    return (f'<div class="{cls}"><div class="meta"><b>{html.escape(str(who))}</b>{tag} · '
            f'{_when(c["at"])}</div><div class="text">{html.escape(c["text"])}</div></div>')


@route("p")
async def public_page(call: Call) -> Answer:
    lang = _lang(call)
    words = WORDS[lang]
    if call.method not in ("GET", "HEAD") or not call.parts or len(call.parts) > 2:
        return await _send_html(call, 404, _page(call, words["gone"],
                                                 f"<h1>{words['gone']}</h1>"))
    cid = call.parts[0]
    title = f"{words['channel']} {cid}"
    if cid not in call.net.by_channel:  # a public page never creates a channel
        return await _send_html(call, 404, _page(call, title, f"<h1>{words['no_posts']}</h1>"))
    head = (f'<h1><a href="/p/{html.escape(cid)}">{html.escape(title)}</a></h1>'
            f'<p class="meta">{_number(call.net.followers(cid))} '
            + ("подписчиков" if lang == "ru" else "followers") + "</p>")
    if len(call.parts) == 1:
        posts = [call.net.posts[i] for i in reversed(call.net.by_channel[cid])
                 if call.net.posts[i]["deleted_at"] is None][:WALL_LIMIT]
        cards = "".join(_post_card(call, p, words, link=True) for p in posts)
        empty = f'<p class="meta">{words["no_posts"]}</p>'
        return await _send_html(call, 200, _page(call, title, head + (cards or empty)))
    raw = call.parts[1]
    post = call.net.posts.get(int(raw)) if raw.isdigit() else None
    if post is None or post["channel"] != cid or post["deleted_at"] is not None:
        gone = (f"<h1>{words['gone']}</h1><p>{words['gone_text']} "
                f'<a href="/p/{html.escape(cid)}">{words["all_posts"]}</a></p>')
        return await _send_html(call, 404, _page(call, words["gone"], head + gone))
    body = (head + _post_card(call, post, words, link=False)
            + f'<section class="card"><h2 class="meta">{words["comments"]}</h2>'
            + _comments(post, call.net.comments(post), words) + "</section>")
    return await _send_html(call, 200, _page(call, title, body))
