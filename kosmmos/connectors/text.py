"""Text helpers shared by the connectors."""

from __future__ import annotations

from kosmmos.connectors.base import PublishRequest


def compose_text(request: PublishRequest) -> str:
    """The text as it goes to the network.

    An ad post carries the label Russian law asks for (38-FZ art. 18.1: "Реклама", the
    advertiser, the ORD's ``erid`` token). When the editor already put the erid in the text we
    leave it alone, so the label is never doubled.
    """
    text = request.text
    if request.is_ad and request.erid and request.erid not in text:
        label = "Реклама"
        if request.advertiser:
            label += f". {request.advertiser}"
        label += f". erid: {request.erid}"
        text = f"{text}\n\n{label}" if text else label
    return text
